"""The `tenfour` command: run everything, or one part, and administer users and tokens."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import datetime, timezone

import click

from tenfour import gc_tuning
from tenfour.config import Settings, load_settings, make_private_dir


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:  # a bad setting (ENGAGEMENT_POLL_AFTER, WORKER_POOL, ...) in words
        raise click.ClickException(str(exc)) from None


def _setup_logging(settings: Settings) -> None:
    """LOG_FORMAT=text (lines) or json (one object a line), at LOG_LEVEL."""
    from tenfour.logging_setup import configure_logging

    configure_logging(settings.log_format, settings.log_level)


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

    settings = _settings()
    _setup_logging(settings)
    serve(settings, workers=workers, threads=threads)


def _celery(settings: Settings):
    """The Celery app for this process, or a plain error when no broker is configured."""
    from tenfour.worker_app import build_celery
    from workers.app import BrokerNotConfigured

    try:
        return build_celery(settings)
    except BrokerNotConfigured as exc:
        raise SystemExit(str(exc)) from None


@main.command(help="A Celery worker for the publish and default queues.")
@click.option("--concurrency", "-c", type=int, default=None,
              help="processes or threads (default: WORKER_CONCURRENCY)")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default=None,
              help="prefork (default: WORKER_POOL) or threads: publishing mostly waits on the "
                   "network, so a thread pool sized to burst x platform latency keeps up")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int | None, pool: str | None, loglevel: str) -> None:
    settings = _settings()
    if concurrency:  # the database pool is sized to what actually runs
        settings = replace(settings, worker_concurrency=concurrency)
    if settings.log_format == "json":  # else Celery's own lines, as before
        from tenfour.logging_setup import keep_celery_off_the_root_logger

        _setup_logging(replace(settings, log_level=loglevel.upper()))
        keep_celery_off_the_root_logger()
    celery_app = _celery(settings)
    _settle_once_started()
    celery_app.worker_main([
        "worker", "-Q", "publish,default", "-l", loglevel,
        "-P", pool or settings.worker_pool,
        "-c", str(concurrency or settings.worker_concurrency),
        "--without-gossip", "--without-mingle", "-n", f"tenfour-{os.getpid()}@%h",
    ])


@main.command(help="The due-time loop: claims due posts and sends them to the workers.")
def scheduler() -> None:
    from workers.loop import SchedulerLoop
    from workers.runtime import get_runtime

    settings = _settings()
    _setup_logging(settings)
    _celery(settings)
    loop = SchedulerLoop(get_runtime())
    loop.install_signal_handlers()
    gc_tuning.settle()  # short full collections: a pause here delays every claim
    loop.run_forever()


def _settle_once_started() -> None:
    """Short full collections in the worker (see :mod:`tenfour.gc_tuning`): in the main
    process once it is ready (the thread pool runs tasks there), and in each prefork child."""
    from celery.signals import worker_process_init, worker_ready

    worker_ready.connect(lambda **_: gc_tuning.settle(), weak=False)
    worker_process_init.connect(lambda **_: gc_tuning.settle(), weak=False)


@main.command(help="The loopback platform simulator (sandbox feed and platform APIs).")
def simulator() -> None:
    from simulator.server import serve

    settings = _settings()
    make_private_dir(settings.instance_dir)
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
@click.option("--role", required=True,
              type=click.Choice(["admin", "approver", "pio", "viewer", "owner"]))
@click.option("--name", "display_name", default="")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--agency", "agency_id", type=int, default=None,
              help="the agency's id (from `tenfour agencies create`); default: the first agency")
def users_create(email: str, role: str, display_name: str, password_stdin: bool,
                 agency_id: int | None) -> None:
    from content_queue.errors import ServiceError
    from content_queue.models import Agency
    from content_queue.users import create_user, get_or_create_agency

    settings = _settings()
    password, generated = _read_password(password_stdin)
    database = _session()
    try:
        with database.session_scope() as s:
            if agency_id is not None:
                agency = s.get(Agency, agency_id)
                if agency is None:
                    raise click.ClickException(f"No agency with the id {agency_id}.")
            else:
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


@main.group(help="Agencies on this installation (issue 11).")
def agencies() -> None:
    pass


@agencies.command("create", help="Create an agency; its id alone is the last line.")
@click.option("--name", required=True)
@click.option("--timezone", "timezone_name", required=True, help="IANA zone, e.g. America/Denver")
def agencies_create(name: str, timezone_name: str) -> None:
    from content_queue.agencies import create_agency
    from content_queue.errors import ServiceError

    try:
        with _session().session_scope() as s:
            agency = create_agency(s, name=name, timezone_name=timezone_name, now=utcnow())
            agency_id = agency.id
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created the agency {name} ({timezone_name}). Its id:", err=True)
    click.echo(agency_id)


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


def _pause_agency_and_actor(s, settings: Settings, email: str | None):
    from content_queue.users import find_user, get_or_create_agency

    if email:
        user = find_user(s, email)
        if user is None:
            raise click.ClickException(f"No user with the email {email}.")
        return user.agency_id, user
    agency = get_or_create_agency(s, settings.agency_name, settings.agency_timezone, utcnow())
    return agency.id, None


@main.command(help="Pause outgoing posts (an incident): the whole agency, or some accounts.")
@click.option("--reason", required=True, help="why; shown on every page and held post")
@click.option("--account", "accounts", multiple=True, type=int,
              help="an account id to pause (repeat for more); none: every account")
@click.option("--email", default=None, help="record this approver or admin as the one pausing")
def pause(reason: str, accounts: tuple[int, ...], email: str | None) -> None:
    from content_queue.errors import ServiceError
    from content_queue.pauses import create_pause

    settings = _settings()
    try:
        with _session().session_scope() as s:
            agency_id, actor = _pause_agency_and_actor(s, settings, email)
            made = create_pause(s, actor=actor, agency_id=agency_id, reason=reason,
                                account_ids=list(accounts) or None, now=utcnow())
            scope = ("every account" if made.whole_agency
                     else "account(s) " + ", ".join(str(i) for i in made.account_ids))
            click.echo(f"Paused outgoing posts on {scope} (pause {made.id}): {made.reason}")
    except ServiceError as exc:
        _fail(exc)


@main.command(help="Resume every active pause; held posts shift by the pause's length unless "
                   "--held says otherwise.")
@click.option("--held", type=click.Choice(["publish_now", "shift", "review"]), default="shift",
              show_default=True, help="publish_now: spaced out now; shift: moved by the "
                                      "pause's length; review: back for approval")
@click.option("--email", default=None, help="record this approver or admin as the one resuming")
def resume(held: str, email: str | None) -> None:
    from content_queue.errors import ServiceError
    from content_queue.pauses import active_pauses, resume_pause

    settings = _settings()
    try:
        with _session().session_scope() as s:
            agency_id, actor = _pause_agency_and_actor(s, settings, email)
            pauses = active_pauses(s, agency_id)
            if not pauses:
                click.echo("Nothing is paused.")
                return
            for active in pauses:
                result = resume_pause(s, actor=actor, pause_id=active.id, held=held,
                                      now=utcnow(), budgets=settings.posting_budgets)
                click.echo(f"Resumed pause {active.id} ({active.reason}): "
                           f"{len(result.released)} held post(s), {held}.")
    except ServiceError as exc:
        _fail(exc)


@main.group(help="Encryption keys for platform credentials.")
def keys() -> None:
    pass


@keys.command("rotate", help="Re-encrypt every account's credentials (and every agency's SMTP "
              "password and webhook secret) with the first key.")
def keys_rotate() -> None:
    from content_queue.accounts import rotate_credentials
    from content_queue.crypto import CredentialCipher
    from content_queue.delivery_settings import rotate_delivery_secrets

    settings = _settings()
    cipher = CredentialCipher(settings.encryption_keys)
    with _session().session_scope() as s:
        count = rotate_credentials(s, cipher)
        agencies = rotate_delivery_secrets(s, cipher)
    click.echo(f"Re-encrypted credentials of {count} account(s) with the newest key.")
    if agencies:
        click.echo(f"Re-encrypted the e-mail and webhook secrets of {agencies} agency(ies).")


@main.group(help="The demo data `tenfour run` creates.")
def demo() -> None:
    pass


@demo.command("bootstrap", help="Create (once) the agency, a demo admin and sandbox accounts.")
def demo_bootstrap() -> None:
    from tenfour.demo import bootstrap

    settings = _settings()
    for line in bootstrap(settings, _session()):
        click.echo(line)


# issue 10 kits: the public-records archive and the kit files, from the command line.
@main.command(help="Export the public-records archive (a zip) for a date range.")
@click.option("--from", "start", required=True, help="first day, YYYY-MM-DD (agency time)")
@click.option("--to", "end", required=True, help="last day, YYYY-MM-DD (included)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="the zip file to write")
@click.option("--email", default=None, help="record this admin as the one exporting")
def archive(start: str, end: str, out: str, email: str | None) -> None:
    from content_queue.archive import parse_range, record_export, write_archive
    from content_queue.errors import ServiceError
    from content_queue.models import Agency

    settings = _settings()
    database = _session()
    now = utcnow()
    partial = out + ".partial"
    try:
        with database.session_scope(write=False) as s:
            agency_id, actor = _pause_agency_and_actor(s, settings, email)
            if actor is not None and actor.role != "admin":
                raise click.ClickException(f"{email} is not an admin; only an admin can export "
                                           "the archive.")
            agency = s.get(Agency, agency_id)
            span = parse_range(start, end, agency.timezone)
            with open(partial, "wb") as fh:
                summary = write_archive(s, fh, agency=agency, span=span, exported_by=actor,
                                        now=now)
            actor_id = actor.id if actor else None
        os.replace(partial, out)
        with database.session_scope() as s:
            from content_queue.models import User

            record_export(s, summary, agency_id=agency_id,
                          actor=s.get(User, actor_id) if actor_id else None, now=now, via="cli")
    except ServiceError as exc:
        _fail(exc)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    counts = summary.counts
    click.echo(f"Wrote {out}: {counts['posts']} post(s), {counts['replies']} repl(ies), "
               f"{counts['media']} image(s), {span.start} to {span.end} ({span.timezone}).")
    click.echo(f"manifest.json SHA-256: {summary.manifest_sha256}")


@main.group(help="Campaign kits (YAML files).")
def kits() -> None:
    pass


@kits.command("check", help="Read every kit file (built-in and KITS_DIR); list errors.")
def kits_check() -> None:
    from content_queue.kits import load_catalog

    catalog = load_catalog(_settings().kits_dir)
    for kit in catalog.kits.values():
        click.echo(f"ok  {kit.id}: {kit.name} ({len(kit.posts)} posts) — {kit.source}")
    for error in catalog.errors:
        click.echo(f"error  {error}", err=True)
    if catalog.errors:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
