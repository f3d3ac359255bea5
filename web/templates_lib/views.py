"""Templates: reusable texts with ``{fields}`` that PIOs choose on the compose page.

Everyone in the agency sees the list; PIOs, approvers and admins create, change and delete
(the server checks the role on every write)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from content_queue.errors import ServiceError
from content_queue.models import AUTHOR_ROLES
from content_queue.post_templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    template_fields,
    update_template,
)
from web.common.auth import current_actor, roles_allowed
from web.common.forms import Errors, service_errors
from web.common.state import discard_changes, get_session, now
from web.templates_lib.forms import DeleteForm, TemplateForm

bp = Blueprint("templates_lib", __name__, template_folder="templates")

PER_PAGE = 25
GROUPS = {"name": "name", "text": "text"}


WRITERS_ONLY = "Viewers can use the queue but cannot change templates."


def _render(form: TemplateForm, errors: Errors, *, editing=None, status: int = 200):
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = list_templates(get_session(), current_actor().agency_id, page=page,
                                 per_page=PER_PAGE)
    return render_template(
        "templates_lib/index.html", templates=rows, total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), form=form, errors=errors,
        editing=editing, fields_of=template_fields, delete_form=DeleteForm(formdata=None),
    ), status


@bp.route("/templates")
def index():
    return _render(TemplateForm(formdata=None), {})


@bp.route("/templates", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def create():
    form = TemplateForm()
    try:
        row = create_template(get_session(), actor=current_actor(), name=form.name.data,
                              text=form.text.data, now=now())
    except ServiceError as exc:
        discard_changes()
        return _render(form, service_errors(exc, GROUPS), status=422)
    flash(f"Saved the template {row.name!r}. Choose it on the New post page.", "success")
    return redirect(url_for("templates_lib.index") + f"#template-{row.id}")


def _load(template_id: int):
    try:
        return get_template(get_session(), current_actor().agency_id, template_id)
    except ServiceError:
        abort(404, "There is no such template in your agency.")


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def edit(template_id: int):
    row = _load(template_id)
    if request.method == "GET":
        form = TemplateForm(formdata=None, obj=row)
        return _render(form, {}, editing=row)
    form = TemplateForm()
    try:
        update_template(get_session(), actor=current_actor(), template_id=row.id,
                        name=form.name.data, text=form.text.data, now=now())
    except ServiceError as exc:
        discard_changes()
        return _render(form, service_errors(exc, GROUPS), editing=_load(template_id), status=422)
    flash("Template saved.", "success")
    return redirect(url_for("templates_lib.index") + f"#template-{template_id}")


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def delete(template_id: int):
    row = _load(template_id)
    name = row.name
    DeleteForm().validate()  # CSRF is checked app-wide; nothing else to read
    delete_template(get_session(), actor=current_actor(), template_id=row.id, now=now())
    flash(f"Deleted the template {name!r}. Posts made from it keep their text.", "success")
    return redirect(url_for("templates_lib.index"))
