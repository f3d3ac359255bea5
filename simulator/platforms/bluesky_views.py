"""Bluesky's view objects for the simulator: PostView, ThreadViewPost, and the feed page items.

An AppView builds these from records; here they come from the stored posts, with counts from
``simulator.engagement`` and community replies as posts of other (simulated) accounts.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from simulator.context import public_base, sim_state
from simulator.engagement import Reply, metrics_for, visible_replies
from simulator.pages import FeedImage, FeedItem
from simulator.platforms.bluesky_auth import NAME, did_for
from simulator.platforms.bluesky_text import record_cid, tid_at
from simulator.state import StoredMedia, StoredPost, iso_z

POST = "app.bsky.feed.post"
IMAGES = "app.bsky.embed.images"


def author_view(did: str, handle: str) -> dict[str, Any]:
    name = handle.split(".")[0].replace("-", " ").title()
    return {"did": did, "handle": handle, "displayName": name, "labels": [],
            "createdAt": "2023-04-09T00:00:00.000Z"}


def own_replies(post: StoredPost) -> list[StoredPost]:
    return [p for p in sim_state().list_posts(NAME) if p.reply_to_id == post.id]


def image_url(media: StoredMedia) -> str:
    return public_base() + url_for(f"{NAME}.blob_file", media_id=media.id)


def post_view(post: StoredPost) -> dict[str, Any]:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    view: dict[str, Any] = {
        "uri": post.extra["uri"], "cid": post.extra["cid"],
        "author": author_view(post.extra["did"], post.handle), "record": post.extra["record"],
        "replyCount": m.replies + len(own_replies(post)), "repostCount": m.reposts,
        "likeCount": m.likes, "quoteCount": m.quotes, "indexedAt": iso_z(post.created_at), "labels": [],
    }
    media = [x for x in (state.get_media(NAME, i) for i in post.media_ids) if x is not None]
    if media:
        view["embed"] = {"$type": f"{IMAGES}#view", "images": [
            {"thumb": image_url(x), "fullsize": image_url(x), "alt": x.alt_text} for x in media]}
    return view


def community_handle(author: str) -> str:
    return author.replace("_", "-").replace(".", "-").lower() + ".bsky.social"


def community_view(post: StoredPost, reply: Reply) -> dict[str, Any]:
    handle = community_handle(reply.author)
    did = did_for(handle)
    root = post.extra["record"].get("reply", {}).get("root") or {"uri": post.extra["uri"], "cid": post.extra["cid"]}
    record = {"$type": POST, "text": reply.text, "createdAt": iso_z(reply.created_at), "langs": ["en"],
              "reply": {"root": root, "parent": {"uri": post.extra["uri"], "cid": post.extra["cid"]}}}
    rkey = tid_at(reply.created_at.timestamp(), reply.id)
    return {"uri": f"at://{did}/{POST}/{rkey}", "cid": record_cid(record), "author": author_view(did, handle),
            "record": record, "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
            "indexedAt": iso_z(reply.created_at), "labels": []}


def thread_view(post: StoredPost, depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(post)}
    if depth > 0:
        state = sim_state()
        replies = [(r.created_at, {"$type": "app.bsky.feed.defs#threadViewPost",
                                   "post": community_view(post, r), "replies": []})
                   for r in visible_replies(post.id, post.created_at, state.age_seconds(post))]
        replies += [(own.created_at, thread_view(own, depth - 1)) for own in own_replies(post)]
        node["replies"] = [view for _, view in sorted(replies, key=lambda pair: pair[0])]
    return node


def with_parents(node: dict[str, Any], post: StoredPost, height: int) -> dict[str, Any]:
    current, parent_id = node, post.reply_to_id
    while parent_id and height > 0:
        parent = sim_state().get_post(NAME, parent_id)
        if parent is None:
            break
        current["parent"] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(parent)}
        current, parent_id, height = current["parent"], parent.reply_to_id, height - 1
    return node


def feed_item(post: StoredPost) -> FeedItem:
    state = sim_state()
    m = metrics_for(post.id, state.age_seconds(post))
    images = [FeedImage(url_for(f"{NAME}.blob_file", media_id=x.id), x.alt_text)
              for x in (state.get_media(NAME, i) for i in post.media_ids) if x is not None]
    parent = state.get_post(NAME, post.reply_to_id) if post.reply_to_id else None
    return FeedItem(id=post.id, handle=post.handle, text=post.text, created_at=post.created_at,
                    permalink=post.path, likes=m.likes, reposts=m.reposts,
                    replies=m.replies + len(own_replies(post)), views=m.views, images=images,
                    reply_to_url=parent.path if parent else None)
