"""The simulator's Flask app factory: wires the shared machinery around every platform blueprint.

Per request, in order: the platform route authenticates (``require_bearer``) and
calls ``apply_faults``; ``after_request`` then adds the rate-limit headers,
arms a pending drop-after-accept, and appends the request-log entry; finally
``DropConnectionMiddleware`` drops the socket if armed. Platform modules only
write routes; errors raised as ``ApiError`` are rendered in their wire shape.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from simulator import control, oidc, pages, replies
from simulator.context import EXTENSION_KEY, SimContext, is_page_request, request_platform
from simulator.faults import DropConnectionMiddleware, arm_drop_if_pending
from simulator.platform import ApiError, json_error
from simulator.platforms import all_platforms
from simulator.ratelimit import add_rate_limit_headers
from simulator.requestlog import record_request
from simulator.state import SimState

# Above the 5 MB image limit so an oversized image gets the platform's own
# ``invalid_media`` answer rather than a bare 413.
MAX_REQUEST_BYTES = 16 * 1024 * 1024


def _error(status: int, code: str, message: str) -> Response:
    """Answer in the shape the caller expects: platform API, control API, or an HTML page."""
    spec = request_platform()
    if spec is not None and not is_page_request():
        return spec.error_response(status, code, message)
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.path.startswith("/_sim") or (spec is None and wants_json):
        return json_error(status, code, message)
    body, _ = pages.render_not_found(message)
    return Response(body, status=status, mimetype="text/html")


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_")


def create_app(state: SimState | None = None, *, public_url: str | None = None) -> Flask:
    """Build a simulator app around ``state`` (a fresh one if None).

    ``public_url`` fixes the base of permalinks (e.g. behind a proxy); without
    it links use the host the caller connected to.
    """
    app = Flask("simulator")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    context = SimContext(state=state or SimState(), public_url=public_url.rstrip("/") if public_url else None)
    app.extensions[EXTENSION_KEY] = context

    app.register_blueprint(pages.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(replies.bp)  # issue 9: /_sim/replies
    oidc.init_app(app)  # issue 11: the loopback OpenID Connect provider under /oidc
    for spec in all_platforms():
        context.platforms[spec.name] = spec
        app.register_blueprint(spec.blueprint)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        response = _error(error.status, error.code, error.message)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return _error(status, _snake(error.name), error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("simulator route failed", exc_info=error)
        return _error(500, "internal_error", "The simulator failed; see its log.")

    @app.after_request
    def finish_platform_request(response: Response) -> Response:
        spec = request_platform()
        if spec is None or is_page_request():
            return response
        add_rate_limit_headers(spec, response)
        dropped = arm_drop_if_pending(response)
        record_request(spec.name, response, dropped=dropped)
        return response

    app.wsgi_app = DropConnectionMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
