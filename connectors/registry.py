"""Pick a connector by platform name: ``connectors.<platform>.build(...)``."""

from __future__ import annotations

import importlib
from typing import Mapping

from content_queue.platforms import PLATFORMS
from content_queue.ports import PlatformConnector


def connector_for(
    platform: str,
    *,
    handle: str,
    credentials: Mapping[str, str],
    api_base_url: str | None,
    default_base_urls: Mapping[str, str] | None = None,
) -> PlatformConnector:
    """Build the connector for one account. ``api_base_url`` (the account's) wins over the
    configured default for the platform, which wins over the platform's real host."""
    if platform not in PLATFORMS:
        raise ValueError(f"no connector for platform {platform!r}")
    module = importlib.import_module(f"connectors.{platform}")
    base = api_base_url or (default_base_urls or {}).get(platform)
    return module.build(handle=handle, credentials=dict(credentials), api_base_url=base)
