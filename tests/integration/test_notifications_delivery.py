"""Never silent, through the real stack: a publish that fails in a `tenfour worker` process
notifies the post's author and the admins in the app and the API, by e-mail to a real SMTP
server (aiosmtpd, started here) and by a signed webhook to a loopback receiver that first
answers 500 (the delivery is retried with backoff) and then 200. An agency's own SMTP server
and webhook are used over the installation's, and a person's e-mail opt-out stops only their
e-mail (issue 11)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.delivery_settings import DeliveryForm, update_delivery_settings
from content_queue.email_choices import CHOOSABLE, set_email_choices
from content_queue.models import Agency, Notification, PostTarget, User
from content_queue.notifications import deliver_after_commit, list_notifications, notify
from content_queue.services import queue_post
from tenfour.notify_sender import notification_sender
from tenfour.probe import RedisProbe
from tests.integration.helpers import utcnow, wait_until
from tests.integration.processes import WORKER_ARGS
from tests.integration.web_client import FormClient
from web import create_app

pytestmark = pytest.mark.slow

SECRET = "webhook-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content,
                                                                           policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver:
    """A webhook endpoint on loopback: answers 500 to the very first call, 200 afterwards."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 500 if not receiver.calls else 200
                    receiver.calls.append({"body": body, "status": status,
                                           "signature": self.headers.get("X-Tenfour-Signature")})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tenfour"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def _notifications(db, **where) -> list[Notification]:
    with db.session_scope(write=False) as s:
        query = select(Notification).order_by(Notification.id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows


def test_a_failed_publish_notifies_in_the_app_by_email_and_by_a_retried_signed_webhook(
        db, factory, sim, spawn, stack_settings, redis_url, smtp_server, webhook):
    inbox, smtp_port = smtp_server
    worker = spawn("worker", *WORKER_ARGS, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port),
          SMTP_STARTTLS="0", SMTP_FROM="tenfour@metro911.gov", WEBHOOK_URL=webhook.url,
          WEBHOOK_SECRET=SECRET, PUBLIC_BASE_URL="https://tenfour.metro911.gov"
          )
    worker.wait_for("ready.", timeout=60)
    scheduler = spawn("scheduler", "scheduler")
    scheduler.wait_for("scheduler ticking", timeout=30)
    account = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    author = factory.user("approver")  # not an admin; their posts need no approval
    sim.fault("revoke_token")
    with db.session_scope() as s:
        post = queue_post(s, actor=s.get(User, author.id), text="Winter storm tips",
                          account_ids=[account.id], scheduled_at=utcnow() + timedelta(seconds=1),
                          now=utcnow())
        target_id, post_id = post.targets[0].id, post.id

    def failed():
        with db.session_scope(write=False) as s:
            return s.get(PostTarget, target_id).status == "failed"
    try:
        wait_until(failed, timeout=30, message="the publish to fail")
    except AssertionError:
        print(worker.text()[-3000:], scheduler.text()[-3000:])
        raise

    def all_delivered():
        rows = _notifications(db)
        return rows if rows and all(r.delivery_state == "delivered" for r in rows) else None
    rows = wait_until(all_delivered, timeout=60, message="every notification to be delivered")

    events = {(r.event, r.user_id) for r in rows}
    assert ("target_failed", author.id) in events  # the author hears of their post
    assert any(e == "account_reconnect_needed" for e, _ in events)  # and admins of the account
    failed_for_author = next(r for r in rows if r.event == "target_failed"
                             and r.user_id == author.id)
    assert failed_for_author.post_id == post_id and failed_for_author.email_sent_at is not None

    # E-mail: a real SMTP conversation, one message to the author about the failed post.
    to_author = [m for rcpts, m in inbox.messages if author.email in rcpts
                 and "failed" in m["Subject"]]
    assert len(to_author) == 1
    assert to_author[0]["From"] == "tenfour@metro911.gov"
    assert f"https://tenfour.metro911.gov/posts/{post_id}" in to_author[0].get_content()

    # Webhook: one signed call per event; the first answered 500 and was delivered on retry.
    assert webhook.calls[0]["status"] == 500
    for call in webhook.calls:
        expected = "sha256=" + hmac.new(SECRET.encode(), call["body"], hashlib.sha256).hexdigest()
        assert call["signature"] == expected
    delivered = [json.loads(c["body"]) for c in webhook.calls if c["status"] == 200]
    assert sorted(p["event"] for p in delivered) == ["account_reconnect_needed", "target_failed"]
    first = json.loads(webhook.calls[0]["body"])
    assert first in delivered  # the refused one came again
    retried = next(r for r in rows if r.id == first["notification_id"])
    assert retried.delivery_attempts >= 2 and retried.webhook_sent_at is not None
    hook = next(p for p in delivered if p["event"] == "target_failed")
    assert hook["post_id"] == post_id and hook["target_id"] == target_id
    assert set(hook) >= {"event", "agency_id", "subject", "body", "post_id", "target_id",
                         "created_at", "url"}

    # In the app: the API and the page show it, with the unread count.
    app = create_app(stack_settings, db=db, probe=RedisProbe(redis_url))
    client = app.test_client()
    api = client.get("/api/v1/notifications",
                     headers={"Authorization": f"Bearer {factory.token(author)}"}).get_json()
    assert api["unread"] >= 1
    assert any(n["event"] == "target_failed" and n["post_id"] == post_id
               for n in api["notifications"])
    pages = FormClient(client, factory.password)
    pages.login(author)
    page = pages.text("/notifications")
    assert f"Post #{post_id} failed" in page and 'id="unread-count"' in page

    # The scheduler process is beating: /readyz is ready on the real Redis.
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()

    # The web process hands notifications on after its commit too (tenfour.wsgi's sender).
    web_db = Database(stack_settings.database_url)
    try:
        deliver_after_commit(web_db, notification_sender(redis_url))
        with web_db.session_scope() as s:
            [web_id] = notify(s, "account_reconnect_needed", agency_id=author.agency_id,
                              subject="From the web", body="", now=utcnow(),
                              recipients=[author.id])
        wait_until(lambda: _notifications(db, id=web_id)[0].delivery_state == "delivered",
                   timeout=30, message="the web's notification to be delivered")
        assert any(json.loads(c["body"])["notification_id"] == web_id for c in webhook.calls)
    finally:
        web_db.engine.dispose()


class Authenticator:
    """aiosmtpd authenticator: accepts any login and keeps what it was given."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


def test_an_agencys_own_smtp_and_webhook_win_and_a_persons_opt_out_stops_only_their_email(
        db, factory, spawn, stack_settings, redis_url, smtp_server, webhook):
    """Issue 11: the worker sends through the agency's own SMTP server (its login, its from
    address; the password decrypted from the database) and webhook (its own secret), not the
    installation's; a person who turned an event off by e-mail still has the in-app notice, and
    the event's webhook still goes out."""
    installation_inbox, installation_port = smtp_server  # the environment's SMTP_*
    agency_inbox, agency_port, auth = Inbox(), free_port(), Authenticator()
    agency_smtp = Controller(agency_inbox, hostname="127.0.0.1", port=agency_port,
                             authenticator=auth, auth_require_tls=False)
    agency_smtp.start()
    agency_hook = Receiver()
    try:
        with agency_hook:
            worker = spawn("worker", *WORKER_ARGS, SMTP_HOST="127.0.0.1",
                           SMTP_PORT=str(installation_port), SMTP_STARTTLS="0",
                           SMTP_FROM="tenfour@installation.example", WEBHOOK_URL=webhook.url,
                           WEBHOOK_SECRET=SECRET,
                           AGENCY_DELIVERY_ALLOWED_HOSTS="127.0.0.1")  # the test's servers
            worker.wait_for("ready.", timeout=60)
            quiet, loud = factory.user("admin"), factory.user("pio")
            with db.session_scope() as s:
                update_delivery_settings(
                    s, CredentialCipher(stack_settings.encryption_keys),
                    s.get(Agency, quiet.agency_id),
                    DeliveryForm(smtp_host="127.0.0.1", smtp_port=str(agency_port),
                                 smtp_username="metro-relay", smtp_password="relay-Pa55",
                                 smtp_from="alerts@metro911.gov", smtp_starttls=False,
                                 webhook_url=agency_hook.url, webhook_secret="agency-secret"),
                    actor_id=quiet.id, now=utcnow(), allowed_hosts=("127.0.0.1",))
                set_email_choices(s, s.get(User, quiet.id), CHOOSABLE - {"target_failed"},
                                  now=utcnow())

            sender_db = Database(stack_settings.database_url)
            try:
                deliver_after_commit(sender_db, notification_sender(redis_url))
                with sender_db.session_scope() as s:
                    ids = notify(s, "target_failed", agency_id=quiet.agency_id,
                                 subject="Post #1 failed on X @metro911", body="Refused.",
                                 now=utcnow(), recipients=[quiet.id, loud.id])
            finally:
                sender_db.engine.dispose()

            def settled():
                rows = [r for r in _notifications(db) if r.id in ids]
                return rows if all(r.delivery_state == "delivered" for r in rows) else None
            try:
                quiet_row, loud_row = wait_until(settled, timeout=60,
                                                 message="both notifications to be delivered")
            except AssertionError:
                print(worker.text()[-3000:])
                raise
            hook_calls = list(agency_hook.calls)
    finally:
        agency_smtp.stop()

    # E-mail: through the agency's server with its login, from its address; none through the
    # installation's; none to the person who turned "a post failed" off.
    assert [rcpts for rcpts, _ in agency_inbox.messages] == [[loud.email]]
    assert agency_inbox.messages[0][1]["From"] == "alerts@metro911.gov"
    assert auth.logins and set(auth.logins) == {("metro-relay", "relay-Pa55")}
    assert installation_inbox.messages == []
    assert quiet_row.email_muted is True and quiet_row.email_sent_at is None
    assert loud_row.email_sent_at is not None and not loud_row.email_muted

    # Webhook: the agency's, signed with the agency's secret (first answer 500, then retried);
    # the installation's webhook heard nothing. It rode on the quiet person's row.
    assert webhook.calls == []
    assert quiet_row.sends_webhook and quiet_row.webhook_sent_at is not None
    delivered = [c for c in hook_calls if c["status"] == 200]
    assert len(delivered) == 1
    body = delivered[0]["body"]
    assert delivered[0]["signature"] == "sha256=" + hmac.new(
        b"agency-secret", body, hashlib.sha256).hexdigest()
    assert json.loads(body)["notification_id"] == quiet_row.id

    # In the app: the quiet person still has the notice, unread.
    with db.session_scope(write=False) as s:
        page, total = list_notifications(s, quiet.id)
        assert [n.id for n in page] == [quiet_row.id] and page[0].read_at is None
