"""The registry of simulated platforms.

A platform (sandbox, x, facebook, instagram, mastodon, bluesky) is one module in this package
exposing ``PLATFORM: PlatformSpec``; it is found here by name, and the app factory, control API,
fault hook, request log and rate-limit headers pick it up.
"""

from __future__ import annotations

import importlib

from simulator.platform import PlatformSpec

#: The order the index page lists them in; a module that is not there yet is skipped.
ORDER = ("sandbox", "x", "facebook", "instagram", "mastodon", "bluesky")


def all_platforms() -> list[PlatformSpec]:
    """Every platform whose module exists, in :data:`ORDER`."""
    specs = []
    for name in ORDER:
        try:
            module = importlib.import_module(f"simulator.platforms.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"simulator.platforms.{name}":
                raise
            continue
        specs.append(module.PLATFORM)
    return specs
