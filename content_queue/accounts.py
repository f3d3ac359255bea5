"""Social accounts: registering them with encrypted credentials, and their health."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.crypto import CredentialCipher
from content_queue.errors import Conflict, NotFound, ValidationFailed
from content_queue.models import PostTarget, SocialAccount, User
from content_queue.notifications import notify_reconnect_needed
from content_queue.platforms import RULES, handle_problem, host_refusal, instance_problem, url_allowed
from content_queue.states import Status
from content_queue.transitions import transition
from content_queue.users import audit

#: What ``credentials`` must hold per platform; each inner tuple is one accepted form.
CREDENTIAL_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sandbox": (("access_token",),),
    "x": (
        ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
        ("client_id", "access_token", "refresh_token"),
    ),
    "facebook": (("page_id", "page_access_token"),),
    "instagram": (("ig_user_id", "access_token"),),
    "mastodon": (("instance_url", "access_token"),),
    "bluesky": (("identifier", "app_password"),),
}


def _check_credentials(platform: str, credentials: Any) -> None:
    forms = CREDENTIAL_FORMS[platform]
    if not isinstance(credentials, dict) or not all(isinstance(v, str) for v in credentials.values()):
        raise ValidationFailed("credentials must be an object of text values.",
                               fields={"credentials": "Must be an object of text values."})
    for form in forms:
        if all(credentials.get(k, "").strip() for k in form):
            return
    wanted = " or ".join("{" + ", ".join(f) + "}" for f in forms)
    raise ValidationFailed(
        f"{RULES[platform].label} credentials need {wanted}.",
        fields={"credentials": f"Expected {wanted}."},
    )


#: Per platform, the hosts an account's API URL may name (``content_queue.platforms.allowed_hosts``).
AllowedHosts = Mapping[str, Sequence[str]]


def _check_url(url: str | None, platform: str = "",
               allowed_hosts: AllowedHosts | None = None) -> str | None:
    """An http(s) URL on one of the platform's allowed hosts. Without ``allowed_hosts`` only
    the form is checked (the connector registry checks the host again before any request)."""
    if url is None or url == "":
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationFailed("api_base_url must be an http(s) URL.",
                               fields={"api_base_url": "Use a URL such as https://api.example.org"})
    if allowed_hosts is not None and not url_allowed(url, allowed_hosts.get(platform, ())):
        message = host_refusal(platform, url)
        raise ValidationFailed(message, fields={"api_base_url": message}, code="host_not_allowed")
    return url.rstrip("/")


def _check_handle_and_instance(platform: str, handle: str, credentials: Any,
                               allowed_hosts: AllowedHosts | None, contacted_instead: str | None) -> None:
    """A handle that cannot bend a request path; a Mastodon server name that is a host name
    and, when requests go to it (no ``contacted_instead`` base URL), an allowed one."""
    problem = handle_problem(handle)
    if problem:
        raise ValidationFailed(problem, fields={"handle": problem}, code="invalid_handle")
    if platform == "mastodon" and isinstance(credentials, dict) and credentials.get("instance_url"):
        instance = credentials["instance_url"]
        problem = instance_problem(instance)
        if problem:
            raise ValidationFailed(problem, fields={"credentials": problem}, code="invalid_instance")
        url = instance if "://" in instance else "https://" + instance.strip().lstrip("@").split("@")[-1]
        if not contacted_instead:
            _check_url(url, platform, allowed_hosts)


def add_account(
    session: Session,
    cipher: CredentialCipher,
    *,
    actor: User,
    platform: str,
    handle: str,
    credentials: dict[str, str],
    now: datetime,
    display_name: str = "",
    api_base_url: str | None = None,
    allowed_hosts: AllowedHosts | None = None,
    default_base_url: str | None = None,
) -> SocialAccount:
    """Connect an account. With ``allowed_hosts`` (the web and the API pass the configured
    allow-list) its base URL, or the Mastodon server it names, must be an allowed host;
    ``default_base_url`` is the platform's configured base, used when the account has none."""
    platform = (platform or "").strip().lower()
    if platform not in CREDENTIAL_FORMS:
        raise ValidationFailed(
            f"Unknown platform {platform!r}; use one of {', '.join(CREDENTIAL_FORMS)}.",
            fields={"platform": "Unknown platform."},
        )
    handle = (handle or "").strip().lstrip("@")
    if not handle or len(handle) > 200:
        raise ValidationFailed("Give the account's handle.", fields={"handle": "Required."})
    _check_credentials(platform, credentials)
    _check_handle_and_instance(platform, handle, credentials, allowed_hosts,
                               api_base_url or default_base_url)
    base = _check_url(api_base_url, platform, allowed_hosts)
    exists = session.scalars(
        select(SocialAccount).where(SocialAccount.agency_id == actor.agency_id,
                                    SocialAccount.platform == platform,
                                    SocialAccount.handle == handle)
    ).first()
    if exists:
        raise Conflict(f"The {RULES[platform].label} account @{handle} is already connected.",
                       code="account_exists")
    account = SocialAccount(
        agency_id=actor.agency_id, platform=platform, handle=handle,
        display_name=display_name or handle, credentials_encrypted=cipher.encrypt(credentials),
        api_base_url=base, status="active", status_detail="", created_at=now, updated_at=now,
    )
    session.add(account)
    session.flush()
    audit(session, "account.connected", actor_id=actor.id, entity_type="social_account",
          entity_id=account.id, now=now, details={"platform": platform, "handle": handle})
    return account


def list_accounts(session: Session, agency_id: int) -> list[SocialAccount]:
    return list(session.scalars(
        select(SocialAccount).where(SocialAccount.agency_id == agency_id)
        .order_by(SocialAccount.platform, SocialAccount.handle)
    ))


def get_account(session: Session, agency_id: int, account_id: int) -> SocialAccount:
    account = session.get(SocialAccount, account_id)
    if account is None or account.agency_id != agency_id:
        raise NotFound(f"No account with id {account_id}.")
    return account


def mark_reconnect_needed(session: Session, account: SocialAccount, detail: str,
                          *, now: datetime) -> None:
    if account.status != "reconnect_needed":
        audit(session, "account.reconnect_needed", actor_id=None, entity_type="social_account",
              entity_id=account.id, now=now, details={"detail": detail})
        notify_reconnect_needed(session, account, detail, now=now)
    account.status = "reconnect_needed"
    account.status_detail = detail
    account.updated_at = now


def rotate_credentials(session: Session, cipher: CredentialCipher) -> int:
    """Re-encrypt every account's credentials under the newest key; returns how many."""
    count = 0
    for account in session.scalars(select(SocialAccount)):
        account.credentials_encrypted = cipher.rotate(account.credentials_encrypted)
        count += 1
    return count


def store_refreshed_credentials(session: Session, cipher: CredentialCipher, account_id: int,
                                credentials: dict[str, Any], *, now: datetime) -> None:
    """Keep tokens a connector renewed (X rotates its refresh token: losing it disconnects)."""
    account = session.get(SocialAccount, account_id)
    if account is None:
        return
    account.credentials_encrypted = cipher.encrypt(credentials)
    expires = credentials.get("expires_at")
    if isinstance(expires, str) and expires:
        try:
            account.token_expires_at = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            pass
    if account.status == "reconnect_needed":
        account.status, account.status_detail = "active", ""
    account.updated_at = now
    audit(session, "account.tokens_refreshed", actor_id=None, entity_type="social_account",
          entity_id=account.id, now=now)


# --- connecting again, checking, disabling (the accounts page) ---------------------------------


def check_credentials(platform: str, credentials: Any) -> None:
    """Refuse credentials that do not have one of the platform's accepted forms."""
    _check_credentials(platform, credentials)


def find_account(session: Session, agency_id: int, platform: str, handle: str) -> SocialAccount | None:
    """The agency's account with this handle on this platform (handles compare without case)."""
    handle = (handle or "").strip().lstrip("@").lower()
    return session.scalars(
        select(SocialAccount).where(SocialAccount.agency_id == agency_id,
                                    SocialAccount.platform == platform,
                                    func.lower(SocialAccount.handle) == handle)
    ).first()


def update_account_credentials(
    session: Session,
    cipher: CredentialCipher,
    account: SocialAccount,
    *,
    actor: User,
    credentials: dict[str, str],
    now: datetime,
    api_base_url: str | None,
    token_expires_at: datetime | None = None,
    display_name: str = "",
    allowed_hosts: AllowedHosts | None = None,
    default_base_url: str | None = None,
) -> SocialAccount:
    """Reconnect: new credentials for the same row, so posts queued to it keep their account."""
    _check_credentials(account.platform, credentials)
    _check_handle_and_instance(account.platform, account.handle, credentials, allowed_hosts,
                               api_base_url or default_base_url)
    base = _check_url(api_base_url, account.platform, allowed_hosts)
    account.credentials_encrypted = cipher.encrypt(credentials)
    account.api_base_url = base
    account.token_expires_at = token_expires_at
    if display_name:
        account.display_name = display_name
    previous = account.status
    account.status, account.status_detail = "active", ""
    account.updated_at = now
    audit(session, "account.reconnected", actor_id=actor.id, entity_type="social_account",
          entity_id=account.id, now=now,
          details={"platform": account.platform, "handle": account.handle, "previous_status": previous})
    return account


def record_connection_ok(session: Session, account: SocialAccount, *, actor: User, now: datetime,
                         token_expires_at: datetime | None = None) -> None:
    """A successful "test connection": the account works again if it was flagged."""
    if token_expires_at is not None:
        account.token_expires_at = token_expires_at
    if account.status == "reconnect_needed":
        account.status, account.status_detail = "active", ""
        audit(session, "account.reconnect_cleared", actor_id=actor.id, entity_type="social_account",
              entity_id=account.id, now=now)
    account.updated_at = now


#: Target states that have not reached the platform and can still be called off.
_PENDING = ("draft", "awaiting_approval", "scheduled", "expired", "failed")


def pending_targets(session: Session, account: SocialAccount) -> list[PostTarget]:
    return list(session.scalars(
        select(PostTarget).where(PostTarget.account_id == account.id, PostTarget.status.in_(_PENDING))
        .order_by(PostTarget.id)
    ))


def disable_account(session: Session, account: SocialAccount, *, actor: User, now: datetime) -> int:
    """Stop publishing to an account without deleting it (its published posts stay on record).

    Every post target not yet sent to it is canceled, so nothing goes out on an account an
    admin turned off. Returns how many were canceled.
    """
    if account.status == "disabled":
        return 0
    canceled = 0
    for target in pending_targets(session, account):
        transition(session, target, Status.CANCELED, actor_id=actor.id, now=now, reason="account_disabled")
        canceled += 1
    account.status, account.status_detail = "disabled", f"Disabled by {actor.display_name or actor.email}."
    account.updated_at = now
    audit(session, "account.disabled", actor_id=actor.id, entity_type="social_account",
          entity_id=account.id, now=now, details={"canceled_targets": canceled})
    return canceled


def enable_account(session: Session, account: SocialAccount, *, actor: User, now: datetime,
                   token_expires_at: datetime | None = None) -> None:
    """Turn a disabled account back on (after its credentials were checked)."""
    account.status, account.status_detail = "active", ""
    if token_expires_at is not None:
        account.token_expires_at = token_expires_at
    account.updated_at = now
    audit(session, "account.enabled", actor_id=actor.id, entity_type="social_account",
          entity_id=account.id, now=now)
