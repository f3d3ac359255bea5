"""What the Facebook and Instagram connectors share: both speak the Graph API on
graph.facebook.com — one version, one host override, one error taxonomy.

Graph judges by the body, not the HTTP status: every failure is ``{"error": {"message",
"type", "code", "error_subcode"?, "is_transient"?}}``. :func:`map_graph_error` turns the code
families into Tenfour's errors; rate limits say when to come back in usage headers, in whole
minutes (``estimated_time_to_regain_access``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlparse

import requests
from connectors._http import HostRewriteAdapter, retry_at_from_headers
from content_queue.ports import (
    AuthExpired,
    ConnectorError,
    Permanent,
    RateLimited,
    Transient,
    UnknownOutcome,
)

#: The one Graph API version Tenfour calls (released 2026-02-18, available until 2028-07-29;
#: v26.0 exists since 2026-07-29). Change it here and nowhere else.
GRAPH_API_VERSION = "v25.0"
GRAPH_HOST = "https://graph.facebook.com"
DIALOG_HOST = "https://www.facebook.com"
#: When a throttle names no time to come back.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
AUTH_CODES = frozenset({102, 104, 190})
TRANSIENT_CODES = frozenset({1, 2, -1, -2})
IMAGE_CODES = frozenset({36000, 36001, 36003, 36004, 36005})
PERMISSION_RE = re.compile(r"\b(pages_[a-z_]+|instagram_[a-z_]+|read_insights|business_management)\b")


def graph_base(api_base_url: str | None) -> str:
    """The host part: the account's ``api_base_url`` stands for https://graph.facebook.com."""
    return (api_base_url or GRAPH_HOST).rstrip("/")


def versioned_base(api_base_url: str | None) -> str:
    return f"{graph_base(api_base_url)}/{GRAPH_API_VERSION}"


def graph_session(api_base_url: str | None) -> requests.Session:
    session = requests.Session()
    if api_base_url and graph_base(api_base_url) != GRAPH_HOST:
        HostRewriteAdapter(graph_base(api_base_url), (GRAPH_HOST,)).mount_on(session)
    return session


def first_url(text: str) -> str | None:
    match = re.search(r"https?://[^\s<>\"']+", text)
    return match.group(0).rstrip(".,;:!?)]}") if match else None


def publicly_reachable(url: str) -> bool:
    """False for URLs Meta's servers can never fetch: not http(s), localhost, private networks."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    host = parsed.hostname
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


# -- rate limits ---------------------------------------------------------------------------------
def _regain_minutes(raw: str | None) -> int:
    """The largest ``estimated_time_to_regain_access`` in a usage header (0 when none)."""
    if not raw:
        return 0
    try:
        data = json.loads(raw)
    except ValueError:
        return 0
    entries: list[Any] = []
    if isinstance(data, dict):
        if "estimated_time_to_regain_access" in data:
            entries.append(data)
        for value in data.values():
            if isinstance(value, list):
                entries.extend(value)
    minutes = 0
    for entry in entries:
        if isinstance(entry, dict):
            try:
                minutes = max(minutes, int(entry.get("estimated_time_to_regain_access") or 0))
            except (TypeError, ValueError):
                continue
    return minutes


def usage_retry_at(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """When a throttled account may call again: the usage headers' regain time (minutes),
    else a ``Retry-After`` (which Graph itself does not send, but proxies and the simulator do),
    else None."""
    now = now or datetime.now(timezone.utc)
    headers = requests.structures.CaseInsensitiveDict(headers)
    minutes = max(_regain_minutes(headers.get("X-Business-Use-Case-Usage")),
                  _regain_minutes(headers.get("X-App-Usage")))
    if minutes > 0:
        return now + timedelta(minutes=minutes)
    return retry_at_from_headers(headers, now)


# -- errors --------------------------------------------------------------------------------------
def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def map_graph_error(error: Mapping[str, Any], *, label: str, headers: Mapping[str, str] | None,
                    permission_hint: str, now: datetime | None = None) -> ConnectorError:
    """One Graph error body (the ``error`` object) → the taxonomy, in words for a PIO."""
    now = now or datetime.now(timezone.utc)
    code, subcode = _as_int(error.get("code")), _as_int(error.get("error_subcode"))
    detail = str(error.get("error_user_msg") or error.get("message") or "no details given")
    if code in AUTH_CODES:
        return AuthExpired(f"{label} no longer accepts this account's access token ({detail}). "
                           "Reconnect the account.")
    if code == 9 and subcode == 2207042:
        return RateLimited(f"{label} allows 50 posts per 24 hours through its API and this account "
                           "has reached it; will retry in an hour.", now + timedelta(hours=1))
    if code in RATE_LIMIT_CODES:
        retry_at = usage_retry_at(headers or {}, now) or now + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(f"{label} is rate-limiting this account until {retry_at:%H:%M:%S} UTC "
                           f"({detail}).", retry_at)
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return Transient(f"{label} had a temporary problem ({detail}).")
    if code == 9007:
        return Transient(f"{label} was still processing the media ({detail}).")
    if code in PERMISSION_CODES:
        named = sorted(set(PERMISSION_RE.findall(detail))) or [permission_hint]
        return Permanent(f"{label} refused: the app lacks the {' and '.join(named)} permission for "
                         f"this account. Reconnect the account and grant it. ({detail})", reason="permission")
    if code == 368:
        return Permanent(f"{label} blocked this post as against its policies or as possible spam "
                         f"({detail}).", reason="blocked")
    if code == 506:
        return Permanent(f"{label} refused this as a duplicate of a recent post.", reason="duplicate")
    if code == 9004 or subcode == 2207052:
        return Permanent(f"{label} could not download the image ({detail}).", reason="media_fetch_failed")
    if code in IMAGE_CODES:
        return Permanent(f"{label} refused the image or caption ({detail}).", reason="invalid_media")
    if code == 100:
        return Permanent(f"{label} refused a parameter of the request ({detail}).", reason="invalid_parameter")
    return Permanent(f"{label} refused the request ({detail}).", reason=f"graph_{code}")


def transport_error(exc: requests.RequestException, *, label: str, writing: bool) -> ConnectorError:
    """A request that got no answer: may the write have been accepted?"""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Transient(f"{label} did not answer ({exc.__class__.__name__}).")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        if writing:
            return UnknownOutcome(f"{label} did not answer in time; the post may have been published.")
        return Transient(f"{label} did not answer in time.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        refused = "Connection refused" in repr(exc) or "NewConnectionError" in repr(exc)
        if writing and not refused:
            return UnknownOutcome(f"{label} dropped the connection after the post was sent; "
                                  "it may have been published.")
        return Transient(f"{label} could not be reached.")
    return Transient(f"{label} request failed ({exc.__class__.__name__}).")

