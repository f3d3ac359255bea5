"""Rate-limit headers on every platform API answer.

Connectors read these headers to pace themselves, so they must always be
present and plausible. The simulator counts requests per (platform, token) in a
fixed window but never refuses on its own: a 429 comes only from a queued
``rate_limit`` fault, which keeps tests deterministic.
"""

from __future__ import annotations

import time

from flask import Response, request

from simulator.auth import current_token
from simulator.context import sim_state
from simulator.platform import PlatformSpec


def add_rate_limit_headers(spec: PlatformSpec, response: Response) -> Response:
    """Count this request and set the platform's headers, unless a fault already set them."""
    caller = current_token() or request.remote_addr or "anonymous"
    remaining, reset = sim_state().count_request(
        spec.name, caller, spec.rate_limit, spec.rate_window_seconds, time.time()
    )
    for name, value in spec.rate_limit_headers(spec.rate_limit, remaining, reset).items():
        if name not in response.headers:
            response.headers[name] = value
    return response
