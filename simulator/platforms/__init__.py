"""The registry of simulated platforms.

A new platform (x, facebook, instagram, mastodon, bluesky) is one module in this
package exposing ``PLATFORM: PlatformSpec`` plus one line below; the app factory,
control API, fault hook, request log and rate-limit headers pick it up.
"""

from __future__ import annotations

from simulator.platform import PlatformSpec


def all_platforms() -> list[PlatformSpec]:
    """Every platform, in the order the index page lists them."""
    from simulator.platforms import sandbox

    return [sandbox.PLATFORM]
