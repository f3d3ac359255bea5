"""Logging a Flask test client in through the real login form (CSRF token included)."""

from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def login_client(client, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": match.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
