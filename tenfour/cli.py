"""The `tenfour` command: run everything, or one part, and administer users and tokens."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone

import click

from tenfour.config import Settings, load_settings


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _settings() -> Settings:
    return load_settings()


def _setup_logging() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group(help="Tenfour: outreach scheduler for 911 emergency communications centers.")
def main() -> None:
    pass


@main.command(help="Everything on one machine: Redis, web, worker, scheduler, simulator.")
def run() -> None:
    from tenfour.run_all import run_all

    sys.exit(run_all(_settings()))


@main.command(help="The web admin and JSON API under gunicorn.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--threads", default=4, show_default=True, help="threads per worker")
def web(workers: int, threads: int) -> None:
    from tenfour.gunicorn_app import serve

    serve(_settings(), workers=workers, threads=threads)


def _celery(settings: Settings):
    """The Celery app for this process, or a plain error when no broker is configured."""
    from tenfour.worker_app import build_celery
    from workers.app import BrokerNotConfigured

    try:
        return build_celery(settings)
    except BrokerNotConfigured as exc:
        raise SystemExit(str(exc)) from None


@main.command(help="A Celery worker for the publish and default queues.")
@click.option("--concurrency", "-c", type=int, default=None, help="processes (default: settings)")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int | None, loglevel: str) -> None:
    settings = _settings()
    celery_app = _celery(settings)
    celery_app.worker_main([
        "worker", "-Q", "publish,default", "-l", loglevel,
        "-c", str(concurrency or settings.worker_concurrency),
        "--without-gossip", "--without-mingle", "-n", f"tenfour-{os.getpid()}@%h",
    ])


@main.command(help="The due-time loop: claims due posts and sends them to the workers.")
def scheduler() -> None:
    from workers.loop import SchedulerLoop
    from workers.runtime import get_runtime

    _setup_logging()
    _celery(_settings())
    loop = SchedulerLoop(get_runtime())
    loop.install_signal_handlers()
    loop.run_forever()


@main.command(help="The loopback platform simulator (sandbox feed and platform APIs).")
def simulator() -> None:
    from simulator.server import serve

    settings = _settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    serve(settings.simulator_host, settings.simulator_port,
          data_file=str(settings.instance_dir / "simulator.json"))


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply every migration (safe to run again).")
def db_upgrade() -> None:
    from content_queue.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("Database is up to date.")


def _session():
    from content_queue.db import Database

    return Database(_settings().database_url)


@main.group(help="User accounts.")
def users() -> None:
    pass


def _read_password(password_stdin: bool) -> tuple[str, bool]:
    from content_queue.passwords import generate_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("no password on standard input")
        return password, False
    return generate_password(), True


def _fail(exc: Exception) -> None:
    message = getattr(exc, "message", str(exc))
    fields = getattr(exc, "fields", {}) or {}
    detail = "".join(f"\n  {k}: {v}" for k, v in fields.items())
    raise click.ClickException(message + detail)


@users.command("create", help="Create a user; prints a strong password unless --password-stdin.")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "approver", "pio", "viewer"]))
@click.option("--name", "display_name", default="")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_create(email: str, role: str, display_name: str, password_stdin: bool) -> None:
    from content_queue.errors import ServiceError
    from content_queue.users import create_user, get_or_create_agency

    settings = _settings()
    password, generated = _read_password(password_stdin)
    database = _session()
    try:
        with database.session_scope() as s:
            agency = get_or_create_agency(s, settings.agency_name, settings.agency_timezone,
                                          utcnow())
            user = create_user(s, agency_id=agency.id, email=email, role=role,
                               password=password, now=utcnow(), display_name=display_name)
            click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    except ServiceError as exc:
        _fail(exc)
    if generated:
        click.echo(f"Password: {password}")


@users.command("set-password", help="Set a user's password (generated unless --password-stdin).")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True)
def users_set_password(email: str, password_stdin: bool) -> None:
    from content_queue.errors import ServiceError
    from content_queue.users import find_user, set_password

    password, generated = _read_password(password_stdin)
    try:
        with _session().session_scope() as s:
            user = find_user(s, email)
            if user is None:
                raise click.ClickException(f"No user with the email {email}.")
            set_password(s, user, password, now=utcnow())
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Password set for {email}.")
    if generated:
        click.echo(f"Password: {password}")


@main.group(help="API tokens.")
def tokens() -> None:
    pass


@tokens.command("create", help="Create an API token; the token alone is the last line.")
@click.option("--email", required=True)
@click.option("--name", default="cli")
def tokens_create(email: str, name: str) -> None:
    from content_queue.users import create_api_token, find_user

    with _session().session_scope() as s:
        user = find_user(s, email)
        if user is None:
            raise click.ClickException(f"No user with the email {email}.")
        token = create_api_token(s, user, now=utcnow(), name=name)
    click.echo(f"Token for {email} ({user.role}); it is shown only once:", err=True)
    click.echo(token)


@main.group(help="Encryption keys for platform credentials.")
def keys() -> None:
    pass


@keys.command("rotate", help="Re-encrypt every account's credentials with the first key.")
def keys_rotate() -> None:
    from content_queue.accounts import rotate_credentials
    from content_queue.crypto import CredentialCipher

    settings = _settings()
    with _session().session_scope() as s:
        count = rotate_credentials(s, CredentialCipher(settings.encryption_keys))
    click.echo(f"Re-encrypted credentials of {count} account(s) with the newest key.")


@main.group(help="The demo data `tenfour run` creates.")
def demo() -> None:
    pass


@demo.command("bootstrap", help="Create (once) the agency, a demo admin and sandbox accounts.")
def demo_bootstrap() -> None:
    from tenfour.demo import bootstrap

    settings = _settings()
    for line in bootstrap(settings, _session()):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
