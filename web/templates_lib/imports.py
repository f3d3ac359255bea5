"""Bulk import and export on a page: upload a CSV (all or nothing, every bad row reported by
its spreadsheet row number), download the example file, export the queue as CSV."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from content_queue.errors import ServiceError, ValidationFailed
from content_queue.exporting import export_rows_in_own_session
from content_queue.importing import (COLUMNS, EXAMPLE_CSV, MAX_IMPORT_BYTES, MAX_ROWS,
                                     import_posts)
from content_queue.models import AUTHOR_ROLES
from content_queue.reading import list_posts
from web.common.auth import current_actor, roles_allowed
from web.common.downloads import csv_response
from web.common.state import discard_changes, get_session, get_state, now
from web.templates_lib.forms import ImportForm
from web.templates_lib.views import bp


WRITERS_ONLY = "Viewers can read the queue but cannot import posts."


def _render(form: ImportForm, *, result=None, error: str | None = None, status: int = 200):
    return render_template("templates_lib/import.html", form=form, result=result, error=error,
                           columns=COLUMNS, max_rows=MAX_ROWS,
                           max_kb=MAX_IMPORT_BYTES // 1024), status


@bp.route("/posts/import")
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def import_page():
    return _render(ImportForm(formdata=None))


@bp.route("/posts/import", methods=["POST"])
@roles_allowed(AUTHOR_ROLES, WRITERS_ONLY)
def import_submit():
    form = ImportForm()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render(form, error="Choose the CSV file to import.", status=422)
    try:
        result = import_posts(get_session(), actor=current_actor(),
                              data=upload.stream.read(MAX_IMPORT_BYTES + 1), now=now())
    except ValidationFailed as exc:
        discard_changes()
        return _render(form, error=exc.message, status=422)
    except ServiceError as exc:
        discard_changes()
        return _render(form, error=exc.message, status=exc.status)
    if not result.ok:
        discard_changes()
        return _render(form, result=result, status=422)
    return _render(ImportForm(formdata=None), result=result)


@bp.route("/posts/import/example.csv")
def import_example():
    response = Response(EXAMPLE_CSV, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="tenfour-import-example.csv"'
    return response


@bp.route("/posts/export.csv")
def export_page_csv():
    """The queue as CSV, with the queue page's ``status`` filter."""
    status = request.args.get("status") or None
    try:
        list_posts(get_session(), current_actor(), status=status, page=1, per_page=1)
    except ValidationFailed as exc:
        abort(400, exc.message)
    return csv_response(export_rows_in_own_session(get_state().db, current_actor().id,
                                                   status=status), "tenfour-queue.csv")
