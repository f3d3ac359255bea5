"""Text longer than its column is a refusal a person can read, never a database error.

PostgreSQL refuses a ``VARCHAR(200)`` value of 201 characters with an error (a 500 if nothing
catches it); SQLite keeps it silently. Every session of :class:`content_queue.db.Database`
checks each new or changed row before it is flushed, so a route that forgets a length check
(an API field, a form, an import row) still answers 422 with the field and its limit.
"""

from __future__ import annotations

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapper, Session

from content_queue.errors import ValidationFailed


_LIMITS: dict[Mapper, list[tuple[str, int]]] = {}


def _limits(mapper: Mapper) -> list[tuple[str, int]]:
    """(attribute, length) of each of the mapper's columns with a length, worked out once."""
    cached = _LIMITS.get(mapper)
    if cached is None:
        cached = [(attr.key, column.type.length)
                  for attr in mapper.column_attrs for column in attr.columns
                  if isinstance(column.type, String) and column.type.length]
        _LIMITS[mapper] = cached
    return cached


def check_text_lengths(session: Session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        mapper = inspect(obj).mapper
        for key, limit in _limits(mapper):
            value = getattr(obj, key, None)
            if isinstance(value, str) and len(value) > limit:
                label = key.replace("_", " ")
                raise ValidationFailed(
                    f"The {label} is too long: at most {limit:,} characters "
                    f"(this one has {len(value):,}).",
                    code="too_long", fields={key: f"At most {limit:,} characters."})


def watch_text_lengths(target) -> None:
    """Check every flush of ``target`` (a sessionmaker, or one session) with
    :func:`check_text_lengths`."""
    event.listen(target, "before_flush", check_text_lengths)
