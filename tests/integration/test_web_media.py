"""Images on the pages: composing with photos (multipart), keeping them when the form comes back
with errors, the signed-in thumbnail route and the signed public URL platforms fetch."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from io import BytesIO

from sqlalchemy import func, select

from content_queue.media import media_signature, store_media
from content_queue.models import Agency, MediaAsset, Post, User
from content_queue.users import create_user
from tests.integration.helpers import count_rows, png, utcnow
from tests.integration.web_client import CSRF_RE, login_client

MEDIA_ID_RE = re.compile(r'name="media_ids" value="(\d+)"')


def login(client, user, password) -> None:
    login_client(client, user.email, password)


def stored(db, user, data: bytes, alt: str = "A smoke alarm on a ceiling") -> MediaAsset:
    with db.session_scope() as s:
        return store_media(s, actor=s.get(User, user.id), data=data, filename="alarm.png",
                           alt_text=alt, now=utcnow())


def compose(client, account_ids, *, files=None, when=True, **extra):
    """POST the compose form as a browser does (multipart), with a fresh CSRF token."""
    token = CSRF_RE.search(client.get("/posts/new").get_data(as_text=True)).group(1)
    local = datetime.combine(date.today() + timedelta(days=7), time(10, 15))
    data = {"csrf_token": token, "text": "Test your smoke alarms this weekend.",
            "accounts": [str(i) for i in account_ids], "campaign": "", "action": "queue",
            "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M") if when else ""}
    for key, (content, filename) in (files or {}).items():
        data[key] = (BytesIO(content), filename)
    data.update(extra)
    return client.post("/posts/new", data=data, content_type="multipart/form-data")


def post_media(db, post_id: int) -> list[tuple[int, str]]:
    with db.session_scope(write=False) as s:
        return [(m.id, m.alt_text) for m in s.get(Post, post_id).media]


def new_post_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


# --- the public, signed URL ----------------------------------------------------------------


def test_public_url_serves_the_image_only_with_its_signature(client, factory, db, settings):
    asset = stored(db, factory.user("pio"), png())
    sig = media_signature(asset.id, asset.sha256, settings.secret_key)

    response = client.get(f"/media/public/{asset.id}/{sig}")  # no login: Instagram fetches it
    assert response.status_code == 200 and response.data == asset.data
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers

    wrong = "0" * len(sig)
    for path in (f"/media/public/{asset.id}/{wrong}", f"/media/public/{asset.id}/{sig[:-1]}",
                 f"/media/public/{asset.id + 1}/{sig}",
                 f"/media/public/{asset.id}/{media_signature(asset.id, asset.sha256, 'other')}"):
        assert client.get(path).status_code == 404, path


def test_public_url_is_the_one_the_workers_build(client, factory, db, settings):
    from workers.runtime import Runtime  # the worker side of the contract

    asset = stored(db, factory.user("pio"), png())
    url = Runtime(settings).public_media_url(asset)
    assert url.startswith(settings.public_base_url + "/media/public/")
    response = client.get(url.removeprefix(settings.public_base_url))
    assert response.status_code == 200 and response.data == asset.data


# --- the signed-in thumbnail route ----------------------------------------------------------


def test_thumbnail_route_needs_a_login_and_the_same_agency(client, factory, db):
    pio = factory.user("pio")
    asset = stored(db, pio, png())
    response = client.get(f"/media/{asset.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

    login(client, pio, factory.password)
    response = client.get(f"/media/{asset.id}")
    assert response.status_code == 200 and response.data == asset.data
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private")
    assert client.get(f"/media/{asset.id + 99}").status_code == 404

    with db.session_scope() as s:
        other = Agency(name="County 911", timezone="America/Denver", created_at=utcnow())
        s.add(other)
        s.flush()
        outsider = create_user(s, agency_id=other.id, email="pio@county911.gov", role="pio",
                               password=factory.password, now=utcnow())
    theirs = stored(db, outsider, png(color=(0, 0, 255)))
    assert client.get(f"/media/{theirs.id}").status_code == 404


# --- composing with images ------------------------------------------------------------------


def test_compose_with_two_images_attaches_them_in_order_with_their_alt_text(client, factory, db):
    approver = factory.user("approver")
    account = factory.account("sandbox")
    login(client, approver, factory.password)
    response = compose(client, [account.id],
                       files={"image-0": (png((255, 0, 0)), "first.png"),
                              "image-1": (png((0, 255, 0)), "second.png")},
                       **{"alt-0": "Red: a fire engine", "alt-1": "Green: an exit sign"})
    post_id = new_post_id(response)
    media = post_media(db, post_id)
    assert [alt for _, alt in media] == ["Red: a fire engine", "Green: an exit sign"]
    with db.session_scope(write=False) as s:
        assert [s.get(MediaAsset, i).filename for i, _ in media] == ["first.png", "second.png"]

    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    for media_id, alt in media:
        assert f'src="/media/{media_id}"' in page
        assert f'alt="{alt}"' in page


def test_a_refused_form_keeps_uploaded_images_so_nothing_is_uploaded_twice(client, factory, db):
    approver = factory.user("approver")
    account = factory.account("sandbox")
    login(client, approver, factory.password)
    response = compose(client, [account.id], when=False,  # forgot the time
                       files={"image-0": (png((255, 0, 0)), "first.png"),
                              "image-1": (png((0, 0, 255)), "second.png")},
                       **{"alt-0": "Red", "alt-1": "Blue"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose the time to publish." in html
    ids = [int(i) for i in MEDIA_ID_RE.findall(html)]
    assert len(ids) == 2 and count_rows(db, MediaAsset) == 2
    for media_id in ids:  # thumbnails, from the signed-in route, with their alt text
        assert f'src="/media/{media_id}" alt="' in html
    assert 'alt="Red"' in html and 'alt="Blue"' in html

    # The PIO fixes the time and queues: the hidden ids carry the images, no file is re-sent.
    response = compose(client, [account.id], media_ids=[str(i) for i in ids])
    post_id = new_post_id(response)
    assert post_media(db, post_id) == [(ids[0], "Red"), (ids[1], "Blue")]
    assert count_rows(db, MediaAsset) == 2


def test_a_bad_file_is_named_while_the_good_one_is_kept(client, factory, db):
    approver = factory.user("approver")
    account = factory.account("sandbox")
    login(client, approver, factory.password)
    response = compose(client, [account.id],
                       files={"image-0": (b"not an image at all", "notes.txt"),
                              "image-1": (png(), "good.png")},
                       **{"alt-0": "A chart of call volume", "alt-1": "A good photo"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Image 2: notes.txt: This file is not an image Tenfour can post." in html
    assert "A chart of call volume</textarea>" in html  # the alt text is kept for the retry
    (kept,) = MEDIA_ID_RE.findall(html)
    assert count_rows(db, MediaAsset) == 1

    # An image with no alt text is refused on its own slot; the kept one still travels.
    response = compose(client, [account.id], media_ids=[kept],
                       files={"image-0": (png((9, 9, 9)), "no-alt.png")}, **{"alt-0": " "})
    assert response.status_code == 422
    assert "alt text is required" in response.get_data(as_text=True)
    assert count_rows(db, MediaAsset) == 1

    post_id = new_post_id(compose(client, [account.id], media_ids=[kept]))
    assert post_media(db, post_id) == [(int(kept), "A good photo")]


def test_removing_a_kept_image_leaves_it_off_the_post(client, factory, db):
    pio = factory.user("pio")
    account = factory.account("sandbox")
    first, second = stored(db, pio, png((1, 1, 1)), "First"), stored(db, pio, png((2, 2, 2)), "Second")
    login(client, pio, factory.password)
    response = compose(client, [account.id], media_ids=[str(first.id), str(second.id)],
                       remove_media=[str(first.id)])
    assert post_media(db, new_post_id(response)) == [(second.id, "Second")]


def test_a_platform_rule_on_images_comes_back_with_the_images_kept(client, factory, db):
    approver = factory.user("approver")
    account = factory.account("instagram", credentials={"access_token": "t",
                                                        "ig_user_id": "17841400000000000"})
    login(client, approver, factory.password)
    response = compose(client, [account.id],
                       files={"image-0": (png(), "chart.png")}, **{"alt-0": "Call volume chart"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Instagram: image 1 is image/png, which it does not accept." in html
    assert len(MEDIA_ID_RE.findall(html)) == 1 and count_rows(db, MediaAsset) == 1


def test_a_compose_form_over_the_size_limit_gets_a_friendly_page(app, client, factory, db):
    approver = factory.user("approver")
    account = factory.account("sandbox")
    login(client, approver, factory.password)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024  # stands in for 64 MB, to keep the test fast
    response = compose(client, [account.id], files={"image-0": (b"\0" * 300_000, "huge.png")},
                       **{"alt-0": "Huge"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Images too large" in html and "nothing was saved" in html
    assert count_rows(db, MediaAsset) == 0
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0


def test_compose_page_shows_image_slots_and_the_configured_x_prices(client, factory, db, settings):
    login(client, factory.user("pio"), factory.password)
    html = client.get("/posts/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert html.count('type="file"') == 10 and html.count("image-slot\" id=") == 10
    assert len(re.findall(r'class="image-slot"[^>]*hidden', html)) == 6  # 4 shown, 6 on demand
    assert '<label for="alt-0" class="image-slot__label">Alt text for image 1' in html
    assert (f'"x_price_per_post": {settings.x_price_per_post}' in html
            and f'"x_price_per_link_post": {settings.x_price_per_link_post}' in html)


def test_an_expired_form_still_shows_the_images_already_uploaded(client, factory, db):
    pio = factory.user("pio")
    account = factory.account("sandbox")
    asset = stored(db, pio, png(), "A smoke alarm on a ceiling")
    login(client, pio, factory.password)
    response = client.post("/posts/new", content_type="multipart/form-data", data={
        "csrf_token": "expired", "text": "Typed with care", "accounts": [str(account.id)],
        "media_ids": [str(asset.id)], "alt-0": "A photo chosen but not sent"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "this form had expired" in html and "Typed with care" in html
    assert MEDIA_ID_RE.findall(html) == [str(asset.id)]
    assert "A photo chosen but not sent</textarea>" in html
    with db.session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0
