"""``/api/v1/templates``: reusable post texts with ``{fields}`` (list, read, create, change,
delete). Anyone in the agency reads them; PIOs, approvers and admins change them."""

from __future__ import annotations

from flask import Response, jsonify, url_for

from content_queue.post_templates import (
    MAX_NAME,
    MAX_TEXT,
    create_template,
    delete_template,
    get_template,
    list_templates,
    update_template,
)
from content_queue.models import AUTHOR_ROLES
from web.api.blueprint import bp
from web.api.common import api_actor, clean_text, json_body, parse_int_param
from web.api.shapes import template_to_dict
from web.common.auth import roles_allowed
from web.common.state import get_session, now

MAX_PER_PAGE = 200


def _fields() -> tuple[str, str]:
    body = json_body()
    name = clean_text(body.get("name"), "name", max_length=MAX_NAME, code="name_missing")
    text = clean_text(body.get("text"), "text", max_length=MAX_TEXT, code="text_empty")
    return name, text


@bp.get("/templates")
def list_all_templates() -> Response:
    page = parse_int_param("page", 1)
    per_page = parse_int_param("per_page", 50, maximum=MAX_PER_PAGE)
    rows, total = list_templates(get_session(), api_actor().agency_id, page=page,
                                 per_page=per_page)
    return jsonify(templates=[template_to_dict(t) for t in rows], page=page, per_page=per_page,
                   total=total)


@bp.post("/templates")
@roles_allowed(AUTHOR_ROLES, "Viewers can use the queue but cannot change templates.")
def create_one_template() -> Response:
    name, text = _fields()
    row = create_template(get_session(), actor=api_actor(), name=name, text=text, now=now())
    response = jsonify(template_to_dict(row))
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_template", template_id=row.id)
    return response


@bp.get("/templates/<int:template_id>")
def read_template(template_id: int) -> Response:
    return jsonify(template_to_dict(get_template(get_session(), api_actor().agency_id,
                                                 template_id)))


@bp.put("/templates/<int:template_id>")
@roles_allowed(AUTHOR_ROLES, "Viewers can use the queue but cannot change templates.")
def change_template(template_id: int) -> Response:
    name, text = _fields()
    row = update_template(get_session(), actor=api_actor(), template_id=template_id, name=name,
                          text=text, now=now())
    return jsonify(template_to_dict(row))


@bp.delete("/templates/<int:template_id>")
@roles_allowed(AUTHOR_ROLES, "Viewers can use the queue but cannot change templates.")
def remove_template(template_id: int) -> Response:
    delete_template(get_session(), actor=api_actor(), template_id=template_id, now=now())
    return Response(status=204)
