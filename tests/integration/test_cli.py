"""The `tenfour` command as an operator uses it: each call a real process on the test's database."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from content_queue.crypto import CredentialCipher
from content_queue.migrate import upgrade
from content_queue.models import SocialAccount
from content_queue.passwords import verify_password
from content_queue.users import find_user, user_for_token
from tests.integration.processes import ROOT, process_env


def tenfour(settings, *args: str, stdin: str | None = None, check: bool = True):
    result = subprocess.run([sys.executable, "-m", "tenfour", *args], cwd=ROOT, input=stdin,
                            env=process_env(settings), capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"tenfour {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def migrated(settings, db_url):
    upgrade(db_url)
    return settings


def test_db_upgrade_is_safe_to_repeat(settings) -> None:
    assert "up to date" in tenfour(settings, "db", "upgrade").stdout
    assert "up to date" in tenfour(settings, "db", "upgrade").stdout


def test_users_create_generates_and_prints_a_strong_password(migrated, db) -> None:
    out = tenfour(migrated, "users", "create", "--email", "Chief@Metro911.gov", "--role",
                  "approver").stdout
    password = out.strip().splitlines()[-1].removeprefix("Password: ")
    assert len(password) >= 20
    with db.session_scope(write=False) as s:
        user = find_user(s, "chief@metro911.gov")
        assert user.role == "approver"
        assert verify_password(password, user.password_hash)


def test_users_create_reads_the_password_from_stdin_and_refuses_bad_input(migrated, db) -> None:
    out = tenfour(migrated, "users", "create", "--email", "pio@metro911.gov", "--role", "pio",
                  "--password-stdin", stdin="a long enough secret\n").stdout
    assert "Password:" not in out
    with db.session_scope(write=False) as s:
        assert verify_password("a long enough secret", find_user(s, "pio@metro911.gov").password_hash)
    dup = tenfour(migrated, "users", "create", "--email", "pio@metro911.gov", "--role", "pio",
                  "--password-stdin", stdin="another long secret\n", check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr
    short = tenfour(migrated, "users", "create", "--email", "x@metro911.gov", "--role", "pio",
                    "--password-stdin", stdin="short\n", check=False)
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    role = tenfour(migrated, "users", "create", "--email", "y@metro911.gov", "--role", "chief",
                   check=False)
    assert role.returncode != 0 and "chief" in role.stderr


def test_tokens_create_prints_the_token_alone_on_its_last_line(migrated, db) -> None:
    tenfour(migrated, "users", "create", "--email", "api@metro911.gov", "--role", "pio")
    out = tenfour(migrated, "tokens", "create", "--email", "api@metro911.gov").stdout
    token = out.splitlines()[-1]
    assert token.startswith("tf_") and " " not in token
    with db.session_scope() as s:
        from datetime import datetime, timezone

        assert user_for_token(s, token, now=datetime.now(timezone.utc)).email == "api@metro911.gov"
    missing = tenfour(migrated, "tokens", "create", "--email", "nobody@metro911.gov", check=False)
    assert missing.returncode != 0 and "No user" in missing.stderr


def test_demo_bootstrap_is_idempotent_and_prints_the_password_once(migrated, db) -> None:
    first = tenfour(migrated, "demo", "bootstrap").stdout
    second = tenfour(migrated, "demo", "bootstrap").stdout
    password = [l for l in first.splitlines() if l.startswith("Password: ")][0].split()[1]
    assert password not in second and "tenfour users set-password --email" in second
    for path in migrated.instance_dir.rglob("*"):  # kept nowhere in plain text
        assert not path.is_file() or password.encode() not in path.read_bytes(), path
    assert "Connected sandbox account" in first and "Connected" not in second
    with db.session_scope(write=False) as s:
        assert len(s.scalars(select(SocialAccount)).all()) == 2


def test_keys_rotate_re_encrypts_every_account_under_the_new_key(migrated, db) -> None:
    tenfour(migrated, "demo", "bootstrap")
    old_key = migrated.encryption_keys[0]
    new_key = Fernet.generate_key().decode()
    rotated = replace(migrated, encryption_keys=(new_key, old_key))
    out = tenfour(rotated, "keys", "rotate").stdout
    assert "2 account(s)" in out
    only_new = CredentialCipher([new_key])
    with db.session_scope(write=False) as s:
        for account in s.scalars(select(SocialAccount)):
            assert only_new.decrypt(account.credentials_encrypted)["access_token"].startswith("demo-")
