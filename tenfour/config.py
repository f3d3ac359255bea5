"""Process-wide settings, read once from the environment into a frozen object.

Only this module reads ``os.environ``, and only the composition root (``tenfour``: the CLI,
``tenfour.wsgi``, ``tenfour.worker_app``) calls :func:`load_settings`, once per process. It hands
the frozen object down: ``web.create_app(settings)`` and ``workers.app.create_celery(Runtime(settings))``
each read it through a small structural type of their own (``web.common.settings.WebSettings``,
``workers.settings.WorkerSettings``), and domain code receives plain values as arguments. Every
variable is listed in the README's configuration table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Mapping

from content_queue.budgets import DEFAULT_BUDGETS, Budget, parse_budgets
from content_queue.delivery_settings import parse_delivery_allowed_hosts
from content_queue.engagement_schedule import DEFAULT_OFFSETS, parse_poll_after
from content_queue.platforms import allowed_hosts as build_allowed_hosts, parse_allowed_hosts

DEFAULT_INSTANCE_DIR = Path.cwd() / "instance"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    return float(value)


def _int(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    return int(value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one Tenfour process."""

    instance_dir: Path
    database_url: str
    redis_url: str | None  # None means: start (or use) the embedded Redis
    secret_key: str
    encryption_keys: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 5000
    simulator_host: str = "127.0.0.1"
    simulator_port: int = 5055
    simulator_url: str = "http://127.0.0.1:5055"
    scheduler_tick_seconds: float = 0.25
    engagement_poll_seconds: float = 60.0
    #: issue 9 engagement: when a published target's metrics are read (ENGAGEMENT_POLL_AFTER).
    engagement_poll_after: tuple[timedelta, ...] = DEFAULT_OFFSETS
    #: issue 9 feedback: replies on posts younger than 48 h are read this often.
    feedback_poll_seconds: float = 300.0
    claim_batch_size: int = 500
    claim_ahead_seconds: float = 1.0
    publish_max_attempts: int = 5
    stuck_after_seconds: float = 30.0
    stuck_running_after_seconds: float = 360.0
    reap_every_seconds: float = 10.0
    retry_backoff_seconds: float = 30.0
    visibility_timeout_seconds: int = 3600
    worker_concurrency: int = 2
    worker_pool: str = "prefork"
    session_cookie_secure: bool = False
    #: Failed sign-ins allowed per e-mail and per client address before 429 (limits' notation).
    login_limit_per_email: str = "10 per 15 minutes"
    login_limit_per_address: str = "30 per 15 minutes"
    #: issue 11: a browser session ends after this many minutes without a request (a shift).
    session_idle_minutes: int = 480
    platform_api_base_urls: Mapping[str, str] = field(default_factory=dict)
    #: PLATFORM_ALLOWED_HOSTS: hosts added to each platform's outbound allow-list ("*" = all).
    platform_allowed_hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    x_price_per_post: float = 0.015
    x_price_per_link_post: float = 0.2
    public_base_url: str = "http://127.0.0.1:5000"
    oauth_clients: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    agency_name: str = "Metro 911 Communications"
    agency_timezone: str = "America/Chicago"
    testing: bool = False
    #: Per-platform posting budgets (POSTING_BUDGETS overrides the platforms' published limits).
    posting_budgets: Mapping[str, Budget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    smtp_host: str = ""  # e-mail notifications are off while empty
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "tenfour@localhost"
    smtp_starttls: bool = True
    webhook_url: str = ""  # the agency webhook is off while empty
    webhook_secret: str = ""
    #: AGENCY_DELIVERY_ALLOWED_HOSTS: addresses inside the network an agency's own SMTP server
    #: or webhook may use (by default only public ones may).
    agency_delivery_allowed_hosts: tuple[str, ...] = ()
    scheduler_stall_seconds: float = 180.0
    log_format: str = "text"  # "json": one JSON object a line
    log_level: str = "INFO"
    #: KITS_DIR: the agency's own campaign kits (YAML), adding to or replacing the built-in ones.
    kits_dir: Path | None = None
    #: issue 11 single sign-on (OpenID Connect); off while the discovery URL is empty.
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_provider_name: str = "single sign-on"  # the login button: "Sign in with <name>"
    oidc_groups_claim: str = "groups"  # the ID token claim that lists the person's groups
    oidc_scopes: str = "openid email profile"

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def oauth_client_vars(self) -> Mapping[str, Mapping[str, str]]:
        """Which environment variable sets each OAuth client value (for messages to admins)."""
        return OAUTH_CLIENT_VARS

    @property
    def default_base_urls(self) -> dict[str, str]:
        """Per-platform API hosts; the sandbox lives on the simulator unless configured."""
        return {"sandbox": self.simulator_url + "/sandbox", **self.platform_api_base_urls}

    @property
    def allowed_hosts(self) -> dict[str, tuple[str, ...]]:
        """Per platform, the only hosts connectors may send requests (and tokens) to."""
        return build_allowed_hosts(self.default_base_urls, dict(self.platform_allowed_hosts),
                             self.simulator_url)


PLATFORM_URL_VARS = {
    "x": "X_API_BASE_URL",
    "facebook": "FACEBOOK_API_BASE_URL",
    "instagram": "INSTAGRAM_API_BASE_URL",
    "mastodon": "MASTODON_API_BASE_URL",
    "bluesky": "BLUESKY_API_BASE_URL",
    "sandbox": "SANDBOX_API_BASE_URL",
}


#: The app's own OAuth client per platform (Instagram connects through Facebook Login).
OAUTH_CLIENT_VARS = {
    "x": {"client_id": "X_CLIENT_ID", "client_secret": "X_CLIENT_SECRET"},
    "facebook": {"app_id": "FACEBOOK_APP_ID", "app_secret": "FACEBOOK_APP_SECRET"},
    "mastodon": {"client_name": "MASTODON_CLIENT_NAME", "website": "MASTODON_CLIENT_WEBSITE"},
}


def make_private_dir(path: Path) -> None:
    """The instance folder is its owner's only (0700): it holds the keys and the database."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)


def _read_or_create_secret(path: Path, factory) -> str:
    """Keep generated secrets in the instance folder so restarts keep sessions and tokens readable."""
    if path.exists():
        return path.read_text().strip()
    make_private_dir(path.parent)
    value = factory()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment once. Missing secrets are generated into ``instance/`` on first use."""
    env = os.environ if env is None else env
    instance_dir = Path(env.get("TENFOUR_INSTANCE_DIR") or DEFAULT_INSTANCE_DIR).resolve()
    if instance_dir.exists():  # an older install's folder is narrowed; a new one is made 0700
        make_private_dir(instance_dir)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'tenfour.db'}"

    secret_key = env.get("SECRET_KEY") or _read_or_create_secret(
        instance_dir / "secret_key", lambda: os.urandom(32).hex()
    )
    keys_raw = env.get("TENFOUR_ENCRYPTION_KEYS") or _read_or_create_secret(
        instance_dir / "encryption_key", _new_fernet_key
    )
    encryption_keys = tuple(k.strip() for k in keys_raw.split(",") if k.strip())

    simulator_host = env.get("SIMULATOR_HOST", "127.0.0.1")
    simulator_port = _int(env.get("SIMULATOR_PORT"), 5055)
    simulator_url = env.get("SIMULATOR_URL") or f"http://{simulator_host}:{simulator_port}"
    bases = {p: env[v].rstrip("/") for p, v in PLATFORM_URL_VARS.items() if env.get(v)}
    clients: dict[str, dict[str, str]] = {}
    for platform, keys in OAUTH_CLIENT_VARS.items():
        values = {key: env[var] for key, var in keys.items() if env.get(var)}
        if values:
            clients[platform] = values
    host = env.get("HOST", "127.0.0.1")
    port = _int(env.get("PORT"), 5000)

    return Settings(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=secret_key,
        encryption_keys=encryption_keys,
        host=host,
        port=port,
        oauth_clients=clients,
        public_base_url=(env.get("PUBLIC_BASE_URL") or f"http://{host}:{port}").rstrip("/"),
        simulator_host=simulator_host,
        simulator_port=simulator_port,
        simulator_url=simulator_url.rstrip("/"),
        scheduler_tick_seconds=_float(env.get("SCHEDULER_TICK_SECONDS"), 0.25),
        engagement_poll_seconds=_float(env.get("ENGAGEMENT_POLL_SECONDS"), 60.0),
        engagement_poll_after=parse_poll_after(env.get("ENGAGEMENT_POLL_AFTER")),
        feedback_poll_seconds=_float(env.get("FEEDBACK_POLL_SECONDS"), 300.0),
        claim_batch_size=_int(env.get("CLAIM_BATCH_SIZE"), 500),
        claim_ahead_seconds=_float(env.get("CLAIM_AHEAD_SECONDS"), 1.0),
        publish_max_attempts=_int(env.get("PUBLISH_MAX_ATTEMPTS"), 5),
        stuck_after_seconds=_float(env.get("STUCK_AFTER_SECONDS"), 30.0),
        stuck_running_after_seconds=_float(env.get("STUCK_RUNNING_AFTER_SECONDS"), 360.0),
        reap_every_seconds=_float(env.get("REAP_EVERY_SECONDS"), 10.0),
        retry_backoff_seconds=_float(env.get("RETRY_BACKOFF_SECONDS"), 30.0),
        visibility_timeout_seconds=_int(env.get("VISIBILITY_TIMEOUT_SECONDS"), 3600),
        worker_concurrency=_int(env.get("WORKER_CONCURRENCY"), 2),
        worker_pool=_worker_pool(env.get("WORKER_POOL")),
        session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE"), False),
        login_limit_per_email=env.get("LOGIN_LIMIT_PER_EMAIL") or "10 per 15 minutes",
        login_limit_per_address=env.get("LOGIN_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        session_idle_minutes=max(1, _int(env.get("SESSION_IDLE_MINUTES"), 480)),
        platform_api_base_urls=bases,
        platform_allowed_hosts=parse_allowed_hosts(env.get("PLATFORM_ALLOWED_HOSTS")),
        x_price_per_post=_float(env.get("X_PRICE_PER_POST"), 0.015),
        x_price_per_link_post=_float(env.get("X_PRICE_PER_LINK_POST"), 0.2),
        agency_name=env.get("TENFOUR_AGENCY_NAME", "Metro 911 Communications"),
        agency_timezone=env.get("TENFOUR_TIMEZONE", "America/Chicago"),
        testing=_bool(env.get("TENFOUR_TESTING"), False),
        posting_budgets=parse_budgets(env.get("POSTING_BUDGETS")),
        smtp_host=env.get("SMTP_HOST", "").strip(),
        smtp_port=_int(env.get("SMTP_PORT"), 587),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_from=env.get("SMTP_FROM") or "tenfour@localhost",
        smtp_starttls=_bool(env.get("SMTP_STARTTLS"), True),
        webhook_url=env.get("WEBHOOK_URL", "").strip(),
        webhook_secret=env.get("WEBHOOK_SECRET", ""),
        agency_delivery_allowed_hosts=parse_delivery_allowed_hosts(
            env.get("AGENCY_DELIVERY_ALLOWED_HOSTS")),
        scheduler_stall_seconds=_float(env.get("SCHEDULER_STALL_SECONDS"), 180.0),
        log_format=_log_format(env.get("LOG_FORMAT")),
        log_level=(env.get("LOG_LEVEL") or "INFO").strip().upper(),
        kits_dir=Path(env["KITS_DIR"]).expanduser() if env.get("KITS_DIR") else None,
        oidc_discovery_url=env.get("OIDC_DISCOVERY_URL", "").strip(),
        oidc_client_id=env.get("OIDC_CLIENT_ID", "").strip(),
        oidc_client_secret=env.get("OIDC_CLIENT_SECRET", ""),
        oidc_provider_name=env.get("OIDC_PROVIDER_NAME", "").strip() or "single sign-on",
        oidc_groups_claim=env.get("OIDC_GROUPS_CLAIM", "").strip() or "groups",
        oidc_scopes=env.get("OIDC_SCOPES", "").strip() or "openid email profile",
    )


WORKER_POOLS = ("prefork", "threads", "solo")


def _worker_pool(value: str | None) -> str:
    pool = (value or "prefork").strip().lower()
    if pool not in WORKER_POOLS:
        raise ValueError(f"WORKER_POOL={value!r} is not a worker pool Tenfour runs; use one of "
                         f"{', '.join(WORKER_POOLS)} (threads suits publishing, which mostly "
                         "waits on the network).")
    return pool


def _log_format(value: str | None) -> str:
    fmt = (value or "text").strip().lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT={value!r}: use text (lines for people) or json (one "
                         "JSON object a line, for log collectors).")
    return fmt


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
