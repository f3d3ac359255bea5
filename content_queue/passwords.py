"""Password and API-token hashing with the standard library only (scrypt, SHA-256), and the
password policy checked on every set: long enough, not too long to hash, not the e-mail, not a
common password (``common_passwords.txt``, shipped beside this module)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

_N, _R, _P = 2**14, 8, 1

MIN_PASSWORD = 12
#: Longer passwords are refused before any hashing (a 10 MB "password" costs scrypt real work).
MAX_PASSWORD = 1024
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    expected = base64.b64decode(digest_b64)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


def generate_password() -> str:
    """A strong, readable password: 4 groups of 5 URL-safe characters."""
    raw = secrets.token_urlsafe(20).replace("-", "x").replace("_", "y")[:20]
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def new_api_token() -> str:
    return "tf_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=4)
def _dummy_hash(n: int) -> str:
    return hash_password(secrets.token_urlsafe(16))


def spend_verify_time(password: str) -> None:
    """Check ``password`` against a throwaway hash, so a sign-in with an unknown e-mail costs
    the same time as one with a wrong password (which e-mails exist cannot be timed)."""
    verify_password(password, _dummy_hash(_N))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` may not be set, in words for the person choosing it; None when it may."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters (a few words together are easy to remember)."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    lowered = password.strip().lower()
    email = email.strip().lower()
    name = email.split("@")[0]
    if email and (lowered in (email, name) or (len(name) >= MIN_PASSWORD - 2 and name in lowered)):
        return "Do not use your e-mail address (or its name part) as the password."
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return ("That password is one of the most common ones, which are tried first when an "
                "account is attacked. Choose another (a few unrelated words work well).")
    return None
