"""Where an agency's notifications go: its own SMTP server and webhook, or the installation's.

An installation that hosts several agencies (a regional 911 authority and its member centers)
cannot send every center's alerts through one mail server and one webhook: each center has its
own mail relay, its own sender address its staff trust, and its own CAD or chat hook. So an
agency may set its own; the rule is one line each way (:func:`channel_settings`):

- an agency with its own SMTP host sends through it (its port, username, password, from
  address and STARTTLS choice); otherwise the installation's ``SMTP_*`` settings, as before;
- an agency with its own webhook URL posts there, signed with *its own* secret (or unsigned
  without one): the installation's ``WEBHOOK_SECRET`` is never sent to an agency's endpoint.

The SMTP password and the webhook secret are stored encrypted with the same
:class:`~content_queue.crypto.CredentialCipher` (and keys) as platform tokens, re-encrypted by
``tenfour keys rotate`` (:func:`rotate_delivery_secrets`), and never shown back.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Protocol, Sequence
from urllib.parse import urlparse

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content_queue.crypto import CredentialCipher
from content_queue.errors import ValidationFailed
from content_queue.models import Agency, Notification, User
from content_queue.notifications import notify
from content_queue.platforms import host_matches
from content_queue.users import EMAIL_RE, audit

DEFAULT_SMTP_PORT = 587
#: The event of the settings page's "send a test" notice (never among a person's e-mail choices).
DELIVERY_TEST = "delivery_test"
#: One DNS label: letters, digits and inner hyphens, at most 63 characters.
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_SECRET_LENGTH = 1024


class InstallationDelivery(Protocol):
    """The installation's own settings (``SMTP_*``, ``WEBHOOK_*``, the public address), as the
    workers and the web both have them."""

    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool
    webhook_url: str
    webhook_secret: str
    public_base_url: str


@dataclass(frozen=True)
class ChannelSettings:
    """What one delivery sends with, under the installation settings' attribute names (so the
    worker's senders read either). ``smtp_source``/``webhook_source`` say whose they are:
    ``"agency"`` or ``"installation"``."""

    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool
    webhook_url: str
    webhook_secret: str
    public_base_url: str
    smtp_source: str
    webhook_source: str


# --- secrets at rest --------------------------------------------------------------------------


def seal(cipher: CredentialCipher, secret: str) -> str:
    """The stored form of a secret (the cipher encrypts objects, as for platform tokens)."""
    return cipher.encrypt({"secret": secret})


def unseal(cipher: CredentialCipher, stored: str) -> str:
    """Raises :class:`~content_queue.crypto.CredentialsUnreadable` when no key opens it."""
    return str(cipher.decrypt(stored).get("secret", ""))


def rotate_delivery_secrets(session: Session, cipher: CredentialCipher) -> int:
    """Re-encrypt every agency's SMTP password and webhook secret under the newest key; returns
    how many agencies had one (run with the accounts' rotation, before an old key is dropped)."""
    count = 0
    for agency in session.scalars(select(Agency).where(or_(
            Agency.smtp_password_encrypted.is_not(None),
            Agency.webhook_secret_encrypted.is_not(None)))):
        if agency.smtp_password_encrypted:
            agency.smtp_password_encrypted = cipher.rotate(agency.smtp_password_encrypted)
        if agency.webhook_secret_encrypted:
            agency.webhook_secret_encrypted = cipher.rotate(agency.webhook_secret_encrypted)
        count += 1
    return count


# --- the fallback rule ------------------------------------------------------------------------


def channel_settings(agency: Agency | None, installation: InstallationDelivery,
                     cipher: Callable[[], CredentialCipher]) -> ChannelSettings:
    """The SMTP and webhook settings a notification of ``agency`` is sent with (see the module
    docstring for the rule). ``cipher`` is called only when a secret must be opened; a secret
    no key opens raises :class:`~content_queue.crypto.CredentialsUnreadable`."""
    own_smtp = agency is not None and bool(agency.smtp_host)
    own_hook = agency is not None and bool(agency.webhook_url)
    if own_smtp:
        smtp = dict(smtp_host=agency.smtp_host, smtp_port=agency.smtp_port or DEFAULT_SMTP_PORT,
                    smtp_username=agency.smtp_username or "",
                    smtp_password=(unseal(cipher(), agency.smtp_password_encrypted)
                                   if agency.smtp_password_encrypted else ""),
                    smtp_from=agency.smtp_from or installation.smtp_from,
                    smtp_starttls=agency.smtp_starttls is not False)
    else:
        smtp = dict(smtp_host=installation.smtp_host, smtp_port=installation.smtp_port,
                    smtp_username=installation.smtp_username,
                    smtp_password=installation.smtp_password, smtp_from=installation.smtp_from,
                    smtp_starttls=installation.smtp_starttls)
    if own_hook:
        hook = dict(webhook_url=agency.webhook_url,
                    webhook_secret=(unseal(cipher(), agency.webhook_secret_encrypted)
                                    if agency.webhook_secret_encrypted else ""))
    else:
        hook = dict(webhook_url=installation.webhook_url,
                    webhook_secret=installation.webhook_secret)
    return ChannelSettings(**smtp, **hook, public_base_url=installation.public_base_url,
                           smtp_source="agency" if own_smtp else "installation",
                           webhook_source="agency" if own_hook else "installation")


# --- checking what an admin typed -------------------------------------------------------------


def host_problem(host: str) -> str | None:
    """Why ``host`` is not a mail server's name or address (None: it is one)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not name or not all(_LABEL_RE.match(p) for p in name.split(".")):
        return ("Give the mail server's name, such as smtp.example.gov, or its IP address — "
                "without http:// or a port.")
    return None


def parse_delivery_allowed_hosts(value: str | None) -> tuple[str, ...]:
    """``AGENCY_DELIVERY_ALLOWED_HOSTS``: comma-separated host names or addresses (``*.domain``
    for a domain's hosts, ``*`` for any) an agency may send to although they are inside the
    network."""
    hosts = []
    for item in (value or "").replace(";", ",").split(","):
        item = item.strip().lower()
        if not item:
            continue
        bare = item[2:] if item.startswith("*.") else item
        if item != "*" and host_problem(bare):
            raise ValueError(f"AGENCY_DELIVERY_ALLOWED_HOSTS: {item!r} is not a host name or "
                             "address (write smtp.county.gov, 10.0.4.25 or *.county.gov, "
                             "without a scheme, port or path).")
        hosts.append(item)
    return tuple(hosts)


def inside_network_problem(host: str, allowed: Sequence[str] = (), *,
                           resolve: Callable[..., list] = socket.getaddrinfo) -> str | None:
    """Why an agency may not send to ``host``: it is, or its name resolves to, an address inside
    the network (loopback, private, link-local, carrier-grade NAT, reserved), which on an
    installation hosting several agencies would let one agency's admin aim Tenfour's requests
    at internal services. None when it is a public address, when the operator allowed it, or
    when the name does not resolve now (the worker checks again before each send)."""
    name = host.strip().lower().strip("[]")
    if not name or any(p == "*" or host_matches(name, p) for p in allowed):
        return None
    try:
        addresses = [ipaddress.ip_address(name)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0])
                         for info in resolve(name, None)]
        except (OSError, UnicodeError, ValueError):
            return None
    inside = next((a for a in addresses if not a.is_global), None)
    if inside is None:
        return None
    shown = name if str(inside) == name else f"{name} ({inside})"
    return (f"{shown} is an address inside the network. An agency's mail server and webhook "
            "must be reachable from the internet, unless whoever runs Tenfour allows this "
            f"one in AGENCY_DELIVERY_ALLOWED_HOSTS (for example {name}).")


def refuse_inside_network(settings: ChannelSettings, allowed: Sequence[str] = ()
                          ) -> tuple[ChannelSettings, str | None]:
    """The send-time twin of the check made when the settings are saved: an agency's own mail
    server or webhook that is (or now resolves to) an address inside the network is blanked, so
    it is not contacted, with the reason (``None`` when nothing was refused). A name can be
    pointed elsewhere after it was saved; the installation's own settings are not checked."""
    problems = []
    if settings.smtp_source == "agency" and settings.smtp_host:
        problem = inside_network_problem(settings.smtp_host, allowed)
        if problem:
            settings = replace(settings, smtp_host="")
            problems.append(f"email: {problem}")
    if settings.webhook_source == "agency" and settings.webhook_url:
        problem = inside_network_problem(urlparse(settings.webhook_url).hostname or "", allowed)
        if problem:
            settings = replace(settings, webhook_url="")
            problems.append(f"webhook: {problem}")
    return settings, "; ".join(problems) or None


def _port(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_SMTP_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValidationFailed(
            "The SMTP port must be a number from 1 to 65535 (usually 587, or 25).",
            fields={"smtp_port": "A number from 1 to 65535, usually 587."}, code="invalid_port")
    return int(raw)


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the agency webhook (None: it can)."""
    if len(url) > 2000:
        return "The webhook URL is too long (at most 2000 characters)."
    try:
        parsed = urlparse(url)
        host = parsed.hostname
    except ValueError:  # an unclosed [IPv6] bracket
        parsed, host = None, None
    if parsed is None or parsed.scheme not in ("http", "https") or not host:
        return ("The webhook URL must start with https:// (or http://) and name a server, "
                "such as https://cad.example.gov/hooks/tenfour.")
    try:
        parsed.port
    except ValueError:
        return "The webhook URL's port must be a number from 1 to 65535."
    return None


def _secret(raw: str, field: str, what: str) -> str:
    if len(raw) > MAX_SECRET_LENGTH:
        raise ValidationFailed(f"The {what} is too long (at most {MAX_SECRET_LENGTH} characters).",
                               fields={field: f"At most {MAX_SECRET_LENGTH} characters."},
                               code="too_long")
    return raw


def _fail(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message}, code=code)


@dataclass(frozen=True)
class DeliveryForm:
    """What the settings page sends. A blank secret keeps the saved one; ``clear_*`` removes
    it. A blank SMTP host (webhook URL) means the installation's, and clears the rest of that
    part, so no half-set server waits unseen."""

    smtp_host: str = ""
    smtp_port: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    clear_smtp_password: bool = False
    smtp_from: str = ""
    smtp_starttls: bool = True
    webhook_url: str = ""
    webhook_secret: str = ""
    clear_webhook_secret: bool = False


def _checked_smtp(form: DeliveryForm, allowed: Sequence[str]) -> dict[str, Any]:
    host = form.smtp_host.strip()
    if not host:
        if form.smtp_password:
            raise _fail("smtp_host", "Give the SMTP host this password is for, or leave the "
                        "password blank to use the installation's mail server.", "host_required")
        return {}
    problem = host_problem(host) or inside_network_problem(host, allowed)
    if problem:
        raise _fail("smtp_host", problem, "invalid_host")
    port = _port(form.smtp_port)
    sender = form.smtp_from.strip()
    if not sender:
        raise _fail("smtp_from", "Give the address the e-mails come from (your mail server may "
                    "refuse others), such as alerts@metro911.gov.", "from_required")
    if len(sender) > 254 or not EMAIL_RE.match(sender):
        raise _fail("smtp_from", "The from address must be an e-mail address, such as "
                    "alerts@metro911.gov.", "invalid_email")
    username = form.smtp_username.strip()
    if len(username) > 254:
        raise _fail("smtp_username", "The SMTP username is too long (at most 254 characters).",
                    "too_long")
    return {"smtp_host": host.lower(), "smtp_port": port, "smtp_username": username or None,
            "smtp_from": sender, "smtp_starttls": bool(form.smtp_starttls)}


def _checked_webhook(form: DeliveryForm, allowed: Sequence[str]) -> str | None:
    url = form.webhook_url.strip()
    if not url:
        if form.webhook_secret:
            raise _fail("webhook_url", "Give the webhook URL this secret is for, or leave the "
                        "secret blank to use the installation's webhook.", "url_required")
        return None
    problem = webhook_url_problem(url) or inside_network_problem(urlparse(url).hostname or "",
                                                                 allowed)
    if problem:
        raise _fail("webhook_url", problem, "invalid_webhook_url")
    return url


def _new_secret(stored: str | None, typed: str, clear: bool, keep_any: bool,
                cipher: CredentialCipher) -> tuple[str | None, str]:
    """The secret column's new value, and what happened to it for the audit (never the value):
    ``set``, ``kept``, ``cleared`` or ``none``."""
    if not keep_any or clear:
        return None, "cleared" if stored else "none"
    if typed:
        return seal(cipher, typed), "set"
    return stored, "kept" if stored else "none"


def update_delivery_settings(session: Session, cipher: CredentialCipher, agency: Agency,
                             form: DeliveryForm, *, actor_id: int, now: datetime,
                             allowed_hosts: Sequence[str] = ()) -> Agency:
    """Check and save the agency's own SMTP and webhook settings (all or nothing), with an
    ``agency.delivery_updated`` audit entry that names what changed but holds no secret (and
    only the webhook's host: such URLs often carry a token in their path). A host inside the
    network is refused unless ``allowed_hosts`` (AGENCY_DELIVERY_ALLOWED_HOSTS) names it."""
    smtp = _checked_smtp(form, allowed_hosts)
    url = _checked_webhook(form, allowed_hosts)
    password = _secret(form.smtp_password, "smtp_password", "SMTP password")
    hook_secret = _secret(form.webhook_secret, "webhook_secret", "webhook secret")
    before = {name: getattr(agency, name) for name in _AUDITED}
    agency.smtp_host = smtp.get("smtp_host")
    agency.smtp_port = smtp.get("smtp_port")
    agency.smtp_username = smtp.get("smtp_username")
    agency.smtp_from = smtp.get("smtp_from")
    agency.smtp_starttls = smtp.get("smtp_starttls")
    agency.webhook_url = url
    agency.smtp_password_encrypted, password_change = _new_secret(
        agency.smtp_password_encrypted, password, form.clear_smtp_password, bool(smtp), cipher)
    agency.webhook_secret_encrypted, secret_change = _new_secret(
        agency.webhook_secret_encrypted, hook_secret, form.clear_webhook_secret, bool(url),
        cipher)
    changed = sorted(name for name in _AUDITED if getattr(agency, name) != before[name])
    audit(session, "agency.delivery_updated", actor_id=actor_id, entity_type="agency",
          entity_id=agency.id, now=now,
          details={"changed": changed,
                   "smtp": "agency" if smtp else "installation",
                   "smtp_host": agency.smtp_host, "smtp_port": agency.smtp_port,
                   "smtp_from": agency.smtp_from,
                   "webhook": "agency" if url else "installation",
                   "webhook_host": urlparse(url).hostname if url else None,
                   "smtp_password": password_change, "webhook_secret": secret_change})
    session.flush()
    return agency


_AUDITED = ("smtp_host", "smtp_port", "smtp_username", "smtp_from", "smtp_starttls",
            "webhook_url")


def delivery_summary(agency: Agency) -> dict[str, Any]:
    """What the settings page shows: the saved values, and only *whether* each secret is set."""
    return {"smtp_host": agency.smtp_host or "", "smtp_port": agency.smtp_port or "",
            "smtp_username": agency.smtp_username or "", "smtp_from": agency.smtp_from or "",
            "smtp_starttls": agency.smtp_starttls is not False,
            "webhook_url": agency.webhook_url or "",
            "smtp_password_set": bool(agency.smtp_password_encrypted),
            "webhook_secret_set": bool(agency.webhook_secret_encrypted)}


# --- "send a test" ----------------------------------------------------------------------------


def send_delivery_test(session: Session, agency: Agency, actor: User, *,
                       now: datetime) -> int:
    """A test notice to ``actor``, delivered by the worker exactly as a real one (their e-mail
    and the agency webhook, through the settings in force), so what it proves is the real path.
    Returns its id; :func:`last_delivery_test` reads how it went."""
    [notification_id] = notify(
        session, DELIVERY_TEST, agency_id=agency.id, now=now, recipients=[actor.id],
        subject="Test of the agency's e-mail and webhook settings",
        body=(f"{actor.display_name or actor.email} sent this test from the agency settings "
              "page. If you read it, e-mail from Tenfour reaches you."))
    return notification_id


def last_delivery_test(session: Session, agency_id: int) -> Notification | None:
    return session.scalars(
        select(Notification).where(Notification.agency_id == agency_id,
                                   Notification.event == DELIVERY_TEST)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(1)).first()
