"""Demo data for `tenfour run`: an agency, a demo admin whose password is printed, and sandbox
accounts pointing at the local simulator. Idempotent: a second run creates nothing."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import select

from content_queue.accounts import add_account
from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.models import SocialAccount
from content_queue.passwords import generate_password
from content_queue.users import create_user, find_user, get_or_create_agency
from tenfour.config import Settings

DEMO_EMAIL = "admin@tenfour.local"
DEMO_ACCOUNTS = [
    ("metro911", "Metro 911 Communications"),
    ("metro911_careers", "Metro 911 Careers"),
]


def _store_password(path, password: str) -> None:
    """Keep the demo password (and only the demo's) so every `make run` can print it again."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")


def bootstrap(settings: Settings, database: Database) -> Iterator[str]:
    now = datetime.now(timezone.utc)
    password_file = settings.instance_dir / "demo-admin-password"
    cipher = CredentialCipher(settings.encryption_keys)
    with database.session_scope() as s:
        agency = get_or_create_agency(s, settings.agency_name, settings.agency_timezone, now)
        admin = find_user(s, DEMO_EMAIL)
        password = None
        if admin is None:
            password = generate_password()
            admin = create_user(s, agency_id=agency.id, email=DEMO_EMAIL, role="admin",
                                password=password, now=now, display_name="Demo admin")
            settings.instance_dir.mkdir(parents=True, exist_ok=True)
            _store_password(password_file, password)
        elif password_file.exists():
            password = password_file.read_text().strip()
        existing = set(s.scalars(select(SocialAccount.handle)
                                 .where(SocialAccount.platform == "sandbox")))
        for handle, name in DEMO_ACCOUNTS:
            if handle not in existing:
                add_account(s, cipher, actor=admin, platform="sandbox", handle=handle,
                            display_name=name, credentials={"access_token": f"demo-{handle}"},
                            now=now)
                yield f"Connected sandbox account @{handle}."
    yield f"Demo admin: {DEMO_EMAIL}"
    if password:
        yield f"Password: {password}"
    else:
        yield "Password: (set earlier; reset it with `tenfour users set-password --email "\
              f"{DEMO_EMAIL}`)"
