"""Pick a connector by platform name: ``connectors.<platform>.build(...)``.

Every connector the product uses is built here, so this is where the outbound allow-list is
enforced: an account whose base URL (or Mastodon server) is not among its platform's allowed
hosts, or whose handle would change the request path, gets no connector and no request is sent.
"""

from __future__ import annotations

import importlib
from typing import Mapping, Sequence

from content_queue.platforms import (
    PLATFORMS,
    allowed_hosts as default_allowed_hosts,
    handle_problem,
    host_refusal,
    instance_problem,
    url_allowed,
)
from content_queue.ports import Permanent, PlatformConnector


def target_base(platform: str, base: str | None, credentials: Mapping[str, str]) -> str | None:
    """The URL requests will go to, when it is not the platform's own built-in host."""
    if base:
        return base
    if platform == "mastodon" and credentials.get("instance_url"):
        instance = credentials["instance_url"].strip().rstrip("/")
        return instance if "://" in instance else "https://" + instance.lstrip("@").split("@")[-1]
    return None


def check_outbound(platform: str, base: str | None, *,
                   allowed_hosts: Mapping[str, Sequence[str]]) -> None:
    """Refuse (``Permanent``, reason ``host_not_allowed``) a base URL outside the allow-list."""
    if base and not url_allowed(base, allowed_hosts.get(platform, ())):
        raise Permanent(host_refusal(platform, base), reason="host_not_allowed")


def connector_for(
    platform: str,
    *,
    handle: str,
    credentials: Mapping[str, str],
    api_base_url: str | None,
    default_base_urls: Mapping[str, str] | None = None,
    allowed_hosts: Mapping[str, Sequence[str]] | None = None,
) -> PlatformConnector:
    """Build the connector for one account. ``api_base_url`` (the account's) wins over the
    configured default for the platform, which wins over the platform's real host.
    ``allowed_hosts`` defaults to the real hosts plus those of ``default_base_urls``."""
    if platform not in PLATFORMS:
        raise ValueError(f"no connector for platform {platform!r}")
    if handle and handle_problem(handle):
        raise Permanent(f"The account's handle {handle[:60]!r} cannot be used: "
                        f"{handle_problem(handle)}", reason="invalid_handle")
    if platform == "mastodon" and credentials.get("instance_url") and \
            instance_problem(credentials["instance_url"]):
        raise Permanent(instance_problem(credentials["instance_url"]) or "", reason="invalid_instance")
    base = api_base_url or (default_base_urls or {}).get(platform)
    allowed = allowed_hosts if allowed_hosts is not None else \
        default_allowed_hosts(dict(default_base_urls or {}))
    check_outbound(platform, target_base(platform, base, credentials), allowed_hosts=allowed)
    module = importlib.import_module(f"connectors.{platform}")
    return module.build(handle=handle, credentials=dict(credentials), api_base_url=base)
