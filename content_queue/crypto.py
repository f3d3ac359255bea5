"""Platform credentials at rest: Fernet with a list of keys, so keys can be rotated.

The first key encrypts; every key can decrypt. Rotation: put a new key first in
``TENFOUR_ENCRYPTION_KEYS``, run ``tenfour keys rotate`` (re-encrypts every account), then drop
the old key.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialsUnreadable(Exception):
    """No configured key opens these credentials (a key was removed too early)."""


class CredentialCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise CredentialsUnreadable(
                "These credentials cannot be decrypted with the configured keys."
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise CredentialsUnreadable(
                "These credentials cannot be decrypted with the configured keys."
            ) from None
