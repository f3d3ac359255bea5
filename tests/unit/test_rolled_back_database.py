"""The unit tests' database fixture keeps its promise on every backend: what a test commits is
only a SAVEPOINT, gone when the test ends, and a rollback inside a test undoes only its own part.

On SQLite these fail if pysqlite is left to manage transactions itself (it ignores SAVEPOINT
semantics), which would make every other domain test leak rows silently.
"""

from __future__ import annotations

from sqlalchemy import func, select

from content_queue.models import Agency
from tests.unit.conftest import NOW, joined_session, rolled_back_connection


def _agencies(connection, name: str) -> int:
    return connection.scalar(select(func.count()).select_from(Agency).where(Agency.name == name))


def test_a_commit_inside_a_test_is_undone_when_the_test_ends(unit_engine) -> None:
    with rolled_back_connection(unit_engine) as conn:
        session = joined_session(conn)
        session.add(Agency(name="committed in a test", timezone="UTC", created_at=NOW))
        session.commit()
        assert conn.in_transaction()
        assert _agencies(conn, "committed in a test") == 1
        session.close()
    with unit_engine.connect() as other:
        assert _agencies(other, "committed in a test") == 0


def test_a_rollback_inside_a_test_undoes_only_what_came_after_the_last_commit(unit_engine) -> None:
    with rolled_back_connection(unit_engine) as conn:
        session = joined_session(conn)
        session.add(Agency(name="kept", timezone="UTC", created_at=NOW))
        session.commit()
        session.add(Agency(name="undone", timezone="UTC", created_at=NOW))
        session.flush()
        session.rollback()
        assert (_agencies(conn, "kept"), _agencies(conn, "undone")) == (1, 0)
        session.close()


def test_code_opening_its_own_transactions_shares_the_test_s(rolled_back_db, session) -> None:
    with rolled_back_db.session_scope() as scoped:
        scoped.add(Agency(name="from a scope", timezone="UTC", created_at=NOW))
    assert session.scalar(select(func.count()).select_from(Agency)
                          .where(Agency.name == "from a scope")) == 1
