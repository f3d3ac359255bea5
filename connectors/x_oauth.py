"""Connecting an X account: OAuth 2.0 Authorization Code with PKCE, and token refresh.

``client`` (the app's own credentials, from configuration):
    ``client_id``      required — the OAuth 2.0 Client ID of the X app
    ``client_secret``  optional — only for a confidential client ("Web App" type); it is then
                       sent as HTTP Basic auth to the token endpoint and kept in the account's
                       credentials, because every refresh needs it too.

Real X: the browser goes to ``https://x.com/i/oauth2/authorize``; codes are exchanged at
``https://api.x.com/2/oauth2/token``. With an ``api_base_url`` (the simulator) both live
under it. tweepy's ``OAuth2UserHandler`` is not used: its hosts are hard-coded and
requests-oauthlib refuses plain-http redirect URIs, which the simulator and local
development use.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Mapping
from urllib.parse import urlencode

import requests
import tweepy

from connectors._http import parse_utc
from connectors.x_transport import X_API, map_error, mount_transport, raise_for_status
from content_queue.ports import AuthExpired, AuthorizeStart, LinkedAccount, Permanent, Transient

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SCOPES = "tweet.read tweet.write users.read media.write offline.access"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]  # 43–128 characters of the unreserved set
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode("ascii")


def oauth_start(*, redirect_uri: str, api_base_url: str | None, client: dict,
                instance_url: str | None = None) -> AuthorizeStart:
    """Where to send the browser; the PKCE verifier stays server-side in ``secrets``."""
    verifier, challenge = _pkce_pair()
    state = secrets.token_urlsafe(24)
    base = f"{api_base_url.rstrip('/')}/i/oauth2/authorize" if api_base_url else AUTHORIZE_URL
    query = urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
        "scope": SCOPES, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    return AuthorizeStart(url=f"{base}?{query}", state=state, secrets={"code_verifier": verifier})


def oauth_finish(*, callback_params: dict, start: AuthorizeStart, redirect_uri: str,
                 api_base_url: str | None, client: dict) -> list[LinkedAccount]:
    """Exchange the code for tokens and name the account that granted them."""
    if callback_params.get("error"):
        raise Permanent("X: the account was not connected (access was denied on X).",
                        reason="oauth_denied")
    if not callback_params.get("state") or callback_params.get("state") != start.state:
        raise Permanent("X: the answer from X did not match this connection attempt; "
                        "start connecting again.", reason="oauth_state")
    code = callback_params.get("code")
    if not code:
        raise Permanent("X: X sent no authorization code; start connecting again.",
                        reason="oauth_code")
    session = _session(api_base_url)
    try:
        tokens = token_request(session, client, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": start.secrets.get("code_verifier", ""),
        })
    except AuthExpired as error:  # a refused code: expired, used, or the wrong verifier
        raise Permanent("X: the authorization expired or was already used; start connecting "
                        "again.", reason="oauth_code") from error
    credentials = credentials_from(tokens, client, previous={})
    api = tweepy.Client(bearer_token=tokens["access_token"], return_type=dict)
    mount_transport(api.session, api_base_url)
    try:
        me = api.get_me(user_auth=False)["data"]
    except (tweepy.TweepyException, requests.RequestException) as exc:
        raise map_error(exc) from exc
    return [LinkedAccount(platform="x", handle=me["username"], display_name=me.get("name", ""),
                          credentials=credentials, api_base_url=api_base_url,
                          token_expires_at=parse_expiry(credentials.get("expires_at")))]


# -- tokens -------------------------------------------------------------------------------
def token_request(session: requests.Session, client: Mapping[str, str], form: dict) -> dict:
    """POST the token endpoint; a refused grant means the account must be reconnected."""
    secret = client.get("client_secret")
    body = {**form, "client_id": client["client_id"]}
    auth = (client["client_id"], secret) if secret else None
    try:
        response = session.post(f"{X_API}/2/oauth2/token", data=body, auth=auth)
        raise_for_status(response)
        tokens = response.json()
    except (tweepy.BadRequest, tweepy.Unauthorized, tweepy.Forbidden) as exc:
        raise AuthExpired(f"X refused to renew the account's access ({exc}); "
                          "reconnect the account.") from exc
    except (tweepy.HTTPException, requests.RequestException, ValueError) as exc:
        raise Transient(f"X's sign-in service did not answer properly ({exc.__class__.__name__}).") from exc
    if not isinstance(tokens, dict) or not tokens.get("access_token"):
        raise Transient("X's sign-in service answered without an access token.")
    return tokens


def credentials_from(tokens: dict, client: Mapping[str, str], *, previous: Mapping[str, str]) -> dict:
    """The stored credentials dict (CREDENTIAL_FORMS' OAuth 2.0 form) after a token answer."""
    credentials = {**previous, "client_id": client["client_id"],
                   "access_token": tokens["access_token"],
                   # X rotates refresh tokens; keep the old one only if none came back.
                   "refresh_token": tokens.get("refresh_token") or previous.get("refresh_token", "")}
    if client.get("client_secret"):
        credentials["client_secret"] = client["client_secret"]
    expires_in = tokens.get("expires_in")
    if isinstance(expires_in, (int, float)):
        moment = _utcnow() + timedelta(seconds=expires_in)
        credentials["expires_at"] = moment.isoformat(timespec="seconds")
    return credentials


def parse_expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _session(api_base_url: str | None) -> requests.Session:
    session = requests.Session()
    mount_transport(session, api_base_url)
    return session

