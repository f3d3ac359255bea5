"""Error pages for people and JSON errors for the API, chosen by the request's path.

The API's JSON error shape lives with the API, and what a page does when its form's CSRF token
expired lives with that page; both are handed in by ``web.create_app`` (:func:`init_app`), so
this shared module never imports an area.
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping

from flask import Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from content_queue.db import is_lock_error
from content_queue.errors import NotFound

log = logging.getLogger(__name__)

TITLES = {400: "That request did not make sense", 403: "Not allowed",
          404: "Page not found", 405: "Not allowed here", 413: "Too large",
          500: "Something went wrong", 503: "Busy for a moment"}
BUSY_MESSAGE = ("Tenfour is busy saving other changes and could not save this one in time. "
                "Nothing was changed; please try again in a moment.")
BUSY_RETRY_AFTER = 2


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _page(status: int, message: str):
    return render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                           message=message), status


def init_app(app: Flask, *, api_http_error: Callable[[HTTPException], Response],
             api_server_error: Callable[[], Response],
             csrf_recovery: Mapping[str, Callable[[], ResponseReturnValue]]) -> None:
    """``api_http_error`` and ``api_server_error`` answer under ``/api``; ``csrf_recovery``
    maps an endpoint to what it shows a signed-in user whose form's CSRF token was refused."""

    def _http_error(exc: HTTPException):
        if _is_api():
            return api_http_error(exc)
        if exc.code == 404:
            message = ("There is nothing at this address. It may have been removed, or the "
                       "link may be mistyped.")
        else:
            message = exc.description or ""
        return _page(exc.code or 500, message)

    def _csrf_error(exc: CSRFError):
        log.info("CSRF check refused a %s to %s: %s", request.method, request.path,
                 exc.description)
        recover = csrf_recovery.get(request.endpoint or "")
        if recover is not None and current_user.is_authenticated:
            # Never lose a PIO's typed post to an expired form: show it again, fresh token.
            return recover()
        return _page(400, "This form expired or was not sent from Tenfour. Go back, reload "
                          "the page and try again.")

    def _server_error(_exc: InternalServerError):
        if _is_api():
            return api_server_error()
        return _page(500, "Something went wrong on our side. It has been logged; please try "
                          "again.")

    def _database_error(exc: OperationalError):
        if not is_lock_error(exc):
            raise exc  # a real fault: the 500 handler logs and answers it
        # Another process held SQLite's write lock through every retry (see content_queue.db).
        log.warning("the database stayed locked for a %s to %s", request.method, request.path)
        return _http_error(ServiceUnavailable(BUSY_MESSAGE, retry_after=BUSY_RETRY_AFTER))

    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)

    def _not_found(exc: NotFound):
        # issue 11: a service's "no such row" (another agency's id included, since every
        # query is scoped to the user's agency) is the page's 404, in any view.
        return _page(404, exc.message)

    app.register_error_handler(NotFound, _not_found)
