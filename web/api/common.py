"""The API's plumbing: Bearer authentication, JSON bodies, input parsing, and the error shape.

Bad input is a 4xx, never a 500, and it is refused before any transaction starts: a view reads
its body with :func:`json_body` (size, nesting depth and text checked), its ids with
:func:`parse_id` / :func:`parse_ids` (bounded, de-duplicated), its numbers in the query string
with :func:`parse_int_param` and its text with :func:`clean_text`, and only then opens the
request's session. Authentication reads the token in a short read session of its own, so a
write request takes SQLite's write lock only when its view starts writing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

from content_queue.errors import ServiceError, ValidationFailed
from content_queue.ids import MAX_ID, to_id
from content_queue.models import User
from content_queue.states import TransitionConflict, TransitionRefused
from content_queue.users import check_api_token
from web.api.blueprint import bp
from web.common.auth import role_refusal
from web.common.scoped_ids import check_ids_in_scope
from web.common.state import get_session, get_state, now, scope_to_agency

#: A JSON body larger than this is refused (413): a post's longest text, escaped, fits in it.
MAX_JSON_BYTES = 1024 * 1024
#: Deeper nesting than this is refused (400); no request of the API nests more than 3 levels.
MAX_JSON_DEPTH = 32
#: Unpaired surrogates, and NUL, which PostgreSQL text cannot hold (it was a 500 there).
_SURROGATE = re.compile("[\ud800-\udfff\x00]")

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
                   headers: dict[str, str] | None = None,
                   extra: dict[str, Any] | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "fields": fields or {},
                              **(extra or {})})
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
              429: "too_many_requests", 500: "internal_error", 503: "busy"}


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (unknown route, wrong method, …) in the API's shape."""
    status = exc.code or 500
    message = {404: "There is no such API endpoint.",
               405: f"{request.method} is not allowed here."}.get(status, exc.description or "")
    response = error_response(status, HTTP_CODES.get(status, "error"), message)
    if status == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
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
    # issue 10 guard: a refusal that points at words carries them ("findings", with offsets)
    findings = getattr(exc, "findings_as_dicts", None)
    return error_response(exc.status, exc.code, exc.message, exc.fields,
                          extra={"findings": findings()} if findings else None)


@bp.errorhandler(TransitionConflict)
def _conflict(_exc: TransitionConflict) -> Response:
    return error_response(409, "conflict",
                          "Someone else changed this post at the same moment; read it and retry.")


@bp.errorhandler(TransitionRefused)
def _refused(exc: TransitionRefused) -> Response:
    return error_response(409, "transition_refused", str(exc))


#: Endpoints of the API readable without a token (they say how to call it, not what is in it).
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized",
                       "Send an API token in the header: Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": REALM})
    state = get_state()
    # Its own read session: a write request's session (and SQLite's write lock) starts only
    # when the view has checked its input and begins to write.
    with state.db.session_scope(write=False) as session:
        row, problem = check_api_token(session, token.strip(), now=now())
        found = None if problem else (row.id, row.user_id, row.last_used_at, row.user.agency_id,
                                      row.user.role)
    if found is None:
        raise ApiError(401, "invalid_token", problem or "The API token is unknown.",
                       headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    token_id, g.api_user_id, saved, agency_id, role = found
    g.api_token_id = token_id
    refusal = role_refusal(role)  # before the body and the ids: the same 403 whatever they are
    if refusal is not None:
        raise ApiError(403, "forbidden", refusal)
    scope_to_agency(agency_id)  # every query of this request sees this agency only
    try:
        check_ids_in_scope()  # another agency's id in the URL: 404 before the view runs
    except NotFound:
        raise ApiError(404, "not_found", "There is no such item.") from None
    state.token_uses.note(token_id, now(), saved)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def api_actor() -> User:
    """The token's user, loaded in the request's session on first use."""
    user = g.get("api_user")
    if user is None:
        user = get_session().get(User, g.api_user_id)
        if user is None or not user.active:  # deactivated since the token was checked
            raise ApiError(401, "invalid_token", "The API token's user is deactivated.",
                           headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        g.api_user = user
    return user


# --- request bodies -----------------------------------------------------------------------


def _check_tree(body: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` and text that is not valid Unicode
    (a lone surrogate such as ``\\ud800`` is valid JSON but cannot be stored or sent on)."""
    stack: list[tuple[Any, int, str]] = [(body, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                field = where.split(".", 1)[0] or "body"
                raise ValidationFailed(
                    f"{field} contains a character that is not valid text (an unpaired "
                    "surrogate or a NUL); send it as UTF-8 text.", code="invalid_text",
                    fields={field: "Contains an invalid character."})
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ApiError(400, "invalid_json",
                           f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                stack.append((key, depth, name))
            stack.append((item, depth + 1, name))


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` when nothing is ``required``."""
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", f"A JSON body can be at most {MAX_JSON_BYTES // 1024} KB.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", f"A JSON body can be at most {MAX_JSON_BYTES // 1024} KB.")
    if not raw.strip():
        if required:
            raise ApiError(400, "invalid_json", "The request needs a JSON object body.")
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise ApiError(400, "invalid_json", f"The request body is nested more than "
                       f"{MAX_JSON_DEPTH} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON ({exc}).") \
            from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    _check_tree(body)
    return body


# --- ids, numbers and text ----------------------------------------------------------------


def parse_id(value: Any, field: str, *, code: str = "validation_failed",
             what: str = "an id") -> int:
    """``value`` as a row id (a positive whole number a database can hold), or a 422."""
    parsed = to_id(value)
    if parsed is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ValidationFailed(f"{shown} is not {what}.", code=code,
                               fields={field: f"{shown} is not {what}."})
    return parsed


def parse_optional_id(value: Any, field: str, **kwargs: Any) -> int | None:
    """Like :func:`parse_id`, with ``None`` or ``""`` meaning "none"."""
    return None if value is None or value == "" else parse_id(value, field, **kwargs)


def parse_ids(values: Any, field: str, *, limit: int, code: str = "validation_failed",
              too_many_code: str = "too_many_ids", what: str = "an id",
              empty_code: str | None = None, empty_message: str = "") -> list[int]:
    """A list of ids, in order and de-duplicated (one pass), at most ``limit`` of them — counted
    before anything else is done with them, so no list can make a request slow.

    No list (or an empty one) is ``[]``, unless ``empty_code`` says it is a refusal."""
    if not isinstance(values, list) or not values:
        if empty_code is not None:
            message = empty_message or f"{field} needs at least one id."
            raise ValidationFailed(message, code=empty_code, fields={field: message})
        if values is None or values == []:
            return []
        raise ValidationFailed(f"{field} must be a list of ids.",
                               fields={field: "Must be a list."})
    if len(values) > limit:
        raise ValidationFailed(f"{field} can list at most {limit} ids; this lists {len(values)}.",
                               code=too_many_code, fields={field: f"At most {limit}."})
    return list(dict.fromkeys(parse_id(v, field, code=code, what=what) for v in values))


def parse_int_param(name: str, default: int, *, minimum: int = 1,
                    maximum: int | None = None) -> int:
    """A whole number from the query string (ASCII digits only), from ``minimum`` to
    :data:`~content_queue.ids.MAX_ID` (so ``page × per_page`` stays a number every database
    takes); values above ``maximum`` are lowered to it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None
    if value is None or value < minimum or value > MAX_ID:
        raise ValidationFailed(f"{name} must be a whole number from {minimum} to {MAX_ID}.",
                               code="invalid_parameter", fields={name: "Invalid number."})
    return min(value, maximum) if maximum is not None else value


#: The older name, kept for the route modules that use it.
int_arg = parse_int_param


def clean_text(value: Any, field: str, *, max_length: int, required: bool = False,
               code: str = "validation_failed", too_long_code: str = "text_too_long") -> str:
    """``value`` as text of at most ``max_length`` characters (``None`` is empty), or a 422."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text.", code=code, fields={field: "Must be text."})
    if _SURROGATE.search(value):
        raise ValidationFailed(f"{field} contains a character that is not valid text.",
                               code="invalid_text", fields={field: "Contains an invalid character."})
    if len(value) > max_length:
        raise ValidationFailed(f"{field} can be at most {max_length} characters; this is "
                               f"{len(value)}.", code=too_long_code,
                               fields={field: f"At most {max_length} characters."})
    if required and not value.strip():
        raise ValidationFailed(f"{field} is required.", code=code, fields={field: "Required."})
    return value
