"""A Flask test client that behaves like a browser on Tenfour's forms: it reads the CSRF token
from the page and logs in through the real login form."""

from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class FormClient:
    """A logged-in (or not) browser stand-in: GETs pages and submits forms with their token."""

    def __init__(self, client, password: str) -> None:
        self.client = client
        self.password = password

    def token(self, path: str = "/login") -> str:
        match = CSRF_RE.search(self.client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, user) -> None:
        login_client(self.client, user.email, self.password)

    def submit(self, path: str, data: dict | None = None, *, token_from: str = "/"):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token(token_from)})

    def text(self, path: str, status: int = 200) -> str:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)


def login_client(client, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on /login"
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": match.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
