"""What Facebook Pages and Instagram share on the simulated Graph API host: errors, tokens,
usage headers, field lists, times, paging.

Graph errors are judged by the body, not the status: ``{"error": {"message", "type", "code",
"error_subcode"?, "is_transient"?, "fbtrace_id"}}``, HTTP 400 for most, 500 for codes 1/2.
A route raises :func:`graph_error`; the core's own codes (faults, auth) are translated by the
responder :func:`error_responder` into the Graph code a real client would see.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import Response, g, jsonify, request

from simulator.auth import authenticate, bearer_token
from simulator.context import sim_state
from simulator.platform import ApiError, ErrorResponder, RateLimitHeaders

#: Graph API versions a client may call in late 2026 (v20.0 expired on 2026-09-24; calls to an
#: expired version are auto-upgraded by the real API, so the simulator accepts any ``vN.N``
#: and records it in the request log — tests assert the version the connector sends).
VERSION_RE = re.compile(r"^v\d{1,2}\.\d$")
#: Instagram professional account ids start with 1784 and have 17 digits.
IG_USER_RE = re.compile(r"^1784\d{13}$")
PAGE_ID_RE = re.compile(r"^\d{5,20}$")
#: Tokens the simulator's OAuth issues: user tokens start with EAAU, page tokens with EAAP.
#: Any other non-empty token is accepted as a Page token (like the sandbox's "any token").
USER_TOKEN_PREFIX = "EAAU"
PAGE_TOKEN_PREFIX = "EAAP"

#: Core error codes (faults, auth, HTTP errors) → (status, Graph code, subcode, message).
_CORE_ERRORS: dict[str, tuple[int, int, int | None, str]] = {
    "unavailable": (500, 2, None, "An unexpected error has occurred. Please retry your request later."),
    "internal_error": (500, 1, None, "An unknown error occurred"),
    "token_revoked": (400, 190, 460, "Error validating access token: The session has been invalidated "
                      "because the user changed their password or Facebook has changed the session for "
                      "security reasons."),
    "unauthorized": (400, 104, None, "An access token is required to request this resource."),
    "duplicate": (400, 506, None, "Duplicate status message"),
    "not_found": (400, 2500, None, "Unknown path components"),
    "method_not_allowed": (400, 100, None, "Unsupported request - method type not allowed"),
    "request_entity_too_large": (400, 100, None, "The request is too large"),
}


def graph_error(status: int, code: int, message: str, subcode: int | None = None,
                type_: str = "OAuthException") -> ApiError:
    """An ApiError that the Graph responder renders with exactly this code and subcode."""
    return ApiError(status, f"#{code}/{subcode or ''}/{type_}", message)


def _body(status: int, code: int, subcode: int | None, message: str, type_: str) -> Response:
    error: dict[str, Any] = {"message": message if code in (1, 2, 104, 190, 2500) else f"(#{code}) {message}",
                             "type": type_, "code": code}
    if subcode:
        error["error_subcode"] = subcode
    if code in (1, 2, -1, -2):
        error["is_transient"] = True
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)[:20]
    response = jsonify({"error": error})
    response.status_code = status
    return response


def error_responder(rate_limit_code: int, rate_limit_message: str) -> ErrorResponder:
    """The platform's ``error_response``: Graph bodies for route errors and core codes alike.

    A queued ``rate_limit`` fault becomes the platform's business-use-case throttle (Pages:
    80001, Instagram: 80002); Graph never answers 429, so the status is 400.
    """

    def respond(status: int, code: str, message: str) -> Response:
        if code.startswith("#"):
            number, subcode, type_ = code[1:].split("/", 2)
            return _body(status, int(number), int(subcode) if subcode else None, message, type_)
        if code == "rate_limited":
            return _body(400, rate_limit_code, None, rate_limit_message, "OAuthException")
        status, number, subcode, text = _CORE_ERRORS.get(code, (400, 100, None, message))
        return _body(status, number, subcode, text, "OAuthException")

    return respond


def usage_headers(use_case: str) -> RateLimitHeaders:
    """Graph's usage headers: ``X-App-Usage`` and ``X-Business-Use-Case-Usage``.

    ``estimated_time_to_regain_access`` is in whole minutes, like Meta's; a wait shorter than
    a minute shows as 0. The business id is the Page or Instagram account of the request.
    """

    def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
        used = 100 if remaining <= 0 else min(99, round(100 * (limit - remaining) / max(limit, 1)))
        regain = max(0, math.floor((reset - time.time()) / 60)) if remaining <= 0 else 0
        business = g.get("graph_business_id") or "0"
        entry = {"type": use_case, "call_count": used, "total_cputime": max(0, used - 3),
                 "total_time": max(0, used - 2), "estimated_time_to_regain_access": regain}
        return {
            "X-App-Usage": json.dumps({"call_count": used, "total_cputime": max(0, used - 3),
                                       "total_time": max(0, used - 2)}),
            "X-Business-Use-Case-Usage": json.dumps({business: [entry]}),
        }

    return headers


# -- tokens ----------------------------------------------------------------------------------
def request_token() -> str | None:
    """Graph takes ``access_token`` as a query or form parameter, or a bearer header."""
    return request.values.get("access_token") or bearer_token()


def require_token(platform: str) -> str:
    """Accept the token or raise; one token serves both Facebook and Instagram, so a token
    revoked under either platform is refused by both."""
    token = request_token()
    other = "instagram" if platform == "facebook" else "facebook"
    if token and sim_state().is_revoked(other, token):
        raise ApiError(401, "token_revoked", "revoked")
    return authenticate(platform, token)


def is_user_token(token: str) -> bool:
    return token.startswith(USER_TOKEN_PREFIX)


def page_token_for(user_token: str, page_id: str) -> str:
    """A stable Page token per (user token, Page), so /me/accounts answers the same each time."""
    digest = hashlib.sha256(f"{user_token}:{page_id}".encode()).hexdigest()[:40]
    return f"{PAGE_TOKEN_PREFIX}{digest}"


# -- fields, times, paging -------------------------------------------------------------------
def parse_fields(raw: str | None) -> dict[str, str]:
    """``a,b.limit(0),c{d,e},insights.metric(x,y)`` → {"a": "", "b": ".limit(0)", ...}.

    Only top-level names matter to the simulator; the rest is kept for the few fields that
    read it (``insights.metric(...)``).
    """
    fields: dict[str, str] = {}
    depth, start = 0, 0
    text = raw or ""
    for i, ch in enumerate(text + ","):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = text[start:i].strip()
            start = i + 1
            if part:
                name = re.split(r"[.{(]", part, maxsplit=1)[0]
                fields[name] = part[len(name):]
    return fields


def metric_list(modifier: str) -> list[str]:
    """The metrics of ``.metric(a,b)`` in a field modifier."""
    match = re.search(r"metric\(([^)]*)\)", modifier)
    return [m.strip() for m in match.group(1).split(",") if m.strip()] if match else []


def graph_time(moment: datetime) -> str:
    """Graph's timestamps: ``2026-11-25T20:45:10+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_since(raw: str | None) -> datetime | None:
    """``since`` as Unix seconds or an ISO date/time, as Graph accepts."""
    if not raw:
        return None
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw), UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise graph_error(400, 100, "Invalid parameter: since must be a Unix time or an ISO 8601 time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def limit_arg(default: int = 25, high: int = 100) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise graph_error(400, 100, f"Param limit must be a number from 0 to {high}")
    return int(raw)


def page_of(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """One page of an edge; the simulator never needs more than the first page's cursors."""
    body: dict[str, Any] = {"data": items[:limit]}
    if items:
        body["paging"] = {"cursors": {"before": "QVFIUbefore", "after": "QVFIUafter"}}
    return body


def select(obj: dict[str, Any], fields: dict[str, str], default: tuple[str, ...]) -> dict[str, Any]:
    """Only the asked-for fields (plus ``id``), like Graph; ``default`` when none are asked."""
    wanted = list(fields) or list(default)
    out = {"id": obj["id"]}
    for name in wanted:
        if name in obj and obj[name] is not None:
            out[name] = obj[name]
    return out
