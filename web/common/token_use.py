"""When each API token was last used, recorded off the request path.

Stamping ``last_used_at`` inside a request turned every API read into a write: on SQLite the
read's snapshot cannot take the write lock while another process writes (500 at once), and on
PostgreSQL every GET queued on the token's row lock. So a request only notes the use here, in
memory; a background thread saves the notes in one short write transaction at most every
``interval`` seconds. A failed save (the database busy or away) is logged and kept for the next
one; it never reaches a request.

The thread runs only while there is something to save, so an idle process (or a test's app)
keeps no thread alive; an interpreter exit saves what is left (best effort).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from content_queue.db import Database
from content_queue.users import record_token_uses

log = logging.getLogger(__name__)

#: A token's stamp is refreshed at most this often: a minute's precision is all it promises.
PRECISION = timedelta(seconds=60)
#: Seconds between saves.
FLUSH_INTERVAL = 10.0
#: Saves that may fail in a row before the uses they carry are dropped (a stamp is bookkeeping:
#: losing one is better than retrying forever against a database that is gone).
MAX_FAILURES = 3

_live: weakref.WeakSet[TokenUseLog] = weakref.WeakSet()


class TokenUseLog:
    """Token id → time of its latest use not yet saved; :meth:`note` is cheap and never fails."""

    def __init__(self, db: Database, *, interval: float = FLUSH_INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self._pending: dict[int, datetime] = {}
        self._noted: dict[int, datetime] = {}  # what this process last noted, saved or not
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._pid = os.getpid()
        _live.add(self)

    def note(self, token_id: int, when: datetime, saved: datetime | None) -> None:
        """Note a use of ``token_id`` at ``when``; ``saved`` is the stamp the database holds."""
        last = max((t for t in (saved, self._noted.get(token_id)) if t is not None), default=None)
        if last is not None and when - last <= PRECISION:
            return
        with self._lock:
            self._noted[token_id] = when
            self._pending[token_id] = max(when, self._pending.get(token_id, when))
            self._ensure_thread()

    def pending(self) -> dict[int, datetime]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> bool:
        """Save what is pending in one transaction; True when something was (or is still) to
        save. Never raises: a failure is logged and the uses are kept for the next flush (up to
        :data:`MAX_FAILURES` in a row)."""
        with self._lock:
            uses, self._pending = self._pending, {}
        if not uses:
            return False
        try:
            with self.db.session_scope() as session:
                record_token_uses(session, uses)
        except SQLAlchemyError as exc:
            self._failures += 1
            if self._failures >= MAX_FAILURES:
                log.warning("gave up saving when %d API token(s) were last used, after %d "
                            "tries: %s", len(uses), self._failures, exc)
                self._failures = 0
                return False
            log.warning("could not save when %d API token(s) were last used; will try again: "
                        "%s", len(uses), exc)
            with self._lock:
                for token_id, when in uses.items():
                    self._pending[token_id] = max(when, self._pending.get(token_id, when))
        else:
            self._failures = 0
        return True

    def _ensure_thread(self) -> None:
        # Called with the lock held. A forked child (gunicorn) starts a thread of its own.
        if self._pid != os.getpid():
            self._pid, self._thread = os.getpid(), None
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tenfour-token-use",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()
            with self._lock:
                if not self._pending:  # nothing new came in meanwhile: let the thread end
                    self._thread = None
                    return


@atexit.register
def _flush_all() -> None:
    for recorder in list(_live):
        recorder.flush()
