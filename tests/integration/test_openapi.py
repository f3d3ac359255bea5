"""The OpenAPI document at /api/v1/openapi.json matches what the server does.

- every route under /api/v1 in the URL map is described, and nothing else is;
- real responses of a scripted session (successes and refusals) validate against the schemas
  the document gives for their status;
- schemathesis generates requests for every operation (bounded) and finds no 5xx, no status
  the document does not list and no body that breaks its schema.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from tests.conftest import utcnow
from web.api.openapi import API_PREFIX, OPERATIONS, openapi_path

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        for method in rule.methods - IGNORED_METHODS:
            routes.add((rule.rule[len(API_PREFIX):], method))
    return routes


def test_every_api_route_is_described_and_nothing_else(app):
    served = _api_routes(app)
    described = set(OPERATIONS)
    assert not served - described, (
        "API routes without a description in the OpenAPI document (add them to "
        f"web/api/openapi.py OPERATIONS or with document()): {sorted(served - described)}")
    assert not described - served, f"described but not served: {sorted(described - served)}"


def test_the_document_is_served_without_a_token_and_lists_every_path(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    paths = {openapi_path(rule)[0] for rule, _ in _api_routes(app)}
    assert set(doc["paths"]) == paths
    # Everything else still needs a token.
    assert client.get("/api/v1/posts").status_code == 401


class Validator:
    """Validates a response body against the document's schema for (path, method, status)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.patterns = [(re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", p) + "$"), p)
                         for p in doc["paths"]]

    def schema_for(self, path: str, method: str, status: int) -> dict:
        path = path.split("?")[0][len(API_PREFIX):]
        template = next(t for pattern, t in self.patterns if pattern.match(path))
        responses = self.doc["paths"][template][method.lower()]["responses"]
        response = responses.get(str(status)) or responses["default"]
        return response["content"]["application/json"]["schema"]

    def check(self, response, path: str, method: str) -> None:
        schema = self.schema_for(path, method, response.status_code)
        validator = jsonschema_rs.validator_for(
            {**schema, "components": self.doc["components"]})
        errors = [str(e) for e in validator.iter_errors(response.get_json())]
        assert not errors, (f"{method} {path} → {response.status_code} breaks the document: "
                            f"{errors[:3]}\n{response.get_json()}")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_real_responses_match_the_document(client, factory):
    admin = factory.user("admin")
    headers = {"Authorization": f"Bearer {factory.token(admin)}"}
    account = factory.account()
    validator = Validator(client.get("/api/v1/openapi.json").get_json())
    when = (utcnow() + timedelta(days=2)).replace(microsecond=0).isoformat()
    calls = []

    def call(method: str, path: str, **kwargs):
        response = client.open(path, method=method, headers=headers, **kwargs)
        validator.check(response, path, method)
        calls.append((method, path, response.status_code))
        return response

    media = call("POST", "/api/v1/media", data={"file": (io.BytesIO(_png()), "red.png"),
                                                "alt_text": "A red square"},
                 content_type="multipart/form-data").get_json()
    call("GET", f"/api/v1/media/{media['id']}")
    campaign = call("POST", "/api/v1/campaigns", json={"name": "Telecommunicator Week"}).get_json()
    call("GET", "/api/v1/campaigns")
    call("GET", f"/api/v1/campaigns/{campaign['id']}")
    call("GET", "/api/v1/accounts")
    post = call("POST", "/api/v1/posts", json={
        "text": "Thank you, dispatchers!", "account_ids": [account.id], "scheduled_at": when,
        "campaign_id": campaign["id"], "media_ids": [media["id"]]}).get_json()
    call("GET", "/api/v1/posts?per_page=5")
    call("GET", f"/api/v1/posts/{post['id']}")
    later = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    call("POST", f"/api/v1/posts/{post['id']}/reschedule", json={"scheduled_at": later})
    pause = call("POST", "/api/v1/pauses", json={"reason": "Line-of-duty death"}).get_json()
    call("GET", "/api/v1/pauses")
    call("POST", f"/api/v1/pauses/{pause['id']}/resume", json={"held": "shift"})
    call("POST", f"/api/v1/posts/{post['id']}/cancel")
    call("GET", "/api/v1/notifications")
    # Refusals answer with the Error shape under their own status.
    refusals = [
        call("GET", "/api/v1/posts/999999"),
        call("POST", "/api/v1/posts", json={"text": "", "account_ids": []}),
        call("POST", "/api/v1/posts/999999/approve"),
        call("POST", "/api/v1/notifications/999999/read"),
        call("GET", "/api/v1/posts?per_page=many"),
    ]
    assert [r.status_code for r in refusals] == [404, 422, 404, 404, 422]
    # A per_page above the maximum is lowered, not refused (as the document says).
    assert call("GET", "/api/v1/posts?per_page=100000").get_json()["per_page"] == 200
    assert {m for m, _, _ in calls} == {"GET", "POST"}


# --- schemathesis over every operation ---------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid-input", "invalid-input"])
def test_schemathesis_finds_no_server_error_or_broken_response(app, factory, mode):
    """Bounded: a dozen generated requests per operation and mode (derandomized, so a failure
    repeats), each checked for a 5xx, an undocumented status, a wrong content type and a body
    that breaks the schema."""
    admin = factory.user("admin")
    factory.account()
    headers = {"Authorization": f"Bearer {factory.token(admin)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, ran = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:600]}")
        ran += 1
    # Every operation ran, except the document itself (schemathesis leaves its own source out).
    assert ran == len(OPERATIONS) - 1, (ran, failures)
    assert not failures, "\n\n".join(failures)
