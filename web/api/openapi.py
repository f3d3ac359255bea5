"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the JSON API, built with apispec.

Operations are described in :data:`OPERATIONS`, keyed by the Flask rule and method, so the
document can be checked against the app's URL map: ``tests/integration/test_openapi.py`` fails
on a route of ``/api/v1`` without a description here (and on a description without a route),
validates real responses against the schemas, and runs schemathesis over every operation.

The document itself is public (it says how to call the API, not what is in it); every
operation in it needs a Bearer token.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

from apispec import APISpec
from flask import current_app, jsonify

from web.api.blueprint import bp
from web.api.openapi_schemas import SCHEMAS, ref

API_PREFIX = "/api/v1"
#: Flask converters → the path parameter's JSON Schema.
_CONVERTERS = {"int": {"type": "integer", "minimum": 1}, "string": {"type": "string"},
               "default": {"type": "string"}}
_RULE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ERROR_STATUSES = {
    "400": "The request is malformed (bad JSON, bad parameter).",
    "401": "No token, or the token is unknown, revoked or expired.",
    "403": "The token's user may not do this.",
    "404": "Nothing with that id in your agency.",
    "409": "The post changed in the meantime; read it again.",
    "422": "The input breaks a rule (the message says which, in plain words).",
    "429": "Too many requests; retry after the Retry-After header.",
}
JSON = "application/json"


def _json(schema: dict[str, Any] | str, description: str) -> dict[str, Any]:
    body = ref(schema) if isinstance(schema, str) else schema
    return {"description": description, "content": {JSON: {"schema": body}}}


def op(summary: str, tag: str, ok: tuple[int, Any, str] | None = None, *,
       body: str | dict[str, Any] | None = None, body_required: bool = True,
       query: Iterable[tuple[str, dict[str, Any], str]] = (), errors: Iterable[str] = (),
       content: str = JSON, raw_ok: dict[str, Any] | None = None,
       description: str = "", public: bool = False) -> dict[str, Any]:
    """One operation: ``ok`` is (status, schema name or schema, description); every error
    status answers with the Error shape."""
    responses: dict[str, Any] = {}
    if raw_ok is not None:
        responses.update(raw_ok)
    elif ok is not None:
        status, schema, text = ok
        responses[str(status)] = _json(schema, text)
    for status in ("400", "401", *errors):
        responses[status] = _json("Error", ERROR_STATUSES[status])
    responses["default"] = _json("Error", "Any other refusal (413 too large, 415, 503 busy).")
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        operation["description"] = description
    if not public:
        operation["security"] = [{"bearer": []}]
    if body is not None:
        schema = ref(body) if isinstance(body, str) else body
        operation["requestBody"] = {"required": body_required,
                                    "content": {content: {"schema": schema}}}
    params = [{"name": name, "in": "query", "required": False, "schema": schema,
               "description": text} for name, schema, text in query]
    if params:
        operation["parameters"] = params
    return operation


PAGE = ("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1.")


def per_page(maximum: int, default: int = 50) -> tuple[str, dict[str, Any], str]:
    return ("per_page", {"type": "integer", "minimum": 1, "default": default},
            f"Items per page; more than {maximum} is lowered to {maximum}.")


#: (Flask rule under /api/v1, METHOD) → operation. Other modules add theirs with
#: :func:`document`.
OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/posts", "POST"): op(
        "Queue a post on one or more accounts", "posts", (201, "Post", "The new post."),
        body="NewPost", errors=("403", "404", "422"),
        description="Submitted unless submit is false. A PIO's post waits for approval."),
    ("/posts", "GET"): op(
        "List the agency's posts, newest first", "posts", (200, "PostPage", "A page of posts."),
        query=[PAGE, per_page(200),
               ("status", {"type": "string"}, "Only posts with this status.")]),
    ("/posts/<int:post_id>", "GET"): op("Read a post", "posts", (200, "Post", "The post."),
                                        errors=("404",)),
    ("/posts/<int:post_id>/approve", "POST"): op(
        "Approve a post awaiting approval", "posts", (200, "Post", "The approved post."),
        body="Empty", body_required=False, errors=("403", "404", "409", "422")),
    ("/posts/<int:post_id>/reject", "POST"): op(
        "Send a post back to its author", "posts", (200, "Post", "The post, back to draft."),
        body="Reason", body_required=False, errors=("403", "404", "409", "422")),
    ("/posts/<int:post_id>/cancel", "POST"): op(
        "Cancel a post's unsent targets", "posts", (200, "Post", "The cancelled post."),
        body="Empty", body_required=False, errors=("403", "404", "409", "422")),
    ("/posts/<int:post_id>/reschedule", "POST"): op(
        "Move a post to another time", "posts", (200, "Post", "The rescheduled post."),
        body="Reschedule", errors=("403", "404", "409", "422")),
    ("/targets/<int:target_id>/confirm", "POST"): op(
        "Confirm that an unconfirmed target is on the platform", "posts",
        (200, "Target", "The target, now published."), body="Confirm",
        errors=("403", "404", "409", "422")),
    ("/targets/<int:target_id>/repost", "POST"): op(
        "Post an unconfirmed target again", "posts", (200, "Target", "The target, due now."),
        body="Empty", body_required=False, errors=("403", "404", "409", "422")),
    ("/media", "POST"): op(
        "Upload an image (multipart: file, alt_text)", "media", (201, "Media", "The image."),
        body={"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"},
            "alt_text": {"type": "string"}}, "required": ["file", "alt_text"]},
        content="multipart/form-data", errors=("403", "422")),
    ("/media/<int:media_id>", "GET"): op("Read an image's description", "media",
                                         (200, "Media", "The image."), errors=("404",)),
    ("/accounts", "GET"): op("List the agency's social accounts", "accounts",
                             (200, "AccountList", "The accounts.")),
    ("/accounts", "POST"): op("Connect an account with its credentials (admins)", "accounts",
                              (201, "Account", "The account."), body="NewAccount",
                              errors=("403", "422")),
    ("/campaigns", "GET"): op("List campaigns with their estimated cost", "campaigns",
                              (200, "CampaignList", "The campaigns.")),
    ("/campaigns", "POST"): op("Create a campaign", "campaigns",
                               (201, "Campaign", "The campaign."), body="NewCampaign",
                               errors=("403", "422")),
    ("/campaigns/<int:campaign_id>", "GET"): op("Read a campaign", "campaigns",
                                                (200, "Campaign", "The campaign."),
                                                errors=("404",)),
    ("/pauses", "POST"): op("Pause outgoing posts (approvers, admins)", "pauses",
                            (201, "Pause", "The pause."), body="NewPause",
                            errors=("403", "422")),
    ("/pauses", "GET"): op("The active pauses", "pauses", (200, "PauseList", "Active pauses."),
                           errors=("403",)),
    ("/pauses/<pause_id>/resume", "POST"): op(
        "Resume; held posts go out now (spaced), shift by the pause's length, or back to review",
        "pauses", (200, "ResumedPause", "The ended pause, with how many posts it released."),
        body="Resume", body_required=False, errors=("403", "404", "409", "422")),
    ("/notifications", "GET"): op(
        "Your notifications, newest first, with the unread count", "notifications",
        (200, "NotificationPage", "A page of notifications."), query=[PAGE, per_page(100)]),
    ("/notifications/<int:notification_id>/read", "POST"): op(
        "Mark a notification read", "notifications",
        (200, "Notification", "The notification."), errors=("404",)),
    ("/openapi.json", "GET"): op(
        "This document", "meta", public=True,
        raw_ok={"200": {"description": "The OpenAPI 3.1 document.",
                        "content": {JSON: {"schema": {"type": "object"}}}}}),
}
EXTRA_SCHEMAS: dict[str, dict[str, Any]] = {}


def document(rule: str, method: str, operation: dict[str, Any],
             schemas: dict[str, dict[str, Any]] | None = None) -> None:
    """Describe one more operation (and the schemas it names), from the module that serves it."""
    OPERATIONS[(rule, method.upper())] = operation
    EXTRA_SCHEMAS.update(schemas or {})


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/posts/<int:post_id>`` → ``/posts/{post_id}`` and its path parameters."""
    params = []
    for converter, name in _RULE_PARAM.findall(rule):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": dict(_CONVERTERS.get(converter or "default",
                                                      {"type": "string"}))})
    return _RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def build_spec(server_url: str = API_PREFIX) -> dict[str, Any]:
    spec = APISpec(title="Tenfour API", version="1", openapi_version="3.1.0",
                   info={"description": "Queue, approve and follow a 911 center's outreach "
                                        "posts. Errors: {\"error\": {\"code\", \"message\", "
                                        "\"fields\"}}."},
                   servers=[{"url": server_url}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "A token from `tenfour tokens "
                                                              "create` or your own page."})
    for name, schema in {**SCHEMAS, **EXTRA_SCHEMAS}.items():
        spec.components.schema(name, schema)
    by_path: dict[str, dict[str, Any]] = {}
    parameters: dict[str, list[dict[str, Any]]] = {}
    for (rule, method), operation in sorted(OPERATIONS.items()):
        path, params = openapi_path(rule)
        by_path.setdefault(path, {})[method.lower()] = operation
        parameters[path] = params
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations, parameters=parameters[path] or None)
    return spec.to_dict()


@lru_cache(maxsize=4)
def _cached_spec(server_url: str) -> dict[str, Any]:
    return build_spec(server_url)


@bp.get("/openapi.json")
def openapi_document():
    response = jsonify(_cached_spec(current_app.config.get("APPLICATION_ROOT", "/").rstrip("/")
                                    + API_PREFIX))
    response.headers["Cache-Control"] = "no-cache"
    return response
