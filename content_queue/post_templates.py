"""Templates: reusable post texts with fields, such as ``Thank you, {dispatcher_name}!``.

A field is a name in braces (letters, digits, underscores); ``{{`` and ``}}`` write a literal
brace. Rendering refuses a template whose fields are not all filled, naming the missing ones,
so a post never goes out with ``{dispatcher_name}`` in it. ``{center_name}`` defaults to the
agency's name.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.models import AUTHOR_ROLES, Agency, PostTemplate, User
from content_queue.users import audit

MAX_NAME = 200
MAX_TEXT = 63206
MAX_FIELDS = 20
MAX_VALUE = 2000
#: ``{{`` / ``}}`` (literal braces) or a ``{field}``.
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
#: Fields filled in from the agency when the person leaves them empty.
AGENCY_FIELDS = ("center_name",)


def template_fields(text: str) -> list[str]:
    """The fields of ``text`` in the order they first appear."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        if match.group(1):
            seen[match.group(1)] = None
    return list(seen)


def render_template_text(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with every field replaced; refuses when any is missing or empty."""
    missing = [name for name in template_fields(text)
               if not str(values.get(name) or "").strip()]
    if missing:
        names = ", ".join("{" + m + "}" for m in missing)
        raise ValidationFailed(f"Fill in {names} before using this template.",
                               code="template_fields_missing",
                               fields={name: "Required." for name in missing})

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return str(values[match.group(1)]).strip()

    return _TOKEN.sub(replace, text)


def default_values(agency: Agency) -> dict[str, str]:
    return {"center_name": agency.name}


def _check(name: Any, text: Any) -> tuple[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("Give the template a name.", code="name_missing",
                               fields={"name": "Required."})
    if len(name.strip()) > MAX_NAME:
        raise ValidationFailed(f"Keep the name under {MAX_NAME} characters.",
                               fields={"name": "Too long."})
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("Write the template's text.", code="text_empty",
                               fields={"text": "Required."})
    if len(text) > MAX_TEXT:
        raise ValidationFailed("The text is longer than any platform accepts.",
                               code="text_too_long", fields={"text": "Too long."})
    stray = re.sub(_TOKEN, "", text)
    if "{" in stray or "}" in stray:
        raise ValidationFailed(
            "A field is a name in braces, such as {dispatcher_name} (letters, digits and _). "
            "Write {{ or }} for a brace of its own.", code="template_syntax",
            fields={"text": "Unmatched brace or a field name with other characters."})
    if len(template_fields(text)) > MAX_FIELDS:
        raise ValidationFailed(f"A template can have at most {MAX_FIELDS} fields.",
                               code="too_many_fields", fields={"text": "Too many fields."})
    return name.strip(), text.replace("\r\n", "\n")


def _require_writer(actor: User) -> None:
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("Viewers can use the queue but cannot change templates.")


def list_templates(session: Session, agency_id: int, *, page: int = 1,
                   per_page: int = 50) -> tuple[list[PostTemplate], int]:
    query = select(PostTemplate).where(PostTemplate.agency_id == agency_id)
    total = session.scalar(query.with_only_columns(func.count(PostTemplate.id))) or 0
    rows = session.scalars(query.order_by(func.lower(PostTemplate.name), PostTemplate.id)
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


def get_template(session: Session, agency_id: int, template_id: int) -> PostTemplate:
    found = session.get(PostTemplate, template_id)
    if found is None or found.agency_id != agency_id:
        raise NotFound(f"No template with id {template_id}.")
    return found


def _name_taken(session: Session, agency_id: int, name: str, but: int | None = None) -> bool:
    query = select(PostTemplate.id).where(PostTemplate.agency_id == agency_id,
                                          func.lower(PostTemplate.name) == name.lower())
    if but is not None:
        query = query.where(PostTemplate.id != but)
    return session.scalar(query) is not None


def create_template(session: Session, *, actor: User, name: Any, text: Any,
                    now: datetime) -> PostTemplate:
    _require_writer(actor)
    name, text = _check(name, text)
    if _name_taken(session, actor.agency_id, name):
        raise Conflict(f"There is already a template called {name!r}.", code="template_exists",
                       fields={"name": "Already used."})
    row = PostTemplate(agency_id=actor.agency_id, name=name, text=text, created_by_id=actor.id,
                       created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit(session, "template.created", actor_id=actor.id, entity_type="post_template",
          entity_id=row.id, now=now, details={"name": name})
    return row


def update_template(session: Session, *, actor: User, template_id: int, name: Any, text: Any,
                    now: datetime) -> PostTemplate:
    _require_writer(actor)
    row = get_template(session, actor.agency_id, template_id)
    name, text = _check(name, text)
    if _name_taken(session, actor.agency_id, name, but=row.id):
        raise Conflict(f"There is already a template called {name!r}.", code="template_exists",
                       fields={"name": "Already used."})
    row.name, row.text, row.updated_at = name, text, now
    audit(session, "template.updated", actor_id=actor.id, entity_type="post_template",
          entity_id=row.id, now=now, details={"name": name})
    session.flush()
    return row


def delete_template(session: Session, *, actor: User, template_id: int, now: datetime) -> None:
    """Templates are working material, not public records: deleting one removes it (the posts
    made from it keep their text)."""
    _require_writer(actor)
    row = get_template(session, actor.agency_id, template_id)
    audit(session, "template.deleted", actor_id=actor.id, entity_type="post_template",
          entity_id=row.id, now=now, details={"name": row.name, "text": row.text})
    session.delete(row)
    session.flush()
