"""HTML pages of the simulated Mastodon instances: feeds, permalinks, image files."""

from __future__ import annotations

from flask import Response, url_for

from simulator.context import page, sim_state
from simulator.engagement import metrics_for, visible_replies
from simulator.pages import (
    FeedImage,
    FeedItem,
    media_page,
    render_feed,
    render_not_found,
    render_post,
)
from simulator.platforms.mastodon_wire import (
    DEFAULT_INSTANCE,
    NAME,
    check_instance_quietly,
    domain,
    own_replies,
    route,
)
from simulator.state import StoredPost


def _feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    instance = post.extra.get("instance", DEFAULT_INSTANCE)
    metrics = metrics_for(post.id, state.age_seconds(post))
    images = [FeedImage(url_for(f"{NAME}.media_file", instance=instance, media_id=m.id), m.alt_text)
              for m in (state.get_media(NAME, i) for i in post.media_ids) if m is not None]
    parent = state.get_post(NAME, post.reply_to_id) if post.reply_to_id else None
    return FeedItem(id=post.id, handle=f"{post.handle}@{domain(instance)}", text=post.text,
                    created_at=post.created_at, permalink=post.path, likes=metrics.likes,
                    reposts=metrics.reposts, replies=metrics.replies + len(own_replies(post)),
                    views=metrics.views, images=images,
                    reply_to_url=parent.path if parent else None)


@route("/feed")
@page
def feed(instance: str) -> str | tuple[str, int]:
    """Newest first; the default instance's feed shows every instance."""
    if not check_instance_quietly(instance):
        return render_not_found("No such Mastodon instance.")
    posts = sim_state().list_posts(NAME)
    if instance != DEFAULT_INSTANCE:
        posts = [p for p in posts if p.extra.get("instance") == instance]
    return render_feed(f"Mastodon ({domain(instance)})", [_feed_item(p) for p in reversed(posts)])


@route("/@<username>/<status_id>")
@page
def permalink(instance: str, username: str, status_id: str) -> str | tuple[str, int]:
    state = sim_state()
    post = state.get_post(NAME, status_id)
    if post is None or post.handle != username or post.extra.get("instance") != instance:
        return render_not_found("This post does not exist (or the simulator was reset).")
    replies = visible_replies(post.id, post.created_at, state.age_seconds(post))
    return render_post("Mastodon", url_for(f"{NAME}.feed", instance=instance), _feed_item(post), replies)


@route("/media/<media_id>")
@page
def media_file(instance: str, media_id: str) -> Response | tuple[str, int]:
    return media_page(NAME, media_id, belongs=lambda media: media.extra.get("instance") == instance)
