"""What the web app keeps per process (database, cipher, clock) and per request (one session).

Each request gets one SQLAlchemy session, opened on first use: a read session for safe methods
(GET, HEAD, OPTIONS), a write session otherwise (on SQLite it begins ``BEGIN IMMEDIATE``, so a
form post that reads then writes cannot fail halfway). The session is committed before the
response leaves (so a client never sees success for a write that failed to commit) when the
response is not an error, rolled back otherwise, and always closed at teardown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from content_queue.agencies import install_agency_scope, scope_session
from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.ports import AccountLinker
from web.common.probe import BrokerProbe
from web.common.settings import WebSettings
from web.common.token_use import TokenUseLog

log = logging.getLogger(__name__)

EXTENSION_KEY = "tenfour"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class TenfourState:
    """Stored as ``app.extensions["tenfour"]``; tests may replace ``clock``."""

    settings: WebSettings
    db: Database
    cipher: CredentialCipher
    clock: Callable[[], datetime] = field(default=_utcnow)
    #: Connects accounts (OAuth, app passwords) and tests connections; given by the composition
    #: root (``tenfour.wsgi``), since the web app may not import connectors itself.
    linker: AccountLinker | None = None
    #: The broker side for /readyz and /metrics (Redis, the scheduler's heartbeat, queue
    #: lengths), given by the composition root; None answers "not configured".
    probe: BrokerProbe | None = None
    #: API token uses, saved off the request path (a GET never writes).
    token_uses: TokenUseLog = None  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.token_uses is None:
            self.token_uses = TokenUseLog(self.db)
        install_agency_scope(self.db)  # issue 11: content_queue.agencies


def get_state() -> TenfourState:
    return current_app.extensions[EXTENSION_KEY]


def now() -> datetime:
    """The current instant (aware UTC) as the app's clock sees it."""
    return get_state().clock()


def get_session() -> Session:
    """This request's session, opened on first use."""
    session = g.get("_tenfour_session")
    if session is None:
        write = request.method not in SAFE_METHODS
        session = get_state().db.session(write=write)
        scope_session(session, g.get("_tenfour_agency_id"))
        g._tenfour_session = session
        g._tenfour_session_write = write
    return session


def scope_to_agency(agency_id: int) -> None:
    """Keep this request to ``agency_id``'s data: every ORM statement of its session, in every
    view, gets the agency criteria (:mod:`content_queue.agencies`). Set from the signed-in
    user (pages) or the API token's user, before any view runs."""
    g._tenfour_agency_id = agency_id
    session = g.get("_tenfour_session")
    if session is not None:
        scope_session(session, agency_id)


def unscoped_session() -> Session:
    """A read session that sees every agency: for the owner's usage page only."""
    return get_state().db.session(write=False)


def discard_changes() -> None:
    """Roll back what a refused service call may have flushed, keeping the session usable."""
    session = g.get("_tenfour_session")
    if session is not None:
        session.rollback()


def _finish_session(response: Response) -> Response:
    session: Session | None = g.pop("_tenfour_session", None)
    write = g.pop("_tenfour_session_write", True)
    if session is None:
        return response
    try:
        if response.status_code >= 400:
            session.rollback()
        elif write:
            session.commit()
        else:
            # A read never writes: on SQLite its snapshot could not take the write lock while
            # another process writes, so a change here would fail the read. Bookkeeping such as
            # an API token's last use goes through TokenUseLog instead.
            if session.new or session.dirty or session.deleted:
                log.warning("a %s to %s changed rows in a read session; not saved",
                            request.method, request.path)
            session.rollback()
    finally:
        session.close()
    return response


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("_tenfour_session", None)
    if session is not None:  # the response was never finished (an unhandled error)
        try:
            session.rollback()
        finally:
            session.close()


def init_app(app: Flask, state: TenfourState) -> None:
    app.extensions[EXTENSION_KEY] = state
    app.after_request(_finish_session)
    app.teardown_request(_close_session)
