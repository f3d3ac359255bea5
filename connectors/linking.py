"""Connecting accounts: the ``content_queue.ports.AccountLinker`` the web app is given.

Dispatches to each platform module's ``oauth_start`` / ``oauth_finish`` (X, Facebook and
Instagram through Facebook Login, Mastodon with per-instance app registration) and checks
credentials typed in by hand (Bluesky app passwords, API registrations) with the connector's
``verify``.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Mapping, Sequence

from connectors.registry import check_outbound, connector_for, target_base
from content_queue.platforms import PLATFORMS, allowed_hosts as default_allowed_hosts, instance_problem
from content_queue.ports import AccountInfo, AuthorizeStart, LinkedAccount, Permanent

#: Platforms whose accounts are connected through an OAuth consent screen; which module has it.
OAUTH_MODULES = {"x": "x", "facebook": "facebook", "instagram": "facebook", "mastodon": "mastodon"}


class Linker:
    def __init__(self, clients: Mapping[str, Mapping[str, str]],
                 default_base_urls: Mapping[str, str],
                 allowed_hosts: Mapping[str, Sequence[str]] | None = None) -> None:
        self.clients = clients
        self.default_base_urls = default_base_urls
        self.allowed_hosts = allowed_hosts if allowed_hosts is not None else \
            default_allowed_hosts(dict(default_base_urls))

    def supports_oauth(self, platform: str) -> bool:
        return platform in OAUTH_MODULES

    def _module(self, platform: str):
        if platform not in OAUTH_MODULES:
            raise ValueError(f"{platform} accounts are not connected through OAuth")
        return importlib.import_module(f"connectors.{OAUTH_MODULES[platform]}")

    def _base(self, platform: str, api_base_url: str | None,
              instance_url: str | None = None) -> str | None:
        """The base URL to use, refused (``Permanent``) when outside the allow-list."""
        if platform == "mastodon" and instance_url and instance_problem(instance_url):
            raise Permanent(instance_problem(instance_url) or "", reason="invalid_instance")
        base = api_base_url or self.default_base_urls.get(platform)
        check_outbound(platform, target_base(platform, base, {"instance_url": instance_url or ""}),
                       allowed_hosts=self.allowed_hosts)
        return base

    def _client(self, platform: str) -> dict:
        key = "facebook" if platform == "instagram" else platform
        return dict(self.clients.get(key, {}))

    def oauth_start(self, platform: str, *, redirect_uri: str, api_base_url: str | None,
                    instance_url: str | None = None) -> AuthorizeStart:
        return self._module(platform).oauth_start(
            redirect_uri=redirect_uri, api_base_url=self._base(platform, api_base_url, instance_url),
            client=self._client(platform), instance_url=instance_url)

    def oauth_finish(self, platform: str, *, callback_params: dict, start: AuthorizeStart,
                     redirect_uri: str, api_base_url: str | None) -> list[LinkedAccount]:
        check_outbound(platform, (start.secrets or {}).get("api_base_url"),
                       allowed_hosts=self.allowed_hosts)
        return self._module(platform).oauth_finish(
            callback_params=callback_params, start=start, redirect_uri=redirect_uri,
            api_base_url=self._base(platform, api_base_url), client=self._client(platform))

    def verify(self, platform: str, *, handle: str, credentials: dict,
               api_base_url: str | None) -> AccountInfo:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        connector = connector_for(platform, handle=handle, credentials=credentials,
                                  api_base_url=api_base_url,
                                  default_base_urls=self.default_base_urls,
                                  allowed_hosts=self.allowed_hosts)
        info = connector.verify()
        fresh = getattr(connector, "refreshed_credentials", None)
        if not fresh:
            return info
        # X rotates its refresh token on renewal: the caller must store the new one.
        return replace(info, extra={**info.extra, "refreshed_credentials": fresh})
