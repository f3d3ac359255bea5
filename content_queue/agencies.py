"""Many agencies on one installation: creating them, and the ONE place that keeps each
agency's data to itself.

:func:`install_agency_scope` hooks a :class:`~content_queue.db.Database`'s sessions: a session
whose ``info["agency_id"]`` is set (the web app sets it from the signed-in user, for every page
and API request) adds a criterion to every ORM statement it runs, SELECT, UPDATE and DELETE,
lazy loads and ``Session.get`` included, for every model:

- a model with an ``agency_id`` column sees that agency's rows only;
- ``Agency`` itself, only that agency;
- a model without one (``PostTarget``, ``PostMedia``, ``ApiToken``, ``EngagementSnapshot`` …)
  through its foreign key to a scoped parent (``post_id IN (that agency's posts)``).

The models are read from the mapper registry when a statement runs, so a table added later with
an ``agency_id`` (the CROSS agreement) is covered without touching this module. Tables with
neither (``AuditEvent``) are left as they are; no page lists them by id across agencies.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, Table, func, inspect, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from content_queue.ids import to_id
from content_queue.errors import ValidationFailed
from content_queue.models import Agency, Base, Post, User
from content_queue.timeutil import LocalTimeError, zone

INFO_KEY = "agency_id"
_MAX_DEPTH = 4


def _scope_of(table: Table, agency_id, depth: int = 0) -> ColumnElement[bool] | None:
    """The criterion on ``table``'s own columns that keeps it to the agency, or None."""
    if table.name == Agency.__tablename__:
        return table.c.id == agency_id
    if "agency_id" in table.c:
        return table.c.agency_id == agency_id
    if depth >= _MAX_DEPTH:
        return None
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if fk.parent.nullable or parent is table:
            continue
        inner = _scope_of(parent, agency_id, depth + 1)
        if inner is not None:
            return fk.parent.in_(select(fk.column).where(inner))
    return None


def _criterion(entity, agency_id) -> ColumnElement[bool]:
    """For a mapped class: the criterion built on its ORM attributes, which SQLAlchemy adapts
    to every alias and eager-load join of the class."""
    cls = entity
    try:
        cls = object.__getattribute__(entity, "subject")  # SQLAlchemy's lambda wrapper
    except AttributeError:
        pass
    mapper = inspect(cls, raiseerr=False)
    table = getattr(getattr(mapper, "mapper", None), "local_table", None)
    if not isinstance(table, Table):
        return true()
    if table.name == Agency.__tablename__:
        return cls.id == agency_id
    if "agency_id" in table.c:
        return cls.agency_id == agency_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if fk.parent.nullable or parent is table:
            continue
        inner = _scope_of(parent, agency_id, 1)
        if inner is not None:
            key = mapper.mapper.get_property_by_column(fk.parent).key
            return getattr(cls, key).in_(select(fk.column).where(inner))
    return true()


def _scoped_classes() -> tuple[type, ...]:
    """Read again whenever a model has been added to the registry since the last call."""
    return _scoped_classes_of(len(Base.registry.mappers))


@lru_cache(maxsize=4)
def _scoped_classes_of(_mapper_count: int) -> tuple[type, ...]:
    classes = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if isinstance(table, Table) and _scope_of(table, 0) is not None:
            classes.append(mapper.class_)
    return tuple(classes)


def agency_criteria(agency_id: int) -> tuple:
    """The loader criteria that keep a statement to ``agency_id``, one per scoped model. The
    criterion is a lambda on the class's ORM attributes, so SQLAlchemy adapts it to aliases and
    eager-load joins, and caches it with ``agency_id`` as a bound value."""
    return _criteria_of(agency_id, _scoped_classes())


@lru_cache(maxsize=256)
def _criteria_of(agency_id: int, classes: tuple[type, ...]) -> tuple:
    # Built once per agency: building the sixteen options cost about a third of a post page's
    # time (each one analyses its lambda), for every statement the page ran. The options are
    # immutable, so every statement and thread can share them.
    return tuple(with_loader_criteria(cls, lambda entity: _criterion(entity, agency_id),
                                      include_aliases=True)
                 for cls in classes)


#: Execution option for a statement that may read the whole installation although the session
#: is scoped: only where the caller has established that every row is the agency's anyway (one
#: agency on the installation), so a count can be read off an index without the criterion.
WHOLE_INSTALLATION = "tenfour_whole_installation"


def _add_criteria(state: ORMExecuteState) -> None:
    agency_id = state.session.info.get(INFO_KEY)
    if agency_id is None or state.is_column_load or state.is_relationship_load:
        return  # relationship loads inherit the criteria of the statement that loaded them
    if state.execution_options.get(WHOLE_INSTALLATION):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*agency_criteria(agency_id))


def install_agency_scope(db) -> None:
    """Hook ``db``'s sessions (idempotent per Database)."""
    if getattr(db, "_agency_scope_installed", False):
        return
    db.listen("do_orm_execute", _add_criteria)
    db._agency_scope_installed = True


def scope_session(session: Session, agency_id: int | None) -> None:
    """From now on ``session`` sees ``agency_id``'s data only (None: everything)."""
    if agency_id is None:
        session.info.pop(INFO_KEY, None)
    else:
        session.info[INFO_KEY] = agency_id


#: URL arguments that name a row, and the table the row is in (for :func:`row_in_scope`).
ID_ARGUMENTS = {
    "post_id": "posts", "target_id": "post_targets", "account_id": "social_accounts",
    "campaign_id": "campaigns", "media_id": "media_assets", "notification_id": "notifications",
    "pause_id": "pauses", "template_id": "post_templates", "reply_id": "community_replies",
    "series_id": "post_series", "link_id": "review_links", "user_id": "users",
    "token_id": "api_tokens", "comment_id": "post_comments", "version_id": "post_versions",
    "consent_id": "consents", "kit_run_id": "kit_runs", "agency_id": "agencies",
}


def row_in_scope(session: Session, argument: str, value) -> bool | None:
    """Whether the row a URL argument names is visible to ``session`` (so, with a scoped
    session, whether it is the user's agency's); None when the argument names no known table
    or its value is not an id (the view decides)."""
    table = ID_ARGUMENTS.get(argument)
    row_id = to_id(value)
    if table is None or row_id is None:
        return None
    for mapper in Base.registry.mappers:
        if mapper.local_table is not None and getattr(mapper.local_table, "name", "") == table:
            return session.get(mapper.class_, row_id) is not None
    return None


def _checked_name(name: str, timezone_name: str, *, refusal: str) -> str:
    """The agency's name, stripped, once it and the time zone are valid; else ``refusal``
    naming each bad field."""
    name = (name or "").strip()
    fields = {}
    if not name or len(name) > 200:
        fields["name"] = "Give the agency a name (at most 200 characters)."
    try:
        zone(timezone_name)
    except LocalTimeError as exc:
        fields["timezone"] = str(exc)
    if fields:
        raise ValidationFailed(refusal, fields=fields)
    return name


def create_agency(session: Session, *, name: str, timezone_name: str, now: datetime,
                  actor_id: int | None = None) -> Agency:
    from content_queue.users import audit

    name = _checked_name(name, timezone_name, refusal="The agency could not be created.")
    agency = Agency(name=name, timezone=timezone_name, created_at=now)
    session.add(agency)
    session.flush()
    audit(session, "agency.created", actor_id=actor_id, entity_type="agency",
          entity_id=agency.id, now=now, details={"name": name, "timezone": timezone_name})
    return agency


def agencies_usage(session: Session) -> list[dict]:
    """Per agency: users, active users, posts (the owner page; an unscoped session)."""
    users = dict(session.execute(select(User.agency_id, func.count()).group_by(User.agency_id)).all())
    active = dict(session.execute(select(User.agency_id, func.count())
                                  .where(User.active.is_(True)).group_by(User.agency_id)).all())
    posts = dict(session.execute(select(Post.agency_id, func.count()).group_by(Post.agency_id)).all())
    return [{"id": a.id, "name": a.name, "timezone": a.timezone, "created_at": a.created_at,
             "users": users.get(a.id, 0), "active_users": active.get(a.id, 0),
             "posts": posts.get(a.id, 0)}
            for a in session.scalars(select(Agency).order_by(Agency.id))]


def update_agency(session: Session, agency: Agency, *, name: str, timezone_name: str,
                  now: datetime, actor_id: int | None = None) -> None:
    from content_queue.users import audit

    name = _checked_name(name, timezone_name, refusal="The settings were not saved.")
    before = {"name": agency.name, "timezone": agency.timezone}
    agency.name, agency.timezone = name, timezone_name
    audit(session, "agency.updated", actor_id=actor_id, entity_type="agency",
          entity_id=agency.id, now=now, details={"before": before,
                                                  "after": {"name": name, "timezone": timezone_name}})
