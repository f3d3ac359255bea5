"""A worker thread keeps each account's connector for its current credentials (one HTTP
connection per account and thread, not a new client per post), and never shares it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cryptography.fernet import Fernet

from content_queue.crypto import CredentialCipher
from workers.runtime import CONNECTORS_PER_THREAD, Runtime



@dataclass
class Settings:
    encryption_keys: tuple[str, ...] = field(
        default_factory=lambda: (Fernet.generate_key().decode(),))
    default_base_urls: dict = field(default_factory=lambda: {
        "sandbox": "http://127.0.0.1:9/sandbox"})
    allowed_hosts: dict = field(default_factory=lambda: {"sandbox": ("127.0.0.1:9",)})


def _runtime() -> tuple[Runtime, CredentialCipher]:
    rt = Runtime(Settings())
    return rt, rt.cipher


def test_the_same_account_gets_the_same_connector_in_one_thread() -> None:
    rt, cipher = _runtime()
    sealed = cipher.encrypt({"access_token": "a"})
    first = rt.connector("sandbox", "metro911", sealed, None)
    assert rt.connector("sandbox", "metro911", sealed, None) is first
    assert rt.connector("sandbox", "careers", sealed, None) is not first


def test_new_credentials_build_a_new_connector() -> None:
    rt, cipher = _runtime()
    first = rt.connector("sandbox", "metro911", cipher.encrypt({"access_token": "a"}), None)
    second = rt.connector("sandbox", "metro911", cipher.encrypt({"access_token": "b"}), None)
    assert second is not first
    assert second.session.headers["Authorization"] == "Bearer b"


def test_a_connector_that_renewed_its_tokens_is_not_reused() -> None:
    rt, cipher = _runtime()
    sealed = cipher.encrypt({"access_token": "a"})
    first = rt.connector("sandbox", "metro911", sealed, None)
    first.refreshed_credentials = {"access_token": "renewed"}
    assert rt.connector("sandbox", "metro911", sealed, None) is not first


def test_each_thread_has_its_own() -> None:
    rt, cipher = _runtime()
    sealed = cipher.encrypt({"access_token": "a"})
    mine = rt.connector("sandbox", "metro911", sealed, None)
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(
        rt.connector("sandbox", "metro911", sealed, None)))
    thread.start()
    thread.join()
    assert theirs[0] is not mine


def test_a_thread_keeps_a_bounded_number() -> None:
    rt, cipher = _runtime()
    sealed = cipher.encrypt({"access_token": "a"})
    oldest = rt.connector("sandbox", "h0", sealed, None)
    for n in range(1, CONNECTORS_PER_THREAD + 1):
        rt.connector("sandbox", f"h{n}", sealed, None)
    assert len(rt._connectors.cache) == CONNECTORS_PER_THREAD
    assert rt.connector("sandbox", "h0", sealed, None) is not oldest
