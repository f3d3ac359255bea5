"""Mastodon through Mastodon.py 2.3: one account on one instance.

Credentials (``content_queue.accounts.CREDENTIAL_FORMS``): ``instance_url`` and ``access_token``.
The account's ``api_base_url``, when set, replaces the instance URL (the simulator serves
instances at ``<simulator>/mastodon`` and ``<simulator>/mastodon/<name>``).

``client`` keys for OAuth (all optional): ``client_name`` (default "Tenfour") and ``website``.
Mastodon has no global app: ``oauth_start`` registers one on the instance the PIO names.

Choices that matter to workers:
* ``ratelimit_method="throw"``: a worker never sleeps inside the library; a 429 becomes
  ``RateLimited`` at the instance's ``X-RateLimit-Reset``.
* Every status carries an ``Idempotency-Key`` (the request's, else a fresh one), thread replies
  ``<key>:thread:<n>``; Mastodon answers a repeated key (for an hour) with the first status, so
  retrying a whole publish after any failure never duplicates a post.
* The text limit is the instance's own (``/api/v2/instance``), read once per connector.
* Statuses are ``visibility=public`` whatever the account's default (outreach must be seen).
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, Callable, Mapping, Sequence, TypeVar

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from connectors._http import TIMEOUT, parse_utc, upstream_summary
from content_queue.platforms import MediaFacts, check_post, rules_for
from content_queue.ports import (
    AccountInfo,
    AuthExpired,
    AuthorizeStart,
    ConnectorError,
    LinkedAccount,
    MediaItem,
    Metrics,
    Permanent,
    PublishRequest,
    PublishResult,
    RateLimited,
    RecentPost,
    Reply,
    RuleViolation,
    Transient,
    UnknownOutcome,
)

LABEL = "Mastodon"
SCOPES = ["read", "write"]
USER_AGENT = "Tenfour (+https://github.com/tenfour)"
BATCH = 20  # GET /api/v1/statuses?id[]= takes at most 20 ids (Mastodon ≥ 4.3)
PAGE = 40  # GET /api/v1/accounts/:id/statuses pages hold at most 40
#: How long to wait for an instance to process an uploaded image (202 Accepted).
PROCESSING_WAIT = 60.0

T = TypeVar("T")


class _Text(HTMLParser):
    """Mastodon's ``content`` is HTML; reconciliation and replies need the plain text back."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self.paragraphs:
                self.parts.append("\n\n")
            self.paragraphs += 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content or "")
    parser.close()
    return "".join(parser.parts)


def _server_message(error: MastodonAPIError) -> str:
    """Mastodon.py raises ``(text, status, reason, error_message)``; the last is the server's."""
    args = error.args
    if len(args) >= 4 and args[3]:
        return str(args[3])
    if len(args) >= 3 and args[2]:
        return str(args[2])
    return str(args[0]) if args else error.__class__.__name__


def _status(error: MastodonAPIError) -> int | None:
    return error.args[1] if len(error.args) >= 2 and isinstance(error.args[1], int) else None


def _never_reached(error: BaseException | None) -> bool:
    """True when the request certainly did not reach the instance (no connection was made)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = error.args[0]
        return isinstance(reason, MaxRetryError) and isinstance(reason.reason, ConnectTimeoutError)
    return False


class MastodonConnector:
    platform = "mastodon"
    refreshed_credentials = None

    def __init__(self, *, handle: str, credentials: Mapping[str, str], api_base_url: str | None = None,
                 session: requests.Session | None = None) -> None:
        self.handle = handle
        self.base = (api_base_url or _normalize_instance(credentials["instance_url"])).rstrip("/")
        self.api = Mastodon(access_token=credentials["access_token"], api_base_url=self.base,
                            ratelimit_method="throw", request_timeout=TIMEOUT, session=session,
                            user_agent=USER_AGENT)
        self._instance: Any = None
        self._account_id: str | None = None

    # -- the port --------------------------------------------------------------------------

    def check(self, request: PublishRequest) -> list[RuleViolation]:
        """The rules with the instance's own limit; the default limit if the instance is unreachable."""
        try:
            max_chars = self._max_characters()
        except ConnectorError:
            max_chars = None
        return self._violations(request, max_chars)

    def verify(self) -> AccountInfo:
        me = self._call(self.api.account_verify_credentials)
        self._account_id = str(me["id"])
        extra = {"account_id": self._account_id, "instance": self.base}
        try:  # the instance's own text limit, kept on the account (issue 8)
            extra["max_characters"] = self._max_characters()
        except ConnectorError:
            pass
        return AccountInfo(handle=f"{me['username']}@{self._domain()}",
                           display_name=me.get("display_name") or me["username"],
                           extra=extra)

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self._violations(request, self._max_characters())
        if problems:
            raise Permanent(" ".join(p.message for p in problems), reason=problems[0].rule)
        media_ids = [self._upload(item, n) for n, item in enumerate(request.media, start=1)]
        key = request.idempotency_key or uuid.uuid4().hex
        status = self._call(lambda: self.api.status_post(request.text, media_ids=media_ids or None,
                                                         visibility="public", idempotency_key=key),
                            sends_post=True)
        thread_ids: list[str] = []
        parent = str(status["id"])
        for n, text in enumerate(request.thread, start=1):
            reply = self._call(lambda: self.api.status_post(text, in_reply_to_id=parent, visibility="public",
                                                            idempotency_key=f"{key}:thread:{n}"),
                               sends_post=True)
            parent = str(reply["id"])
            thread_ids.append(parent)
        return PublishResult(platform_post_id=str(status["id"]), permalink=status["url"] or status["uri"],
                             published_at=parse_utc(status["created_at"]), thread_post_ids=thread_ids)

    def recent_posts(self, since: datetime | None = None, limit: int = 20) -> list[RecentPost]:
        account = self._own_account_id()
        found: list[RecentPost] = []
        max_id: str | None = None
        while len(found) < limit:
            page = self._call(lambda: self.api.account_statuses(account, limit=min(PAGE, limit - len(found)),
                                                                 max_id=max_id))
            if not page:
                break
            for status in page:
                created = parse_utc(status["created_at"])
                if since is not None and created < since:
                    return found
                found.append(RecentPost(str(status["id"]), html_to_text(status["content"]),
                                        status["url"] or status["uri"], created))
            max_id = str(page[-1]["id"])
        return found[:limit]

    def fetch_metrics(self, platform_post_ids: Sequence[str]) -> list[Metrics]:
        ids = list(dict.fromkeys(platform_post_ids))
        statuses: list[Any] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            try:
                statuses.extend(self._call(lambda: self.api.statuses(chunk), raw=True))
            except MastodonNotFoundError:  # before 4.3 there is no batch endpoint: one by one
                statuses.extend(s for s in (self._status_or_none(i) for i in chunk) if s is not None)
        return [Metrics(str(s["id"]), likes=s["favourites_count"], reposts=s["reblogs_count"],
                        replies=s["replies_count"]) for s in statuses]

    def fetch_replies(self, platform_post_id: str) -> list[Reply]:
        """Replies by others anywhere under the post (the account's own thread parts excluded)."""
        context = self._call(lambda: self.api.status_context(platform_post_id))
        own = self._own_account_id()
        return [Reply(str(s["id"]), platform_post_id, s["account"]["acct"], html_to_text(s["content"]),
                      parse_utc(s["created_at"]), url=s.get("url") or None)
                for s in context["descendants"] if str(s["account"]["id"]) != own]

    # -- plumbing --------------------------------------------------------------------------

    def _violations(self, request: PublishRequest, max_chars: int | None) -> list[RuleViolation]:
        media = [MediaFacts(m.mime_type, len(m.data), m.alt_text) for m in request.media]
        problems = check_post(self.platform, request.text, media, max_chars=max_chars)
        for n, text in enumerate(request.thread, start=1):
            for problem in check_post(self.platform, text, max_chars=max_chars):
                problems.append(RuleViolation(problem.platform, problem.rule,
                                              f"{problem.message} (thread post {n})"))
        return problems

    def _instance_info(self) -> Any:
        if self._instance is None:
            self._instance = self._call(self.api.instance_v2)
        return self._instance

    def _max_characters(self) -> int:
        try:
            value = self._instance_info()["configuration"]["statuses"]["max_characters"]
        except (KeyError, TypeError):
            value = None
        return int(value) if value else rules_for(self.platform).max_chars

    def _domain(self) -> str:
        try:
            return str(self._instance_info()["domain"])
        except (KeyError, TypeError, ConnectorError):
            return self.base.split("://", 1)[-1].split("/", 1)[0]

    def _own_account_id(self) -> str:
        if self._account_id is None:
            self.verify()
        assert self._account_id is not None
        return self._account_id

    def _status_or_none(self, status_id: str) -> Any:
        try:
            return self._call(lambda: self.api.status(status_id), raw=True)
        except MastodonNotFoundError:
            return None

    def _upload(self, item: MediaItem, n: int) -> str:
        media = self._call(lambda: self.api.media_post(item.data, mime_type=item.mime_type,
                                                       description=item.alt_text, file_name=item.filename))
        deadline = time.monotonic() + PROCESSING_WAIT
        delay = 0.1
        while media.get("url") is None:  # 202 Accepted: the instance is still processing it
            if time.monotonic() + delay > deadline:
                raise Transient(f"{LABEL} is still processing image {n}; the post will be retried.")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            media = self._call(lambda: self.api.media(media["id"]))
        return str(media["id"])

    def _call(self, fn: Callable[[], T], *, sends_post: bool = False, raw: bool = False) -> T:
        """Run one Mastodon.py call; errors become the port's taxonomy (``raw`` keeps 404s)."""
        try:
            return fn()
        except MastodonNotFoundError:
            if raw:
                raise
            raise Permanent(f"{LABEL} could not find that post or account (404).", reason="not_found") from None
        except MastodonError as error:
            raise self._mapped(error, sends_post=sends_post) from error

    def _mapped(self, error: MastodonError, *, sends_post: bool) -> Exception:
        if isinstance(error, MastodonRatelimitError):
            reset = self.api.ratelimit_reset
            retry_at = datetime.fromtimestamp(reset, timezone.utc) if reset else None
            when = f" until {retry_at:%H:%M:%S} UTC" if retry_at else ""
            return RateLimited(f"{LABEL} is rate-limiting this account{when}.", retry_at)
        if isinstance(error, MastodonUnauthorizedError):
            return AuthExpired(f"{LABEL} refused the access token ({_server_message(error)}).")
        if isinstance(error, MastodonServerError):
            return Transient(f"{LABEL} had a server error ({_status(error) or 'unknown'}).")
        if isinstance(error, MastodonNetworkError):
            cause = error.__context__
            if _never_reached(cause):
                return Transient(f"{LABEL} ({self.base}) could not be reached.")
            if sends_post:
                return UnknownOutcome(f"{LABEL} dropped the connection after the post was sent; "
                                      "it may have been published.")
            return Transient(f"{LABEL} did not answer ({cause.__class__.__name__ if cause else 'network'}).")
        if isinstance(error, MastodonAPIError):
            status, message = _status(error), _server_message(error)
            if status == 403 and "scope" in message.lower():
                return AuthExpired(f"{LABEL} says the token lacks a permission "
                                   f"({upstream_summary(status, message)}).")
            if status is None:  # an answer that was not Mastodon's JSON (a proxy page, say)
                return Transient(f"{LABEL} gave an answer Tenfour could not read.")
            reason = "validation" if status == 422 else f"http_{status}"
            return Permanent(f"{LABEL} refused the post ({upstream_summary(status, message)}).",
                             reason=reason)
        if isinstance(error, MastodonIllegalArgumentError):
            return Permanent(f"{LABEL}: {error}", reason="invalid_request")
        return Permanent(f"{LABEL}: {error}", reason="refused")


def _normalize_instance(instance_url: str) -> str:
    """``mastodon.social`` → ``https://mastodon.social``; keeps an explicit scheme and path."""
    url = instance_url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url.lstrip("@").split("@")[-1]
    return url


def build(*, handle: str, credentials: Mapping[str, str], api_base_url: str | None) -> MastodonConnector:
    return MastodonConnector(handle=handle, credentials=credentials, api_base_url=api_base_url)


# -- connecting an account (OAuth 2 with an app registered per instance) -------------------------


def _instance_and_base(instance_url: str | None, api_base_url: str | None) -> tuple[str, str]:
    if not (instance_url or api_base_url):
        raise Permanent(f"{LABEL}: give the address of the account's server (for example mastodon.social).",
                        reason="instance_missing")
    instance = _normalize_instance(instance_url or api_base_url or "")
    return instance, (api_base_url or instance).rstrip("/")


def oauth_start(*, redirect_uri: str, api_base_url: str | None, client: dict,
                instance_url: str | None = None) -> AuthorizeStart:
    """Register Tenfour on the instance (``POST /api/v1/apps``) and build its consent URL."""
    instance, base = _instance_and_base(instance_url, api_base_url)
    answers: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: answers.append(response))
    try:
        client_id, client_secret = Mastodon.create_app(
            client.get("client_name") or "Tenfour", scopes=SCOPES, redirect_uris=redirect_uri,
            website=client.get("website"), api_base_url=base, request_timeout=TIMEOUT,
            session=session, user_agent=USER_AGENT)
    except (KeyError, TypeError):
        detail = _json_error(answers[-1]) if answers else "no answer"
        raise Permanent(f"{LABEL} ({instance}) refused to register Tenfour: {detail}",
                        reason="app_registration") from None
    except MastodonError as error:
        raise Transient(f"{LABEL} ({instance}) could not be reached to register Tenfour.") from error
    state = secrets.token_urlsafe(24)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                   ratelimit_method="throw", request_timeout=TIMEOUT, user_agent=USER_AGENT)
    try:
        url = api.auth_request_url(redirect_uris=redirect_uri, scopes=SCOPES, state=state,
                                   allow_http=base.startswith("http://"))
    except MastodonError as error:
        raise Transient(f"{LABEL} ({instance}) did not describe its sign-in page.") from error
    return AuthorizeStart(url=url, state=state, secrets={
        "client_id": client_id, "client_secret": client_secret, "instance_url": instance, "api_base_url": base})


def oauth_finish(*, callback_params: dict, start: AuthorizeStart, redirect_uri: str,
                 api_base_url: str | None, client: dict) -> list[LinkedAccount]:
    """Exchange the code (``POST /oauth/token``) and read the account it belongs to."""
    if callback_params.get("error"):
        raise Permanent(f"{LABEL}: the connection was not authorized "
                        f"({callback_params.get('error_description') or callback_params['error']}).",
                        reason="access_denied")
    if not secrets.compare_digest(str(callback_params.get("state") or ""), start.state):
        raise Permanent(f"{LABEL}: the sign-in answer does not match this request; start again.",
                        reason="state_mismatch")
    code = callback_params.get("code")
    if not code:
        raise Permanent(f"{LABEL}: the sign-in answer has no authorization code.", reason="code_missing")
    base = start.secrets["api_base_url"]
    api = Mastodon(client_id=start.secrets["client_id"], client_secret=start.secrets["client_secret"],
                   api_base_url=base, ratelimit_method="throw", request_timeout=TIMEOUT, user_agent=USER_AGENT)
    try:
        token = api.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES,
                           allow_http=base.startswith("http://"))
    except MastodonIllegalArgumentError as error:
        raise Permanent(f"{LABEL} refused the authorization code ({error}); start again.",
                        reason="invalid_grant") from error
    except MastodonError as error:
        raise Permanent(f"{LABEL} did not grant the permissions Tenfour needs ({error}).",
                        reason="scope") from error
    connector = MastodonConnector(handle="", credentials={"instance_url": start.secrets["instance_url"],
                                                          "access_token": token}, api_base_url=base)
    info = connector.verify()
    return [LinkedAccount(platform="mastodon", handle=info.handle, display_name=info.display_name,
                          credentials={"instance_url": start.secrets["instance_url"], "access_token": token},
                          api_base_url=base,
                          limits={k: info.extra[k] for k in ("max_characters",) if k in info.extra})]


def _json_error(response: requests.Response) -> str:
    try:
        return upstream_summary(response.status_code, response.json().get("error"))
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"
