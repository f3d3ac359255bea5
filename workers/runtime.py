"""Per-process resources for workers and the scheduler loop: settings, database, cipher.

Built lazily on first use and rebuilt nowhere: forked worker children only dispose the pooled
connections they inherited (``worker_process_init``), never share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from connectors.registry import connector_for
from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.media import media_signature
from content_queue.models import MediaAsset
from content_queue.ports import PlatformConnector
from tenfour.config import Settings, load_settings


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def cipher(self) -> CredentialCipher:
        return CredentialCipher(self.settings.encryption_keys)

    def public_media_url(self, asset: MediaAsset) -> str:
        """Where platforms that fetch images themselves (Instagram) find this one."""
        sig = media_signature(asset.id, asset.sha256, self.settings.secret_key)
        return f"{self.settings.public_base_url}/media/public/{asset.id}/{sig}"

    def connector(self, platform: str, handle: str, credentials_encrypted: str,
                  api_base_url: str | None) -> PlatformConnector:
        return connector_for(platform, handle=handle,
                             credentials=self.cipher.decrypt(credentials_encrypted),
                             api_base_url=api_base_url,
                             default_base_urls=self.settings.default_base_urls)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(load_settings())
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """For tests and the CLI: use these settings instead of reading the environment."""
    global _runtime
    _runtime = runtime
