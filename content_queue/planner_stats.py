"""The query planner's statistics, kept in step with the tables as they grow.

Without statistics SQLite guesses that an index equality matches about ten rows. Every page's
statement carries the agency criterion (``posts.agency_id = ?``), so a look-up of 48 posts by
id went through the ``(agency_id, …)`` index and read all 100,000 of the agency's posts (12 ms
where the primary key takes 0.1 ms). ``ANALYZE`` tells the planner that the agency matches every
row. PostgreSQL's autovacuum analyses a table too, but only on a later round (a minute or
more after a bulk import), so on PostgreSQL a table is analysed at once when its live rows
(``pg_stat_user_tables.n_live_tup``) are twice what its last analysis counted
(``pg_class.reltuples``).

On SQLite :class:`PlannerStatistics` analyzes once when its process starts; on both, whenever a table
has grown :data:`GROWTH` times (and by :data:`MIN_NEW_ROWS` rows) since the last analysis:
the scheduler calls :meth:`PlannerStatistics.refresh` every few seconds. Each check reads
``max(rowid)`` per table (an index seek) on SQLite, one statistics view on PostgreSQL.
SQLite's analysis samples at most :data:`ANALYSIS_LIMIT` rows of each index (``PRAGMA
analysis_limit``): about 0.1 s for a database of 100,000 posts, with the write lock held only
for that time. PostgreSQL's ``ANALYZE`` samples too, and blocks neither reads nor writes.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text

log = logging.getLogger(__name__)

GROWTH = 2.0
MIN_NEW_ROWS = 1000
ANALYSIS_LIMIT = 1000


class PlannerStatistics:
    def __init__(self, db) -> None:
        self.db = db
        self._analyzed_at_size: dict[str, int] | None = None

    @property
    def dialect(self) -> str:
        return self.db.engine.dialect.name

    def _sizes(self, session) -> dict[str, int]:
        tables = session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )).scalars().all()
        return {name: session.execute(text(f'SELECT max(rowid) FROM "{name}"')).scalar() or 0
                for name in tables}

    def _grown(self, sizes: dict[str, int]) -> list[str]:
        before = self._analyzed_at_size or {}
        return [name for name, size in sizes.items()
                if size - before.get(name, 0) >= MIN_NEW_ROWS
                and size >= GROWTH * before.get(name, 0)]

    def refresh(self) -> list[str] | None:
        """Analyze if this is the first call (SQLite) or a table has grown; returns the tables
        that prompted it (empty on SQLite's first call), or None when nothing was done."""
        if self.dialect == "postgresql":
            return self._refresh_postgresql()
        if self.dialect != "sqlite":
            return None
        with self.db.session_scope(write=False) as session:
            sizes = self._sizes(session)
        first = self._analyzed_at_size is None
        grown = self._grown(sizes)
        if not first and not grown:
            return None
        started = time.perf_counter()
        with self.db.session_scope() as session:
            session.execute(text(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}"))
            session.execute(text("ANALYZE"))
        self._analyzed_at_size = sizes
        self._say(started, grown if not first else [])
        return [] if first else grown

    def _refresh_postgresql(self) -> list[str] | None:
        # Growth, not changes: a burst updates every target row three times, and counting
        # those (n_mod_since_analyze) re-analysed post_targets every few seconds for nothing.
        with self.db.session_scope(write=False) as session:
            rows = session.execute(text(
                "SELECT s.relname, s.n_live_tup, c.reltuples FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.schemaname = current_schema()")).all()
        grown = sorted(name for name, live, analysed in rows
                       if live - max(analysed, 0) >= MIN_NEW_ROWS
                       and live >= GROWTH * max(analysed, 0))
        if not grown:
            return None
        started = time.perf_counter()
        with self.db.session_scope() as session:  # reads and writes go on meanwhile
            for name in grown:
                session.execute(text(f'ANALYZE "{name}"'))
        self._say(started, grown)
        return grown

    def _say(self, started: float, grown: list[str]) -> None:
        log.info("%s planner statistics refreshed in %.0f ms%s", self.dialect,
                 (time.perf_counter() - started) * 1000,
                 f" ({', '.join(grown)} grew)" if grown else "")
