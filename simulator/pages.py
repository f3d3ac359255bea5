"""HTML shared by all platforms: the index, the feed/permalink view model, the 404 page.

Every platform renders the same ``feed.html`` / ``post.html`` templates from
``FeedItem`` values, so a PIO sees one familiar layout per platform and a new
platform module writes no HTML. Templates are ``.html`` files, so Jinja
autoescapes all post text, alt text and handles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from typing import Callable

from flask import Blueprint, Response, render_template, url_for

from simulator.context import page, sim_context, sim_state
from simulator.engagement import Reply
from simulator.state import StoredMedia

bp = Blueprint("pages", __name__)


@dataclass(frozen=True)
class FeedImage:
    url: str
    alt_text: str


@dataclass(frozen=True)
class FeedItem:
    id: str
    handle: str
    text: str
    created_at: datetime
    permalink: str
    likes: int
    reposts: int
    replies: int
    views: int
    images: list[FeedImage] = field(default_factory=list)
    reply_to_url: str | None = None

    @property
    def created_at_iso(self) -> str:
        return self.created_at.astimezone(UTC).isoformat()

    @property
    def created_at_display(self) -> str:
        return display_time(self.created_at)


@dataclass(frozen=True)
class ReplyView:
    author: str
    text: str
    created_at_display: str


def display_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_feed(title: str, items: list[FeedItem]) -> str:
    return render_template("feed.html", title=title, items=items)


def render_post(title: str, feed_url: str, item: FeedItem, replies: list[Reply]) -> str:
    views = [ReplyView(r.author, r.text, display_time(r.created_at)) for r in replies]
    return render_template("post.html", title=title, feed_url=feed_url, item=item, replies=views)


def render_not_found(message: str) -> tuple[str, int]:
    return render_template("not_found.html", message=message), 404


def media_page(platform: str, media_id: str, *, missing: str = "No such image.",
               belongs: Callable[[StoredMedia], bool] = lambda media: True
               ) -> Response | tuple[str, int]:
    """The bytes of an uploaded image, as every platform's media URL serves them."""
    media = sim_state().get_media(platform, media_id)
    if media is None or not media.data or not belongs(media):
        return render_not_found(missing)
    return Response(media.data, mimetype=media.mime_type)


@bp.get("/")
@page
def index() -> str:
    """Entry point for a PIO or a demo: which platforms exist and where their feeds are."""
    platforms = [
        {
            "name": spec.name,
            "title": spec.title,
            "description": spec.description,
            "feed_url": url_for(spec.feed_endpoint) if spec.feed_endpoint else None,
        }
        for spec in sim_context().platforms.values()
    ]
    return render_template("index.html", platforms=platforms)
