"""The settings every test process runs with: its own database, instance folder and keys.

One function, so a per-test fixture and a per-module one (a worker shared by a module's
tests) build exactly the same thing.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from cryptography.fernet import Fernet

from tenfour.config import Settings, load_settings


def make_test_settings(db_url: str, instance_dir: Path) -> Settings:
    """Settings on ``db_url`` with fresh secrets, a quick scheduler tick and nothing written
    outside ``instance_dir``."""
    base = load_settings({
        "TENFOUR_INSTANCE_DIR": str(instance_dir),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret-" + secrets.token_hex(8),
        "TENFOUR_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TENFOUR_TESTING": "1",
    })
    return replace(base, scheduler_tick_seconds=0.1)
