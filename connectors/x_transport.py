"""How the X connector reaches X: host redirection, timeouts, and HTTP status → tweepy errors.

tweepy 4.17 writes ``https://api.twitter.com`` into every URL inside ``BaseClient.request``
and sends without a timeout. Instead of patching tweepy, a transport adapter mounted on the
client's ``requests`` session rewrites the real X hosts to ``api_base_url`` (the simulator)
and puts a timeout on every request. OAuth 1.0a signatures are computed before the
adapter runs, so they are still over the real X URL, as X expects.
"""

from __future__ import annotations

from datetime import datetime, timezone

import requests
import tweepy
from connectors._http import TIMEOUT, HostRewriteAdapter, retry_at_from_headers
from content_queue.ports import (
    AuthExpired,
    ConnectorError,
    Permanent,
    RateLimited,
    Transient,
    UnknownOutcome,
)

#: Where the connector's own requests go (tweepy's go to api.twitter.com; both are X).
X_API = "https://api.x.com"
REAL_HOSTS = ("https://api.twitter.com", "https://api.x.com",
              "https://upload.twitter.com", "https://upload.x.com")


def mount_transport(session: requests.Session, api_base_url: str | None) -> None:
    """Every X host to ``api_base_url`` (when set), and a timeout tweepy leaves out."""
    HostRewriteAdapter(api_base_url, REAL_HOSTS, timeout=TIMEOUT).mount_on(session)


def raise_for_status(response: requests.Response) -> requests.Response:
    """tweepy's status → exception mapping, for the requests tweepy cannot make (media, tokens)."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    errors = {400: tweepy.BadRequest, 401: tweepy.Unauthorized, 403: tweepy.Forbidden,
              404: tweepy.NotFound}
    if status in errors:
        raise errors[status](response)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    raise tweepy.HTTPException(response)


# -- errors -------------------------------------------------------------------------------
def _retry_at(response: requests.Response | None, reset_time: int | None) -> datetime | None:
    """The 15-minute window's reset, or the 24-hour cap's when that one is used up."""
    moments = []
    if reset_time:
        moments.append(datetime.fromtimestamp(reset_time, timezone.utc))
    headers = response.headers if response is not None else {}
    for scope in ("user", "app"):
        remaining = headers.get(f"x-{scope}-limit-24hour-remaining")
        reset = headers.get(f"x-{scope}-limit-24hour-reset", "")
        if remaining == "0" and reset.isdigit():
            moments.append(datetime.fromtimestamp(int(reset), timezone.utc))
    if not moments and response is not None:
        return retry_at_from_headers(response.headers)
    return max(moments) if moments else None


def _detail(exc: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in exc.api_messages) or str(exc)


def map_error(exc: Exception, *, sends_post: bool = False) -> ConnectorError:
    """One place that turns tweepy's and requests' exceptions into the port's taxonomy.

    ``sends_post``: the request creates a post, so a connection lost after sending it may
    mean X published it (an unknown outcome, to reconcile), not a plain failure.
    """
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, tweepy.TooManyRequests):
        retry_at = _retry_at(exc.response, exc.reset_time)
        when = f" until {retry_at:%H:%M:%S} UTC" if retry_at else ""
        return RateLimited(f"X is rate-limiting this account{when}.", retry_at)
    if isinstance(exc, tweepy.Unauthorized):
        return AuthExpired("X refused the account's access token (expired or revoked); "
                           "reconnect the account.")
    if isinstance(exc, tweepy.Forbidden):
        detail = _detail(exc)
        if "duplicate" in detail.lower():
            return Permanent("X refused this as a duplicate of a recent post from the account.",
                             reason="duplicate")
        return Permanent(f"X refused the request: {detail}", reason="forbidden")
    if isinstance(exc, tweepy.BadRequest):
        return Permanent(f"X refused the request: {_detail(exc)}", reason="invalid_request")
    if isinstance(exc, tweepy.NotFound):
        return Permanent(f"X could not find it: {_detail(exc)}", reason="not_found")
    if isinstance(exc, tweepy.TwitterServerError):
        return Transient(f"X had a server error ({exc.response.status_code}); will retry.")
    if isinstance(exc, tweepy.HTTPException):
        return Permanent(f"X refused the request: {_detail(exc)}", reason="refused")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Transient("X did not answer (connection timed out).")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        if sends_post:
            return UnknownOutcome("X did not answer in time; the post may have been published.")
        return Transient("X did not answer in time.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        if sends_post and not _refused(exc):
            return UnknownOutcome("X dropped the connection after the post was sent; "
                                  "it may have been published.")
        return Transient("X could not be reached.")
    if isinstance(exc, (requests.RequestException, ValueError)):
        return Transient(f"X answered in a way the connector did not understand "
                         f"({exc.__class__.__name__}).")
    return Transient(f"X request failed ({exc.__class__.__name__}).")


def _refused(exc: Exception) -> bool:
    """Refused connections never reached X (nothing can have been published)."""
    text = repr(exc)
    return "Connection refused" in text or "NewConnectionError" in text or "NameResolution" in text
