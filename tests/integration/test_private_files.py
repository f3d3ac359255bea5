"""The instance folder and the SQLite database are readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

from content_queue.db import Database
from tenfour.config import load_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_instance_folder_and_database_are_owner_only(tmp_path) -> None:
    instance = tmp_path / "instance"
    settings = load_settings({"TENFOUR_INSTANCE_DIR": str(instance)})
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600 and mode(instance / "encryption_key") == 0o600
    db = Database(settings.database_url)
    with db.session_scope() as s:
        s.connection().exec_driver_sql("CREATE TABLE t (x INTEGER)")
        s.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
        files = sorted(instance.glob("tenfour.db*"))
        assert {p.name for p in files} >= {"tenfour.db", "tenfour.db-wal", "tenfour.db-shm"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    db.dispose()


def test_an_older_install_left_readable_is_narrowed(tmp_path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    (instance / "tenfour.db").touch()
    (instance / "tenfour.db").chmod(0o644)
    settings = load_settings({"TENFOUR_INSTANCE_DIR": str(instance)})
    Database(settings.database_url).dispose()
    assert mode(instance) == 0o700 and mode(instance / "tenfour.db") == 0o600
