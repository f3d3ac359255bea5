"""Request-time lookups shared by every blueprint: the state, the public base URL, the platform.

Kept apart from ``app.py`` so platform modules can import these helpers without
importing the app factory (which imports the platform modules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, g, request

from simulator.platform import PlatformSpec
from simulator.state import SimState

EXTENSION_KEY = "simulator"
_PAGE_ATTR = "_simulator_page"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class SimContext:
    """What ``create_app`` stores in ``app.extensions["simulator"]``."""

    state: SimState
    public_url: str | None
    platforms: dict[str, PlatformSpec] = field(default_factory=dict)


def sim_context() -> SimContext:
    context: SimContext = current_app.extensions[EXTENSION_KEY]
    return context


def sim_state() -> SimState:
    return sim_context().state


def public_base() -> str:
    """Base of permalinks: the configured public URL, else the URL the caller used.

    Using the caller's host keeps links clickable when the simulator runs on an
    ephemeral port in tests; ``public_url`` fixes them behind a proxy.
    """
    configured = sim_context().public_url
    return (configured or request.host_url).rstrip("/")


def platform_spec(name: str) -> PlatformSpec:
    return sim_context().platforms[name]


def claim_request(name: str) -> None:
    """Attribute this request to platform ``name`` (log, rate-limit headers, error shape, faults).

    For URL prefixes several platforms share (``PlatformSpec.path_prefixes``); call it before
    anything that may raise, e.g. in the shared blueprint's ``before_request``.
    """
    g.sim_platform = name


def request_platform() -> PlatformSpec | None:
    """The platform this request belongs to: the one a route claimed, else the one whose URL
    prefix (or one of its ``path_prefixes``) this request is under, also for unmatched paths."""
    platforms = sim_context().platforms
    claimed = g.get("sim_platform")
    if claimed in platforms:
        return platforms[claimed]
    first = request.path.lstrip("/").split("/", 1)[0]
    if first in platforms:
        return platforms[first]
    return next((spec for spec in platforms.values() if first in spec.path_prefixes), None)


def page(view: F) -> F:
    """Mark a view as an HTML page: not logged, no rate-limit headers, HTML errors."""
    setattr(view, _PAGE_ATTR, True)
    return view


def is_page_request() -> bool:
    if request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, _PAGE_ATTR, False))


def is_platform_api_request() -> bool:
    """API calls of a platform: what gets logged, counted and answered in JSON."""
    return request_platform() is not None and not is_page_request()
