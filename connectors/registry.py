"""Pick a connector by platform name."""

from __future__ import annotations

from typing import Callable, Mapping

from content_queue.ports import PlatformConnector

Builder = Callable[..., PlatformConnector]


def _sandbox(**kw) -> PlatformConnector:
    from connectors.sandbox import SandboxConnector

    return SandboxConnector(**kw)


BUILDERS: dict[str, Builder] = {"sandbox": _sandbox}


def register(platform: str, builder: Builder) -> None:
    BUILDERS[platform] = builder


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
    try:
        builder = BUILDERS[platform]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}") from None
    base = api_base_url or (default_base_urls or {}).get(platform)
    return builder(handle=handle, credentials=dict(credentials), api_base_url=base)
