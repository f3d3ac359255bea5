"""Fault injection: make the next write fail the way real networks fail.

A write route calls ``apply_faults(platform, request_kind)`` after checking the
token and before doing any work. It consumes at most one queued fault and
either returns the response to send (429, 503, 401, 403) or ``None`` to carry on
(``slow`` has already slept; ``drop_after_accept`` has armed the drop).

``drop_after_accept`` is the "unknown outcome" case Tenfour must reconcile: the
post is stored but the client never hears back. The route runs normally; when
its response is a success, ``after_request`` (see ``app.py``) calls
``arm_drop_if_pending`` which flags the WSGI environ. ``DropConnectionMiddleware``
sits outside Flask, sees the flag once the response (and the request log entry)
is complete, shuts the client socket down (``environ["werkzeug.socket"]``) and
returns an empty body. Werkzeug then fails to write the status line, treats it
as a dropped connection, and the client reads EOF with no status line —
``requests`` raises ``ConnectionError`` (``RemoteDisconnected``), while the post
is already in the store.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, g, request

from simulator.auth import current_token
from simulator.context import platform_spec, sim_state
from simulator.state import Fault

DROP_ENVIRON_KEY = "simulator.drop_connection"
WRITE_KINDS = ("post", "media")


class ConnectionDropped(Exception):
    """Raised instead of dropping when no real socket exists (e.g. Flask's test client)."""


def apply_faults(platform: str, request_kind: str) -> Response | None:
    """Consume one queued fault for this write; return its response, or None to proceed.

    ``request_kind`` names the kind of write ("post", "media", or a platform's own
    step such as "container"), so a fault can target one of them.
    """
    fault = sim_state().take_fault(platform, request_kind, request.path)
    if fault is None:
        return None
    g.sim_fault = fault.kind
    return _fault_response(platform, fault)


def _fault_response(platform: str, fault: Fault) -> Response | None:
    spec = platform_spec(platform)
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return None
    if fault.kind == "drop_after_accept":
        g.sim_drop_pending = True
        return None
    if fault.kind == "rate_limit":
        retry_after = max(0, int(round(fault.retry_after)))
        response = spec.error_response(429, "rate_limited", "Too many requests; retry after the reset time.")
        response.headers["Retry-After"] = str(retry_after)
        reset = int(time.time()) + retry_after
        response.headers.update(spec.rate_limit_headers(spec.rate_limit, 0, reset))
        return response
    if fault.kind == "server_error":
        return spec.error_response(503, "unavailable", "The service is temporarily unavailable; try again later.")
    if fault.kind == "revoke_token":
        token = current_token()
        if token:
            sim_state().revoke(platform, token)
        return spec.error_response(401, "token_revoked", "This access token has been revoked; reconnect the account.")
    if fault.kind == "duplicate":
        return spec.error_response(403, "duplicate", "duplicate content")
    raise ValueError(f"unknown fault kind {fault.kind!r}")


def arm_drop_if_pending(response: Response) -> bool:
    """Flag the connection for dropping if a drop fault fired and the write succeeded.

    Only successes are dropped: "after accept" means the platform kept the post.
    """
    if not g.get("sim_drop_pending") or response.status_code >= 400:
        return False
    request.environ[DROP_ENVIRON_KEY] = True
    return True


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class DropConnectionMiddleware:
    """Closes the client's TCP connection instead of sending a flagged response."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        result = self.app(environ, start_response)
        if not environ.get(DROP_ENVIRON_KEY):
            return result
        close = getattr(result, "close", None)
        if close is not None:
            close()
        sock = environ.get("werkzeug.socket")
        if sock is None:
            raise ConnectionDropped("drop_after_accept needs werkzeug's server (no socket in environ)")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client may already be gone; dropped either way
        return []
