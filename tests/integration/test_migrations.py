"""The Alembic migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from content_queue.db import make_engine
from content_queue.migrate import alembic_config, current_heads, upgrade
from content_queue.models import Base


def test_upgrade_to_head_matches_the_models_and_is_repeatable(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # a second run is a no-op, as `tenfour db upgrade` on every start relies on
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
    heads = set(ScriptDirectory.from_config(alembic_config(db_url)).get_heads())
    assert len(heads) == 1  # one line of history, no forgotten branch
    assert current_heads(db_url) == heads
