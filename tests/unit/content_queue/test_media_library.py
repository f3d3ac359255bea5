"""The media library: search by filename or alt text (LIKE wildcards typed by a person are
plain characters), per agency, paginated; alt text required to attach and never emptied."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_queue.errors import Forbidden, NotFound, ValidationFailed
from content_queue.media_library import search_media, update_alt_text, usage_counts
from content_queue.models import MediaAsset, PostMedia
from content_queue.services import queue_post
from tests.unit.conftest import NOW


def _image(make, filename: str, alt: str, agency=None) -> MediaAsset:
    agency = agency or make.agency()
    return make._add(MediaAsset(agency_id=agency.id, filename=filename, mime_type="image/png",
                                size=10, width=1, height=1, sha256="0" * 64, alt_text=alt,
                                data=b"x", created_at=NOW))


def test_search_matches_every_word_in_filename_or_alt_text(session, make) -> None:
    floor = _image(make, "floor.png", "The dispatch floor at night")
    _image(make, "cake.png", "A cake for the night shift")
    _image(make, "100%_done.png", "Progress bar")
    assert [m.id for m in search_media(session, make.agency().id, q="FLOOR night")[0]] == \
        [floor.id]
    assert search_media(session, make.agency().id, q="night")[1] == 2
    assert [m.filename for m in search_media(session, make.agency().id, q="%")[0]] == \
        ["100%_done.png"]  # % is a character here, not "anything"
    assert search_media(session, make.agency().id, q="_")[1] == 1
    assert search_media(session, make.agency().id)[1] == 3


def test_search_is_per_agency_and_paginated(session, make) -> None:
    for n in range(5):
        _image(make, f"p{n}.png", "photo")
    _image(make, "theirs.png", "photo", agency=make.agency(new=True))
    first, total = search_media(session, make.agency().id, per_page=2)
    assert total == 5 and len(first) == 2
    third, _ = search_media(session, make.agency().id, page=3, per_page=2)
    assert len(third) == 1


def test_an_image_without_alt_text_cannot_be_attached(session, make) -> None:
    bare = _image(make, "bare.png", "   ")
    with pytest.raises(ValidationFailed) as refused:
        queue_post(session, actor=make.user("approver"), text="Hi", account_ids=[make.account().id],
                   scheduled_at=NOW + timedelta(hours=1), now=NOW, media_ids=[bare.id])
    assert refused.value.code == "alt_text_missing"
    assert "bare.png" in refused.value.message


def test_alt_text_can_be_improved_never_emptied(session, make) -> None:
    image = _image(make, "floor.png", "Floor")
    pio = make.user("pio")
    with pytest.raises(ValidationFailed):
        update_alt_text(session, actor=pio, media_id=image.id, alt_text="  ", now=NOW)
    with pytest.raises(Forbidden):
        update_alt_text(session, actor=make.user("viewer"), media_id=image.id, alt_text="x",
                        now=NOW)
    with pytest.raises(NotFound):
        update_alt_text(session, actor=make.user("pio", agency=make.agency(new=True)),
                        media_id=image.id, alt_text="x", now=NOW)
    update_alt_text(session, actor=pio, media_id=image.id, alt_text=" The floor ", now=NOW)
    assert image.alt_text == "The floor"


def test_usage_counts_how_many_posts_use_an_image(session, make) -> None:
    image = _image(make, "floor.png", "Floor")
    author = make.user("approver")
    for _ in range(2):
        post = make.post(author=author, accounts=[make.account()], status="scheduled")
        session.add(PostMedia(post_id=post.id, media_id=image.id, position=0))
    session.flush()
    assert usage_counts(session, [image.id]) == {image.id: 2}
    assert usage_counts(session, []) == {}
