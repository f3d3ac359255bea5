"""``/api/v1/users`` (admins of the agency): list, create, read, change role or active, reset
a password. The same rules as the admin pages (:mod:`web.admin.views`); the request's session
is scoped to the token's agency, so another agency's user id is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify

from content_queue.errors import NotFound, ValidationFailed
from content_queue.models import User
from content_queue.passwords import MAX_PASSWORD, generate_password
from content_queue.users import (change_role, create_user, list_users, reset_password,
                                 set_active)
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body
from web.common.auth import roles_allowed
from web.common.state import get_session, now


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_to_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "active": bool(user.active), "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at)}


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or user.role == "owner":
        raise NotFound("There is no such user.", code="unknown_user")
    return user


@bp.get("/users")
@roles_allowed({"admin"}, "Only an admin can manage users.")
def list_users_api():
    return jsonify(users=[user_to_dict(u) for u in list_users(get_session())])


@bp.post("/users")
@roles_allowed({"admin"}, "Only an admin can manage users.")
def create_user_api():
    body = json_body()
    email = clean_text(body.get("email"), "email", max_length=254, required=True)
    role = clean_text(body.get("role"), "role", max_length=20, required=True)
    name = clean_text(body.get("display_name"), "display_name", max_length=200)
    password = clean_text(body.get("password"), "password", max_length=MAX_PASSWORD)
    actor = api_actor()
    generated = not password
    password = password or generate_password()
    user = create_user(get_session(), agency_id=actor.agency_id, email=email, role=role,
                       password=password, display_name=name, now=now(), actor_id=actor.id)
    shape = user_to_dict(user)
    if generated:
        shape["password"] = password  # shown once
    response = jsonify(shape)
    response.status_code = 201
    return response


@bp.get("/users/<int:user_id>")
@roles_allowed({"admin"}, "Only an admin can manage users.")
def get_user_api(user_id: int):
    return jsonify(user_to_dict(_user(user_id)))


@bp.patch("/users/<int:user_id>")
@roles_allowed({"admin"}, "Only an admin can manage users.")
def patch_user_api(user_id: int):
    body = json_body()
    unknown = sorted(set(body) - {"role", "active"})
    if unknown:
        raise ValidationFailed(f"Only role and active can be changed here (not {', '.join(unknown)}).",
                               fields={name: "Cannot be changed." for name in unknown})
    if "active" in body and not isinstance(body["active"], bool):
        raise ValidationFailed("active must be true or false.", fields={"active": "true or false."})
    role = clean_text(body.get("role"), "role", max_length=20) if "role" in body else None
    actor = api_actor()
    user = _user(user_id)
    if role is not None:
        change_role(get_session(), user, role, actor=actor, now=now())
    if "active" in body:
        set_active(get_session(), user, body["active"], actor=actor, now=now())
    return jsonify(user_to_dict(user))


@bp.post("/users/<int:user_id>/reset-password")
@roles_allowed({"admin"}, "Only an admin can manage users.")
def reset_password_api(user_id: int):
    actor = api_actor()
    user = _user(user_id)
    password = reset_password(get_session(), user, actor=actor, now=now())
    return jsonify({**user_to_dict(user), "password": password})
