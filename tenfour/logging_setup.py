"""How each process logs: lines for people (``LOG_FORMAT=text``, the default of ``tenfour
run``) or one JSON object a line for a log collector (``LOG_FORMAT=json``, the default of the
docker compose file), with the structured fields the code passes as ``extra=`` (``target_id``,
``account_id``, ``platform``, …) as top-level keys.

Configured here, in the composition root, once per process: the scheduler, the worker (Celery
is told not to set up logging of its own when the format is JSON) and the web app (gunicorn's
error and access logs go through the same formatter).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d"
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}


def json_formatter() -> logging.Formatter:
    return JsonFormatter(JSON_FORMAT, rename_fields=JSON_RENAMES)


def make_formatter(log_format: str) -> logging.Formatter:
    return json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Replace the root logger's handlers with one on stderr in ``log_format``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def keep_celery_off_the_root_logger() -> None:
    """Celery sets up its own log format unless a ``setup_logging`` receiver exists."""
    from celery.signals import setup_logging

    setup_logging.connect(_leave_logging_alone, weak=False)


def _leave_logging_alone(**_kwargs: Any) -> None:
    """Logging was configured by :func:`configure_logging` before the worker started."""


def gunicorn_logconfig(log_format: str, level: str = "INFO") -> dict | None:
    """gunicorn's ``logconfig_dict`` for JSON lines (None: keep gunicorn's own format)."""
    if log_format != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": JSON_FORMAT, "rename_fields": JSON_RENAMES}},
        "handlers": {"json": handler},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {"gunicorn.error": {"level": level, "handlers": ["json"],
                                       "propagate": False, "qualname": "gunicorn.error"},
                    "gunicorn.access": {"level": "INFO", "handlers": ["json"],
                                        "propagate": False, "qualname": "gunicorn.access"}},
    }
