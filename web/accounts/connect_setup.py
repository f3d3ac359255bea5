"""Which platforms this server can connect, and how: the choices on the "connect an account"
page, the app credentials an OAuth platform needs before it can start, and how a reconnect goes.

Kept apart from the flows because it only reads configuration (``settings.oauth_clients`` and
whether a linker is configured), and the choose page, the start of a sign-in and the reconnect
button must all give the same answer to "can this platform be connected here?".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash

from content_queue.models import SocialAccount
from content_queue.ports import AccountLinker
from web.accounts.shared import platform_name
from web.common.state import get_state

OAUTH_PLATFORMS = ("x", "facebook", "instagram", "mastodon")
#: The app credentials each OAuth platform cannot start without (keys of ``oauth_clients``).
REQUIRED_CLIENT = {"x": ("client_id",), "facebook": ("app_id", "app_secret")}
WHERE_CLIENTS_COME_FROM = {
    "x": "the OAuth 2.0 Client ID of your app in the X developer portal",
    "facebook": "the App ID and App Secret of your Meta app, with Facebook Login for Business",
}


@dataclass(frozen=True)
class Option:
    """One platform on the "connect an account" page."""

    platform: str
    kind: str  # "oauth", "instance" (Mastodon: ask the server first) or "password" (Bluesky)
    description: str
    missing: tuple[str, ...] = ()


OPTIONS = (
    ("x", "oauth", "Sign in on X and authorize Tenfour to post for the account."),
    ("facebook", "oauth", "Log in with Facebook, then choose the Pages to connect. Instagram "
                          "accounts linked to those Pages are offered too."),
    ("instagram", "oauth", "Instagram professional accounts connect through the Facebook Page "
                           "they are linked to: log in with Facebook, then choose the account."),
    ("mastodon", "instance", "Name the account's server; Tenfour registers itself there and you "
                             "authorize it on the server's own page."),
    ("bluesky", "password", "Use an app password made in Bluesky's settings. The account's main "
                            "password is never needed."),
)


def list_options() -> list[Option]:
    """The choose page's platforms, each with what this server still lacks to connect it."""
    return [Option(p, kind, text, missing_client_vars(p) if kind != "password" else ())
            for p, kind, text in OPTIONS]


def _client_key(platform: str) -> str:
    """Instagram signs in through Facebook Login, so it uses Facebook's app credentials."""
    return "facebook" if platform == "instagram" else platform


def missing_client_vars(platform: str) -> tuple[str, ...]:
    """The environment variables to set before ``platform`` can be connected by OAuth."""
    key = _client_key(platform)
    settings = get_state().settings
    have = settings.oauth_clients.get(key, {})
    return tuple(settings.oauth_client_vars[key][k] for k in REQUIRED_CLIENT.get(key, ())
                 if not have.get(k))


def setup_hint(platform: str, missing: tuple[str, ...] = ()) -> str:
    """Which variables to set, and where their values come from."""
    key = _client_key(platform)
    missing = missing or tuple(get_state().settings.oauth_client_vars.get(key, {}).get(k, k)
                               for k in REQUIRED_CLIENT.get(key, ()))
    names = " and ".join(missing) if missing else "the platform's app credentials"
    source = WHERE_CLIENTS_COME_FROM.get(key)
    return (f"Set {names} in Tenfour's environment{f' ({source})' if source else ''}, then "
            "restart Tenfour.")


def setup_message(platform: str, missing: tuple[str, ...] = ()) -> str:
    """What an admin reads when a sign-in cannot start: the platform is not set up here."""
    return (f"Connecting {platform_name(platform)} accounts is not set up on this server. "
            + setup_hint(platform, missing))


def reconnect_method(account: SocialAccount) -> str:
    """How the accounts page reconnects this account: "oauth", "password" or "manual"."""
    if get_state().linker is None:
        return "manual"
    if account.platform in OAUTH_PLATFORMS and not missing_client_vars(account.platform):
        return "oauth"
    if account.platform == "bluesky":
        return "password"
    return "manual"


def linker_or_flash() -> AccountLinker | None:
    """The configured linker; without one, tell the admin to register accounts by hand."""
    linker = get_state().linker
    if linker is None:
        flash("Connecting accounts through the platforms is not available on this server; "
              "register accounts manually.", "error")
    return linker
