"""Error pages for people and JSON errors for the API, chosen by the request's path."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from web.api.common import error_response, http_error_response
from web.compose import render_compose_after_csrf

log = logging.getLogger(__name__)

TITLES = {400: "That request did not make sense", 403: "Not allowed",
          404: "Page not found", 405: "Not allowed here", 413: "Too large",
          500: "Something went wrong"}


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _page(status: int, message: str):
    return render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                           message=message), status


def _http_error(exc: HTTPException):
    if _is_api():
        return http_error_response(exc)
    if exc.code == 404:
        message = ("There is nothing at this address. It may have been removed, or the link "
                   "may be mistyped.")
    else:
        message = exc.description or ""
    return _page(exc.code or 500, message)


def _csrf_error(exc: CSRFError):
    log.info("CSRF check refused a %s to %s: %s", request.method, request.path, exc.description)
    if request.endpoint == "compose.compose" and current_user.is_authenticated:
        # Never lose a PIO's typed post to an expired form: show it again with a fresh token.
        return render_compose_after_csrf()
    return _page(400, "This form expired or was not sent from Tenfour. Go back, reload the "
                      "page and try again.")


def _server_error(exc: InternalServerError):
    if _is_api():
        return error_response(500, "internal_error", "Something went wrong on our side; it "
                              "has been logged.")
    return _page(500, "Something went wrong on our side. It has been logged; please try again.")


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
