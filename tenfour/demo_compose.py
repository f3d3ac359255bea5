"""Demo data for issue 8's compose part: two templates and an image in the media library, so
`make run` shows them on the New post page without anyone uploading or typing first."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Iterator

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.media import store_media
from content_queue.models import MediaAsset, PostTemplate, User
from content_queue.post_templates import create_template

DEMO_TEMPLATES = [
    ("Telecommunicator thank-you",
     "Thank you, {dispatcher_name}, for {years} years on the floor at {center_name}. Every "
     "call you answered mattered to someone on their worst day. #NPSTW"),
    ("Open house",
     "{center_name} opens its doors on {date}, {time}: meet the telecommunicators behind "
     "your 911 calls. Not monitored 24/7: in an emergency, call or text 911."),
]
DEMO_IMAGE = "demo-dispatch-floor.png"


def _demo_png() -> bytes:
    image = Image.new("RGB", (640, 360), (18, 52, 86))
    draw = ImageDraw.Draw(image)
    for n in range(4):  # four consoles with their screens
        x = 40 + n * 150
        draw.rectangle([x, 190, x + 120, 300], fill=(60, 70, 80))
        draw.rectangle([x + 15, 120, x + 105, 185], fill=(90, 170, 220))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed_compose_demo(session: Session, *, actor: User, now: datetime) -> Iterator[str]:
    names = set(session.scalars(select(PostTemplate.name)
                                .where(PostTemplate.agency_id == actor.agency_id)))
    for name, text in DEMO_TEMPLATES:
        if name not in names:
            create_template(session, actor=actor, name=name, text=text, now=now)
            yield f"Added the template {name!r}."
    exists = session.scalar(select(MediaAsset.id).where(MediaAsset.agency_id == actor.agency_id,
                                                        MediaAsset.filename == DEMO_IMAGE))
    if exists is None:
        store_media(session, actor=actor, data=_demo_png(), filename=DEMO_IMAGE,
                    alt_text="Drawing of four dispatch consoles, each with its screen lit, in a "
                             "dark blue room.", now=now)
        yield "Added a demo image to the media library."
