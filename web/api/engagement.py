"""``GET /api/v1/engagement`` (totals, per platform, per campaign, top posts, within filters)
and ``GET /api/v1/posts/<id>/engagement`` (every snapshot of each of the post's targets).

Any role may read them. ``views`` is ``null`` where the platform does not report it (Mastodon,
Bluesky), never 0. Filters are checked before anything is read: a bad one is a 422 in the API's
error shape, naming the field (``from``/``to``: a day such as ``2027-04-11`` in the agency's
time, ``to`` included, or a time with its UTC offset; no range means all the history)."""

from __future__ import annotations

from flask import jsonify, request

from content_queue import engagement_stats as stats
from content_queue.services import get_post
from web.api.blueprint import bp
from web.api.common import api_actor, parse_int_param
from web.common.state import get_session, now
from web.api.openapi import document, op
from web.api.openapi_schemas import NULLABLE_INT, NULLABLE_TEXT, REQUIRED_TIME, TIME, obj
from web.engagement.filters import parse_filters
from content_queue.platforms import PLATFORMS

MAX_TOP = 50

_INT = {"type": "integer"}
_COUNTS = {"posts": _INT, "likes": _INT, "reposts": _INT, "replies": _INT,
           "views": NULLABLE_INT}
SCHEMAS = {
    "EngagementSummary": obj({
        "totals": obj({"likes": _INT, "reposts": _INT, "replies": _INT, "views": NULLABLE_INT}),
        "by_platform": {"type": "array", "items": obj({"platform": {"type": "string"},
                                                       **_COUNTS})},
        "by_campaign": {"type": "array", "items": obj({"campaign_id": NULLABLE_INT,
                                                       "name": {"type": "string"}, **_COUNTS})},
        "top_posts": {"type": "array", "items": obj({
            "post_id": _INT, "text": {"type": "string"}, "published_at": TIME,
            "platforms": {"type": "array", "items": {"type": "string"}}, **_COUNTS,
            "engagement": _INT})},
        "filters": obj({"from": TIME, "to": TIME, "campaign_id": NULLABLE_INT,
                        "account_id": NULLABLE_INT, "platform": NULLABLE_TEXT}),
    }),
    "PostEngagement": obj({"targets": {"type": "array", "items": obj({
        "target_id": _INT, "account_id": _INT, "platform": {"type": "string"},
        "published_at": TIME,
        "snapshots": {"type": "array", "items": obj({
            "at": REQUIRED_TIME, "likes": _INT, "reposts": _INT, "replies": _INT,
            "views": NULLABLE_INT})}})}}),
}
_BOUND = ("A day (2027-04-11, agency time; 'to' includes it) or a time with its UTC offset.")


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _counts(counts: stats.Counts) -> dict:
    return {"posts": counts.posts, "likes": counts.likes, "reposts": counts.reposts,
            "replies": counts.replies, "views": counts.views}


@bp.get("/engagement")
def engagement_summary():
    limit = parse_int_param("limit", stats.TOP_POSTS, maximum=MAX_TOP)
    actor = api_actor()
    session = get_session()
    chosen = parse_filters(session, actor, request.args, default_days=None, now=now())
    rows = stats.latest_rows(session, actor.agency_id, chosen.filters)
    totals = stats.count(rows)
    return jsonify(
        totals={"likes": totals.likes, "reposts": totals.reposts, "replies": totals.replies,
                "views": totals.views},
        by_platform=[{"platform": g.key, **_counts(g.counts)} for g in stats.by_platform(rows)],
        by_campaign=[{"campaign_id": g.key, "name": g.label, **_counts(g.counts)}
                     for g in stats.by_campaign(rows)],
        top_posts=[{"post_id": p.post_id, "text": p.text, "published_at": _iso(p.published_at),
                    "platforms": list(p.platforms), **_counts(p.counts),
                    "engagement": p.counts.engagement}
                   for p in stats.top_posts(rows, limit=limit)],
        filters={"from": _iso(chosen.filters.start), "to": _iso(chosen.filters.end),
                 "campaign_id": chosen.campaign_id, "account_id": chosen.account_id,
                 "platform": chosen.platform},
    )


@bp.get("/posts/<int:post_id>/engagement")
def post_engagement(post_id: int):
    session = get_session()
    post = get_post(session, api_actor(), post_id)
    targets = [t for t in post.targets]
    points = stats.snapshots_for(session, [t.id for t in targets])
    return jsonify(targets=[{
        "target_id": t.id,
        "account_id": t.account_id,
        "platform": t.account.platform,
        "published_at": _iso(t.published_at),
        "snapshots": [{"at": _iso(p.at), "likes": p.likes, "reposts": p.reposts,
                       "replies": p.replies, "views": p.views} for p in points[t.id]],
    } for t in targets])


document("/engagement", "GET", op(
    "Engagement totals, per platform, per campaign and top posts", "engagement",
    (200, "EngagementSummary", "What the latest snapshots say; views null: not reported."),
    errors=("422",),
    query=[("from", {"type": "string"}, "Published from. " + _BOUND),
           ("to", {"type": "string"}, "Published up to. " + _BOUND),
           ("campaign_id", {"type": "integer", "minimum": 1}, "Only this campaign's posts."),
           ("account_id", {"type": "integer", "minimum": 1}, "Only this account's posts."),
           ("platform", {"type": "string", "enum": list(PLATFORMS)}, "Only this platform."),
           ("limit", {"type": "integer", "minimum": 1, "default": stats.TOP_POSTS},
            f"How many top posts; more than {MAX_TOP} is lowered to {MAX_TOP}.")]),
    SCHEMAS)
document("/posts/<int:post_id>/engagement", "GET", op(
    "Every engagement snapshot of a post, per target", "engagement",
    (200, "PostEngagement", "Snapshots oldest first; views null: not reported."),
    errors=("404",)), SCHEMAS)
