"""Sign-in throttling: failed attempts counted per e-mail and per client address with
Flask-Limiter, on the product's Redis when one is configured (so every web process shares the
count), in memory otherwise (and in tests).

Only failures are counted, so a center's dispatchers signing in at shift change from one
address are not slowed down; once either count is full the login answers 429 with when to try
again, the same words whether the e-mail exists or not, and even for the right password until
the window has passed.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from web.common.settings import WebSettings

EXTENSION = "tenfour_sign_in"


@dataclass(frozen=True)
class Lockout:
    """Sign-in is refused for ``retry_after`` seconds more."""

    retry_after: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return (f"Too many failed sign-ins. Wait {minutes} {unit} and try again; if you have "
                "forgotten your password, ask an admin of your center to reset it.")


class SignInGuard:
    def __init__(self, app: Flask, settings: WebSettings) -> None:
        storage = settings.redis_url if settings.redis_url and not settings.testing else "memory://"
        # No limits on routes: the guard counts failures itself, through the limiter's strategy.
        self.limiter = Limiter(get_remote_address, app=app, storage_uri=storage,
                               strategy="fixed-window", key_prefix="tenfour-sign-in",
                               default_limits=[], headers_enabled=False,
                               in_memory_fallback_enabled=True)
        self.per_email: RateLimitItem = parse(settings.login_limit_per_email)
        self.per_address: RateLimitItem = parse(settings.login_limit_per_address)
        app.extensions[EXTENSION] = self

    def _keys(self, email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        # The e-mail is hashed: the counters in Redis do not list who tried to sign in.
        who = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return [(self.per_email, ("email", who)),
                (self.per_address, ("address", request.remote_addr or "unknown"))]

    def lockout(self, email: str) -> Lockout | None:
        """The lockout in force for this e-mail or this client, if any."""
        waits = []
        for item, keys in self._keys(email):
            if not self.limiter.limiter.test(item, *keys):
                reset = self.limiter.limiter.get_window_stats(item, *keys).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return Lockout(max(waits)) if waits else None

    def record_failure(self, email: str) -> bool:
        """Count a failed sign-in; True when it filled a count (the moment to audit)."""
        filled = False
        for item, keys in self._keys(email):
            self.limiter.limiter.hit(item, *keys)
            if self.limiter.limiter.get_window_stats(item, *keys).remaining == 0:
                filled = True
        return filled


def guard() -> SignInGuard:
    return current_app.extensions[EXTENSION]
