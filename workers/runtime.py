"""Per-process resources for workers and the scheduler loop: settings, database, cipher.

The composition root builds one :class:`Runtime` from the settings it read and installs it with
:func:`set_runtime` before the worker or the scheduler starts; tasks reach it with
:func:`get_runtime`. Its parts are built on first use and rebuilt nowhere: forked worker
children only dispose the pooled connections they inherited (``worker_process_init``).
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
from workers.settings import WorkerSettings


@dataclass
class Runtime:
    settings: WorkerSettings

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
                             default_base_urls=self.settings.default_base_urls,
                             allowed_hosts=self.settings.allowed_hosts)


_runtime: Runtime | None = None


class RuntimeNotConfigured(RuntimeError):
    """A task ran in a process whose composition root never installed a runtime."""


def get_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeNotConfigured(
            "workers.runtime.set_runtime() was not called: start workers with `tenfour worker` "
            "(or build the app with tenfour.worker_app.build_celery)")
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Install this process's runtime (the composition root does, once; tests may too)."""
    global _runtime
    _runtime = runtime
