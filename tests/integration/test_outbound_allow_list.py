"""Outbound calls go only to each platform's allowed hosts, handles never change a request's
path, and what a platform answered is summarised rather than echoed into pages."""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from connectors.linking import Linker
from connectors.registry import connector_for
from connectors.sandbox import SandboxConnector
from content_queue.models import SocialAccount
from content_queue.ports import Permanent, PublishRequest
from tenfour.config import load_settings
from tests.integration.helpers import assert_api_error, count_rows
from workers.runtime import Runtime

LOOPBACK_REDIS = "http://127.0.0.1:6379"
TRAVERSAL = "../../../../internal/admin?x="


class Recorder:
    """A loopback HTTP server that records every request path and answers with ``body``."""

    def __init__(self, status: int = 200, body: bytes = b"{}") -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def admin_token(factory):
    return factory.token(factory.user("admin"))


def test_admin_cannot_point_an_account_at_a_host_outside_the_allow_list(client, admin_token, db):
    auth = {"Authorization": f"Bearer {admin_token}"}
    for platform, credentials in (("sandbox", {"access_token": "t"}),
                                  ("bluesky", {"identifier": "a.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"})):
        response = client.post("/api/v1/accounts", headers=auth, json={
            "platform": platform, "handle": "metro911", "credentials": credentials,
            "api_base_url": LOOPBACK_REDIS})
        error = assert_api_error(response, 422, "host_not_allowed")
        assert "127.0.0.1:6379 is not one of them" in error["message"]
        assert "PLATFORM_ALLOWED_HOSTS" in error["message"]
    mastodon = client.post("/api/v1/accounts", headers=auth, json={
        "platform": "mastodon", "handle": "metro911",
        "credentials": {"instance_url": "http://169.254.169.254", "access_token": "t"}})
    assert_api_error(mastodon, 422, "host_not_allowed")
    assert count_rows(db, SocialAccount) == 0


def test_a_handle_that_would_leave_the_base_url_is_refused_when_saved(client, admin_token, db):
    response = client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {admin_token}"},
                           json={"platform": "sandbox", "handle": TRAVERSAL,
                                 "credentials": {"access_token": "t"}})
    assert_api_error(response, 422, "invalid_handle")
    assert count_rows(db, SocialAccount) == 0


def test_the_registry_builds_no_connector_for_a_host_outside_the_allow_list(settings, recorder):
    runtime = Runtime(settings)
    encrypted = runtime.cipher.encrypt({"access_token": "secret-token"})
    with pytest.raises(Permanent) as refused:
        runtime.connector("sandbox", "metro911", encrypted, recorder.url.replace("127.0.0.1", "localhost"))
    assert refused.value.reason == "host_not_allowed"
    with pytest.raises(Permanent) as refused:
        connector_for("x", handle="metro911", credentials={}, api_base_url=LOOPBACK_REDIS)
    assert refused.value.reason == "host_not_allowed"
    with pytest.raises(Permanent) as refused:
        connector_for("mastodon", handle="metro911", api_base_url=None,
                      credentials={"instance_url": "127.0.0.1:6379", "access_token": "t"})
    assert refused.value.reason == "host_not_allowed"
    assert recorder.paths == []  # nothing was sent, so the token never left


def test_an_operator_allows_a_host_with_platform_allowed_hosts(settings, recorder):
    host = recorder.url.split("://")[1]
    allowed = replace(settings, platform_allowed_hosts=load_settings({
        "TENFOUR_INSTANCE_DIR": str(settings.instance_dir), "SECRET_KEY": "k",
        "TENFOUR_ENCRYPTION_KEYS": settings.encryption_keys[0],
        "PLATFORM_ALLOWED_HOSTS": f"sandbox={host}, mastodon=*.example.gov"}).platform_allowed_hosts)
    assert "*.example.gov" in allowed.allowed_hosts["mastodon"]
    runtime = Runtime(allowed)
    connector = runtime.connector("sandbox", "metro911",
                                  runtime.cipher.encrypt({"access_token": "t"}), recorder.url)
    with pytest.raises(KeyError):  # the recorder's {} is not an account: but the call was made
        connector.verify()
    assert recorder.paths == ["/api/v1/accounts/metro911"]
    with pytest.raises(ValueError, match="not a host name"):
        load_settings({"TENFOUR_INSTANCE_DIR": str(settings.instance_dir), "SECRET_KEY": "k",
                       "TENFOUR_ENCRYPTION_KEYS": settings.encryption_keys[0],
                       "PLATFORM_ALLOWED_HOSTS": "https://social.example.gov/api"})


def test_a_traversal_handle_never_reaches_the_platform(recorder):
    with pytest.raises(Permanent) as refused:
        connector_for("sandbox", handle=TRAVERSAL, credentials={"access_token": "t"},
                      api_base_url=recorder.url, allowed_hosts={"sandbox": (recorder.url[7:],)})
    assert refused.value.reason == "invalid_handle"
    with pytest.raises(Permanent):
        SandboxConnector(handle=TRAVERSAL, credentials={"access_token": "t"}, api_base_url=recorder.url)
    assert recorder.paths == []


def test_mastodon_connect_refuses_a_server_outside_the_allow_list(recorder):
    linker = Linker({}, {})
    for instance in (recorder.url, "127.0.0.1:6379"):
        with pytest.raises(Permanent) as refused:
            linker.oauth_start("mastodon", redirect_uri="http://localhost/cb", api_base_url=None,
                               instance_url=instance)
        assert refused.value.reason == "host_not_allowed"
    with pytest.raises(Permanent) as refused:
        linker.oauth_start("mastodon", redirect_uri="http://localhost/cb", api_base_url=None,
                           instance_url="mastodon.social/../../admin")
    assert refused.value.reason == "invalid_instance"
    assert recorder.paths == []


def test_an_upstream_error_page_is_summarised_not_echoed():
    page = b'{"error": {"code": "bad", "message": "<html><script>alert(1)</script>internal stack trace ...</html>"}}'
    server = Recorder(status=400, body=page)
    try:
        connector = SandboxConnector(handle="metro911", credentials={"access_token": "t"},
                                     api_base_url=server.url)
        with pytest.raises(Permanent) as refused:
            connector.publish(PublishRequest(text="Test"))
    finally:
        server.close()
    assert refused.value.message == "Sandbox refused the post: HTTP 400"
    assert "<" not in refused.value.message and "stack" not in refused.value.message


def test_bluesky_form_refuses_a_pds_outside_the_allow_list(settings, db, factory):
    from tenfour.wsgi import build_app
    from tests.integration.web_client import FormClient

    browser = FormClient(build_app(settings, db=db).test_client(), factory.password)
    browser.login(factory.user("admin"))
    response = browser.submit("/accounts/connect/bluesky", {
        "identifier": "metro911.bsky.social", "app_password": "abcd-efgh-ijkl-mnop",
        "pds_url": LOOPBACK_REDIS})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "PLATFORM_ALLOWED_HOSTS" in page and "127.0.0.1:6379 is not one of them" in page
