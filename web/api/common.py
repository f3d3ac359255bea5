"""The API's plumbing: Bearer authentication, JSON bodies, and the error shape."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from content_queue.errors import ServiceError, ValidationFailed
from content_queue.models import User
from content_queue.states import TransitionConflict, TransitionRefused
from content_queue.users import user_for_token
from web.api.blueprint import bp
from web.common.state import get_session, now

REALM = 'Bearer realm="tenfour"'


class ApiError(Exception):
    """A refusal raised by the API layer itself (auth, malformed bodies)."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "fields": fields or {}})
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
              429: "too_many_requests", 500: "internal_error"}


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (unknown route, wrong method, …) in the API's shape."""
    status = exc.code or 500
    message = {404: "There is no such API endpoint.",
               405: f"{request.method} is not allowed here."}.get(status, exc.description or "")
    response = error_response(status, HTTP_CODES.get(status, "error"), message)
    if status == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def server_error_response() -> Response:
    """An unhandled error, in the API's shape (the traceback is in the log, not the answer)."""
    return error_response(500, "internal_error", "Something went wrong on our side; it has "
                          "been logged.")


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@bp.errorhandler(TransitionConflict)
def _conflict(_exc: TransitionConflict) -> Response:
    return error_response(409, "conflict",
                          "Someone else changed this post at the same moment; read it and retry.")


@bp.errorhandler(TransitionRefused)
def _refused(exc: TransitionRefused) -> Response:
    return error_response(409, "transition_refused", str(exc))


@bp.before_request
def _authenticate() -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized",
                       "Send an API token in the header: Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": REALM})
    user = user_for_token(get_session(), token.strip(), now=now())
    if user is None:
        raise ApiError(401, "invalid_token", "The API token is unknown, revoked or its user "
                       "is deactivated.",
                       headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    g.api_user = user


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def api_actor() -> User:
    return g.api_user


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` when nothing is ``required``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "invalid_json", "The request needs a JSON object body.")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON ({exc}).") \
            from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValidationFailed(f"{name} must be a whole number of at least {minimum}.",
                               code="invalid_parameter", fields={name: "Invalid number."})
    value = int(raw)
    return min(value, maximum) if maximum is not None else value
