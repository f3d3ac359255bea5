"""What a platform module hands to the core: its blueprint and its wire-format quirks.

The core (faults, auth, rate-limit headers, error pages) must answer in each
platform's own error shape and header names, so a platform describes those
here once instead of the core growing ``if platform == "x"`` branches.
Adding a platform = one module that builds a ``PlatformSpec`` and one line in
``simulator.platforms.all_platforms``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, jsonify

ErrorResponder = Callable[[int, str, str], Response]
RateLimitHeaders = Callable[[int, int, int], dict[str, str]]


class ApiError(Exception):
    """Raised by routes and helpers; the app renders it in the platform's error shape.

    Raising (instead of returning) lets helpers such as ``require_bearer`` stop a
    route from anywhere without every caller checking a return value.
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def json_error(status: int, code: str, message: str) -> Response:
    """The sandbox/control error shape: ``{"error": {"code", "message"}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def standard_rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    """Mastodon-style names, also used by the sandbox; X overrides with ``x-rate-limit-*``."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


@dataclass(frozen=True)
class PlatformSpec:
    """One simulated platform.

    ``name`` is both the URL prefix (``/<name>``) and the key in the shared stores.
    ``feed_endpoint`` is the endpoint of its HTML feed, listed on the index page.
    The rate limit is only reported in headers, never enforced; tests that need a
    429 queue a ``rate_limit`` fault, which is deterministic.
    """

    name: str
    title: str
    blueprint: Blueprint
    feed_endpoint: str | None = None
    error_response: ErrorResponder = json_error
    rate_limit_headers: RateLimitHeaders = standard_rate_limit_headers
    rate_limit: int = 300
    rate_window_seconds: int = 300
    description: str = ""
    #: Further first path segments whose requests belong to this platform when no route has
    #: claimed them (``context.claim_request``): Facebook and Instagram share one Graph host,
    #: served under ``/graph``, and each request is attributed to one of them by its object.
    path_prefixes: tuple[str, ...] = ()
