"""Facebook Pages through facebook-sdk 3.1.0 (``facebook.GraphAPI``), as the Page itself.

Credentials: ``page_id``, ``page_access_token``. OAuth ``client`` keys: ``app_id``,
``app_secret`` (the Meta app's; Facebook Login for Business).

Two facts about the 2018 library shape this module:

* its constructor accepts only versions up to 3.1 (``VALID_API_VERSIONS``), so
  :func:`make_graph` sets ``graph.version`` after construction — the one place that knows;
* it builds every URL from the module constant ``FACEBOOK_GRAPH_URL``, so another host
  (``api_base_url``, e.g. the simulator's ``/graph``) is reached through a transport adapter on
  the connector's own ``requests`` session, never by changing the global.

It returns bodies, not responses; a session hook keeps the last response (per thread) so rate
limits can read the usage headers.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlencode

import facebook
import requests

from connectors._http import TIMEOUT, parse_utc
from connectors.graph_common import (
    DIALOG_HOST,
    GRAPH_API_VERSION,
    first_url,
    graph_session,
    map_graph_error,
    transport_error,
)
from content_queue.platforms import MediaFacts, check_post
from content_queue.ports import (
    AccountInfo,
    AuthorizeStart,
    ConnectorError,
    LinkedAccount,
    MediaItem,
    Metrics,
    Permanent,
    PublishRequest,
    PublishResult,
    RecentPost,
    Reply,
    RuleViolation,
    Transient,
    UnknownOutcome,
)

log = logging.getLogger("tenfour.connectors.facebook")

LABEL = "Facebook"
PERMISSION_HINT = "pages_manage_posts"
#: Facebook Login permissions for Pages and the Instagram accounts linked to them.
#: instagram_manage_insights and instagram_manage_comments are needed for Instagram metrics
#: and comments (the Instagram connector reads both).
SCOPES = ("pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_read_user_content",
          "read_insights", "instagram_basic", "instagram_content_publish", "instagram_manage_insights",
          "instagram_manage_comments", "business_management")
BATCH = 50  # ids per ``GET /?ids=`` call
POST_FIELDS = "id,message,permalink_url,created_time"
COUNT_FIELDS = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"


def make_graph(access_token: str | None, api_base_url: str | None,
               session: requests.Session | None = None) -> facebook.GraphAPI:
    """A GraphAPI on our Graph version and host (see the module docstring for why this way)."""
    graph = facebook.GraphAPI(access_token=access_token, timeout=TIMEOUT,
                              session=session or graph_session(api_base_url))
    graph.version = GRAPH_API_VERSION  # the constructor refuses anything newer than 3.1
    return graph


class _LastResponse(threading.local):
    response: requests.Response | None = None


class GraphCaller:
    """Runs one facebook-sdk call and maps whatever it raises into the taxonomy."""

    def __init__(self, graph: facebook.GraphAPI, label: str = LABEL,
                 permission_hint: str = PERMISSION_HINT) -> None:
        self.graph = graph
        self.label = label
        self.permission_hint = permission_hint
        self._last = _LastResponse()
        graph.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.response = response

    def __call__(self, fn: Callable[..., Any], *args: Any, writing: bool = False, **kwargs: Any) -> Any:
        self._last.response = None
        try:
            return fn(*args, **kwargs)
        except facebook.GraphAPIError as exc:
            raise self._graph_error(exc, writing) from exc
        except KeyError as exc:
            # facebook-sdk reads headers["content-type"]: an answer without one raises KeyError.
            raise self._unreadable(writing) from exc
        except requests.RequestException as exc:
            raise transport_error(exc, label=self.label, writing=writing) from exc

    def _status(self) -> int:
        response = self._last.response
        return response.status_code if response is not None else 0

    def _unreadable(self, writing: bool) -> ConnectorError:
        if writing and 200 <= self._status() < 300:
            return UnknownOutcome(f"{self.label} accepted the request but its answer could not be read; "
                                  "the post may have been published.")
        return Transient(f"{self.label} sent an answer that could not be read (HTTP {self._status()}).")

    def _graph_error(self, exc: facebook.GraphAPIError, writing: bool) -> ConnectorError:
        result = exc.result
        if isinstance(result, dict) and isinstance(result.get("error"), dict):
            headers = self._last.response.headers if self._last.response is not None else {}
            return map_graph_error(result["error"], label=self.label, headers=headers,
                                   permission_hint=self.permission_hint)
        if isinstance(result, str) and result.startswith("Maintype"):
            return self._unreadable(writing)
        return Permanent(f"{self.label} refused the request ({exc.message}).")


class FacebookConnector:
    platform = "facebook"
    refreshed_credentials = None

    def __init__(self, *, handle: str, credentials: Mapping[str, str], api_base_url: str | None = None,
                 session: requests.Session | None = None) -> None:
        self.handle = handle
        self.page_id = credentials["page_id"]
        self.graph = make_graph(credentials["page_access_token"], api_base_url, session)
        self.call = GraphCaller(self.graph)

    # -- the port ------------------------------------------------------------------------------
    def check(self, request: PublishRequest) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        return check_post(self.platform, request.text, media)

    def verify(self) -> AccountInfo:
        page = self.call(self.graph.get_object, self.page_id, fields="name,username,link")
        return AccountInfo(handle=page.get("username") or page["id"], display_name=page.get("name", ""),
                           extra={"page_id": page["id"], "link": page.get("link")})

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.check(request)
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        if not request.media:
            args = {"message": request.text}
            link = first_url(request.text)
            if link:
                args["link"] = link  # the link card; Facebook does not build one from the text alone
            post_id = self.call(self.graph.put_object, self.page_id, "feed", writing=True, **args)["id"]
        elif len(request.media) == 1:
            body = self._photo(request.media[0], published=True, message=request.text)
            post_id = body.get("post_id") or body["id"]
        else:
            photo_ids = [self._photo(item, published=False)["id"] for item in request.media]
            attached = {f"attached_media[{i}]": json.dumps({"media_fbid": photo_id})
                        for i, photo_id in enumerate(photo_ids)}
            post_id = self.call(self.graph.put_object, self.page_id, "feed", writing=True,
                                message=request.text, **attached)["id"]
        permalink, published_at = self._details(post_id)
        return PublishResult(platform_post_id=post_id, permalink=permalink, published_at=published_at,
                             thread_post_ids=self._first_comments(post_id, request.thread))

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        args: dict[str, Any] = {"fields": POST_FIELDS, "limit": max(1, min(limit, 100))}
        if since is not None:
            args["since"] = int(since.timestamp())
        body = self.call(self.graph.get_connections, self.page_id, "published_posts", **args)
        posts = [RecentPost(p["id"], p.get("message") or "", p.get("permalink_url") or _fallback_link(p["id"]),
                            parse_utc(p["created_time"])) for p in body.get("data", [])]
        return [p for p in posts if since is None or p.created_at >= since][:limit]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        ids = list(dict.fromkeys(platform_post_ids))
        out: list[Metrics] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            counts = self._objects(chunk, COUNT_FIELDS)
            views = self._impressions([i for i in chunk if i in counts])
            for post_id, body in counts.items():
                out.append(Metrics(
                    post_id,
                    likes=_summary_count(body.get("reactions")),
                    reposts=int((body.get("shares") or {}).get("count", 0)),
                    replies=_summary_count(body.get("comments")),
                    impressions=views.get(post_id)))
        return out

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        body = self.call(self.graph.get_connections, platform_post_id, "comments",
                         fields="id,message,created_time,from{id,name}", order="chronological",
                         filter="stream", limit=100)
        replies = []
        for c in body.get("data", []):
            author = c.get("from") or {}
            if author.get("id") == self.page_id:
                continue  # the Page's own comments (a first comment) are not community replies
            # Without pages_read_user_content, or for some users, Facebook omits ``from``.
            replies.append(Reply(c["id"], platform_post_id, author.get("name") or "a Facebook user",
                                 c.get("message", ""), parse_utc(c["created_time"])))
        return replies

    # -- plumbing --------------------------------------------------------------------------------
    def _photo(self, item: MediaItem, *, published: bool, message: str | None = None) -> dict:
        args: dict[str, Any] = {"alt_text_custom": item.alt_text, "published": "true" if published else "false"}
        if message:
            args["message"] = message
        return self.call(self.graph.put_photo, (item.filename, item.data, item.mime_type),
                         album_path=f"{self.page_id}/photos", writing=published, **args)

    def _details(self, post_id: str) -> tuple[str, datetime]:
        """Permalink and time of a post just made; never fails (the post exists already)."""
        try:
            body = self.call(self.graph.get_object, post_id, fields="permalink_url,created_time")
            return (body.get("permalink_url") or _fallback_link(post_id),
                    parse_utc(body["created_time"]) if body.get("created_time") else _now())
        except (ConnectorError, KeyError, ValueError) as exc:
            log.warning("facebook: post %s published; its details could not be read: %s", post_id, exc)
            return _fallback_link(post_id), _now()

    def _first_comments(self, post_id: str, thread: Sequence[str]) -> list[str]:
        """The thread as comments by the Page. The post is already up, so a failure here must not
        fail the publish (a retry would post it twice); it is logged and the ids stop short."""
        ids: list[str] = []
        for text in thread:
            try:
                ids.append(self.call(self.graph.put_object, post_id, "comments", writing=True,
                                     message=text)["id"])
            except ConnectorError as exc:
                log.warning("facebook: first comment on %s failed: %s", post_id, exc.message,
                            extra={"platform": "facebook", "platform_post_id": post_id})
                break
        return ids

    def _objects(self, ids: list[str], fields: str) -> dict[str, dict]:
        """``GET /?ids=…`` for many posts; one that is gone makes Graph refuse the whole call,
        so on a refusal each id is asked alone and the missing ones are skipped."""
        try:
            return dict(self.call(self.graph.get_objects, ids, fields=fields))
        except Permanent:
            found = {}
            for post_id in ids:
                try:
                    found[post_id] = self.call(self.graph.get_object, post_id, fields=fields)
                except Permanent:
                    continue
            return found

    def _impressions(self, ids: list[str]) -> dict[str, int]:
        """``post_media_view`` per post (it replaced ``post_impressions`` on 2025-11-15).
        Insights need read_insights and enough audience; without them counts stay unknown."""
        if not ids:
            return {}
        try:
            bodies = self.call(self.graph.get_objects, ids, fields="insights.metric(post_media_view)")
        except Permanent as exc:
            log.info("facebook: no impressions for this Page: %s", exc.message)
            return {}
        views = {}
        for post_id, body in bodies.items():
            for metric in (body.get("insights") or {}).get("data", []):
                if metric.get("name") == "post_media_view" and metric.get("values"):
                    views[post_id] = int(metric["values"][0].get("value") or 0)
        return views


def _summary_count(edge: dict | None) -> int:
    return int(((edge or {}).get("summary") or {}).get("total_count", 0))


def _fallback_link(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> FacebookConnector:
    return FacebookConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)


# -- connecting Pages (and their Instagram accounts) with Facebook Login ----------------------------
def oauth_start(*, redirect_uri: str, api_base_url: str | None, client: dict,
                instance_url: str | None = None) -> AuthorizeStart:
    """The Login dialog URL (www.facebook.com, or ``<api_base_url>/<version>/dialog/oauth``)."""
    state = secrets.token_urlsafe(24)
    base = api_base_url.rstrip("/") if api_base_url else DIALOG_HOST
    query = urlencode({"client_id": client["app_id"], "redirect_uri": redirect_uri, "state": state,
                       "scope": ",".join(SCOPES), "response_type": "code"})
    return AuthorizeStart(url=f"{base}/{GRAPH_API_VERSION}/dialog/oauth?{query}", state=state)


def oauth_finish(*, callback_params: dict, start: AuthorizeStart, redirect_uri: str,
                 api_base_url: str | None, client: dict) -> list[LinkedAccount]:
    """Code → user token → long-lived user token → the Pages the user manages.

    One LinkedAccount per Page (Page token; Page tokens from a long-lived user token do not
    expire) and one per Instagram professional account linked to a Page (same Page token).
    """
    if callback_params.get("error"):
        reason = callback_params.get("error_description") or callback_params["error"]
        raise Permanent(f"{LABEL}: the connection was not authorized ({reason}).", reason="access_denied")
    if not hmac.compare_digest(str(callback_params.get("state", "")).encode(), start.state.encode()):
        raise Permanent(f"{LABEL}: the sign-in answer does not match this connection attempt; "
                        "start again.", reason="state_mismatch")
    code = callback_params.get("code")
    if not code:
        raise Permanent(f"{LABEL}: the sign-in answer carried no code; start again.", reason="no_code")
    app_id, app_secret = client["app_id"], client["app_secret"]
    graph = make_graph(None, api_base_url)
    call = GraphCaller(graph)
    short = call(graph.get_access_token_from_code, code, redirect_uri, app_id, app_secret)
    graph.access_token = short["access_token"]
    long = call(graph.extend_access_token, app_id, app_secret)
    graph.access_token = long["access_token"]
    pages = call(lambda: list(graph.get_all_connections(
        "me", "accounts", fields="id,name,username,access_token,instagram_business_account{id,username}",
        limit=100)))
    linked: list[LinkedAccount] = []
    for page in pages:
        token = page.get("access_token")
        if not token:
            continue  # the user cannot act as this Page
        linked.append(LinkedAccount(
            platform="facebook", handle=page.get("username") or page["id"], display_name=page.get("name", ""),
            credentials={"page_id": page["id"], "page_access_token": token}, api_base_url=api_base_url))
        ig = page.get("instagram_business_account")
        if ig and ig.get("id"):
            linked.append(LinkedAccount(
                platform="instagram", handle=ig.get("username") or ig["id"],
                display_name=f"{ig.get('username') or ig['id']} ({page.get('name', '')})",
                credentials={"ig_user_id": ig["id"], "access_token": token}, api_base_url=api_base_url))
    return linked
