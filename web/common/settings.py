"""The settings the web app reads, as a Protocol: web declares what it needs, the composition
root (``tenfour``) decides where the values come from and hands them to ``create_app``.

So web never imports ``tenfour``; any object with these attributes will do (tests pass the
same frozen settings object the processes build, or a ``dataclasses.replace`` of it).
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence


class WebSettings(Protocol):
    """Read-only (properties), so a frozen dataclass satisfies it."""

    @property
    def secret_key(self) -> str:
        """Signs session cookies and the public media URLs."""

    @property
    def testing(self) -> bool: ...

    @property
    def session_cookie_secure(self) -> bool:
        """Served over HTTPS: secure cookies and the HSTS header."""

    @property
    def session_idle_minutes(self) -> int:
        """A browser session ends after this long without a request (issue 11; default 480)."""

    @property
    def redis_url(self) -> str | None:
        """The product's Redis; sign-in failures are counted there (in memory without one)."""

    @property
    def login_limit_per_email(self) -> str:
        """Failed sign-ins allowed per e-mail, e.g. ``10 per 15 minutes``."""

    @property
    def login_limit_per_address(self) -> str:
        """Failed sign-ins allowed per client address, e.g. ``30 per 15 minutes``."""

    @property
    def encryption_keys(self) -> Sequence[str]:
        """Fernet keys for stored credentials and OAuth flows (the first one encrypts)."""

    @property
    def database_url(self) -> str:
        """Used only when ``create_app`` is given no database."""

    @property
    def oauth_clients(self) -> Mapping[str, Mapping[str, str]]:
        """This server's own OAuth app credentials per platform."""

    @property
    def oauth_client_vars(self) -> Mapping[str, Mapping[str, str]]:
        """The environment variable behind each ``oauth_clients`` value, named to admins."""

    @property
    def default_base_urls(self) -> Mapping[str, str]:
        """Per-platform API hosts an account uses unless it names its own."""

    @property
    def allowed_hosts(self) -> Mapping[str, Sequence[str]]:
        """Per platform, the only hosts requests (and the account's token) may go to."""

    @property
    def x_price_per_post(self) -> float: ...

    @property
    def posting_budgets(self) -> Mapping[str, Any]:
        """platform -> content_queue.budgets.Budget: how a resume's publish_now spaces posts."""

    @property
    def x_price_per_link_post(self) -> float: ...

    @property
    def kits_dir(self) -> Any:
        """The agency's own campaign kits folder (a path), or None: built-in kits only."""

    @property
    def oidc_discovery_url(self) -> str:
        """The identity provider's ``.well-known/openid-configuration``; empty: no SSO."""

    @property
    def oidc_client_id(self) -> str: ...

    @property
    def oidc_client_secret(self) -> str: ...

    @property
    def oidc_provider_name(self) -> str:
        """Named on the login button ("Sign in with Entra ID")."""

    @property
    def oidc_groups_claim(self) -> str:
        """The claim listing the person's groups (``groups`` for Entra ID and Okta)."""

    @property
    def oidc_scopes(self) -> str: ...

    @property
    def agency_delivery_allowed_hosts(self) -> Sequence[str]:
        """Addresses inside the network an agency's SMTP server or webhook may use."""
