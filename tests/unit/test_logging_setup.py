"""LOG_FORMAT=json makes every process log one JSON object a line, with the structured fields
(target_id, account_id, platform) as keys; text stays lines for people."""

from __future__ import annotations

import json
import logging
from logging.config import dictConfig

import pytest

from tenfour.config import load_settings
from tenfour.logging_setup import configure_logging, gunicorn_logconfig


@pytest.fixture
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_the_structured_fields(capsys, restore_root_logger):
    configure_logging("json", "INFO")
    logging.getLogger("tenfour.worker").warning(
        "publish error %s", "rate_limited",
        extra={"target_id": 12, "account_id": 3, "platform": "x"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "publish error rate_limited"
    assert record["level"] == "WARNING" and record["logger"] == "tenfour.worker"
    assert (record["target_id"], record["account_id"], record["platform"]) == (12, 3, "x")
    assert "time" in record


def test_text_lines_stay_readable(capsys, restore_root_logger):
    configure_logging("text", "INFO")
    logging.getLogger("tenfour.scheduler").info("scheduler ticking every %.2fs", 0.25)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith("INFO tenfour.scheduler: scheduler ticking every 0.25s")


def test_gunicorn_gets_a_json_logging_config_only_in_json_mode(restore_root_logger):
    assert gunicorn_logconfig("text") is None
    config = gunicorn_logconfig("json")
    dictConfig(config)  # a valid dictConfig that gunicorn can apply
    assert logging.getLogger("gunicorn.access").propagate is False


def test_log_format_is_read_once_and_an_unknown_one_is_refused(tmp_path):
    env = {"TENFOUR_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k",
           "TENFOUR_ENCRYPTION_KEYS": "x"}
    assert load_settings(env).log_format == "text"
    assert load_settings({**env, "LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        load_settings({**env, "LOG_FORMAT": "xml"})
