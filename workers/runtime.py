"""Per-process resources for workers and the scheduler loop: settings, database, cipher.

The composition root builds one :class:`Runtime` from the settings it read and installs it with
:func:`set_runtime` before the worker or the scheduler starts; tasks reach it with
:func:`get_runtime`. Its parts are built on first use and rebuilt nowhere: forked worker
children only dispose the pooled connections they inherited (``worker_process_init``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

from connectors.registry import connector_for
from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.media import media_signature
from content_queue.models import MediaAsset
from content_queue.ports import PlatformConnector
from workers.settings import WorkerSettings

#: Connectors a worker thread keeps (one per account it posted to lately).
CONNECTORS_PER_THREAD = 64


@dataclass
class Runtime:
    settings: WorkerSettings

    @cached_property
    def db(self) -> Database:
        # A thread pool's threads each hold a connection while they publish (PostgreSQL).
        return Database(self.settings.database_url,
                        pool_size=max(5, self.settings.worker_concurrency + 2))

    @cached_property
    def call_pool(self) -> ThreadPoolExecutor:
        """Threads on which one publish task's accounts call their platforms side by side
        (publishing is network-bound: a chunk's posts for five accounts take one platform
        call's time, not five). Sized like the worker's own pool."""
        return ThreadPoolExecutor(max_workers=max(2, self.settings.worker_concurrency),
                                  thread_name_prefix="tenfour-publish")

    @cached_property
    def cipher(self) -> CredentialCipher:
        return CredentialCipher(self.settings.encryption_keys)

    def public_media_url(self, asset: MediaAsset) -> str:
        """Where platforms that fetch images themselves (Instagram) find this one."""
        sig = media_signature(asset.id, asset.sha256, self.settings.secret_key)
        return f"{self.settings.public_base_url}/media/public/{asset.id}/{sig}"

    _connectors: threading.local = field(default_factory=threading.local, repr=False)

    def connector(self, platform: str, handle: str, credentials_encrypted: str,
                  api_base_url: str | None) -> PlatformConnector:
        """The account's connector, kept per thread for the account's current credentials: a
        burst on one account reuses its HTTP connection (and the client library's login)
        instead of a new TCP connection, a Fernet decryption and a new client per post.

        A thread's connectors are its own (client libraries' sessions are not thread-safe). A
        connector that renewed its tokens is used once more only: its new credentials are
        saved, which changes the key, so the next post builds one from what was saved."""
        key = (platform, handle, credentials_encrypted, api_base_url)
        cache: OrderedDict | None = getattr(self._connectors, "cache", None)
        if cache is None:
            cache = self._connectors.cache = OrderedDict()
        found = cache.get(key)
        if found is not None and not getattr(found, "refreshed_credentials", None):
            cache.move_to_end(key)
            return found
        built = connector_for(platform, handle=handle,
                              credentials=self.cipher.decrypt(credentials_encrypted),
                              api_base_url=api_base_url,
                              default_base_urls=self.settings.default_base_urls,
                              allowed_hosts=self.settings.allowed_hosts)
        cache[key] = built
        cache.move_to_end(key)
        while len(cache) > CONNECTORS_PER_THREAD:
            cache.popitem(last=False)
        return built


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
