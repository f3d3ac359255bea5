"""The OpenAPI description of issue 8's compose routes (variants, duplicates, templates, the
media library, CSV import and export), added to ``/api/v1/openapi.json`` through
:func:`web.api.openapi.document`."""

from __future__ import annotations

from web.api.openapi import PAGE, document, op, per_page
from web.api.openapi_schemas import NULLABLE_INT, TIME, obj, page_of, ref

SCHEMAS = {
    "PostWithWarnings": {"allOf": [ref("Post"), obj({"warnings": {
        "type": "array", "items": {"type": "string"},
        "description": "Not refusals: e.g. the same text already scheduled on the same "
                       "account within 24 hours."}})]},
    "Template": obj({
        "id": {"type": "integer"}, "name": {"type": "string"}, "text": {"type": "string"},
        "fields": {"type": "array", "items": {"type": "string"}},
        "created_by_id": NULLABLE_INT, "created_at": TIME, "updated_at": TIME,
    }),
    "TemplatePage": page_of("Template", "templates"),
    "NewTemplate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "text": {"type": "string", "minLength": 1}}),
    "MediaPage": {"allOf": [page_of("Media", "media"), obj({"q": {"type": "string"}})]},
    "ImportRow": obj({
        "row": {"type": "integer", "description": "As a spreadsheet numbers it (header = 1)."},
        "status": {"type": "string", "enum": ["ok", "error"]},
        "post_id": NULLABLE_INT, "code": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
    }, required=["row", "status"]),
    "ImportResult": obj({"created": {"type": "integer"},
                         "rows": {"type": "array", "items": ref("ImportRow")}}),
    # a refused file: the Error shape; refused rows: the Error shape plus created (0) and rows
    "ImportRefused": {"allOf": [ref("Error"), obj({
        "created": {"type": "integer"},
        "rows": {"type": "array", "items": ref("ImportRow")}}, required=[])]},
}


_MULTIPART_FILE = {"type": "object", "properties": {"file": {"type": "string",
                                                             "format": "binary"}},
                   "required": ["file"]}


def _with_refusal(operation: dict, status: str, schema: str, text: str) -> dict:
    operation["responses"][status] = {"description": text, "content": {
        "application/json": {"schema": ref(schema)}}}
    return operation


def register() -> None:
    document("/posts", "POST", op(
        "Queue a post on one or more accounts", "posts",
        (201, "PostWithWarnings", "The new post, with warnings (never refusals)."),
        body="NewPost", errors=("403", "404", "422"),
        description="Submitted unless submit is false. A PIO's post waits for approval. "
                    "variants give a platform its own text, checked against its rules and "
                    "each account's own limit."), SCHEMAS)
    document("/posts/<int:post_id>/duplicate", "POST", op(
        "Copy a post as a new draft (text, variants, images, accounts, campaign)", "posts",
        (201, "PostWithWarnings", "The new draft."), body="Empty", body_required=False,
        errors=("403", "404")))
    document("/templates", "GET", op("List templates", "templates",
                                     (200, "TemplatePage", "A page of templates."),
                                     query=[PAGE, per_page(200)]))
    document("/templates", "POST", op("Create a template", "templates",
                                      (201, "Template", "The template."), body="NewTemplate",
                                      errors=("403", "409", "422")))
    document("/templates/<int:template_id>", "GET", op(
        "Read a template", "templates", (200, "Template", "The template."), errors=("404",)))
    document("/templates/<int:template_id>", "PUT", op(
        "Change a template", "templates", (200, "Template", "The template."),
        body="NewTemplate", errors=("403", "404", "409", "422")))
    document("/templates/<int:template_id>", "DELETE", op(
        "Delete a template", "templates", None, errors=("403", "404"),
        raw_ok={"204": {"description": "Deleted."}}))
    document("/media", "GET", op(
        "The media library: images with their alt text, newest first", "media",
        (200, "MediaPage", "A page of images."),
        query=[("q", {"type": "string", "maxLength": 200},
                "Words found in the filename or the alt text."), PAGE, per_page(100, 24)]))
    document("/posts/import", "POST", _with_refusal(op(
        "Import posts from CSV (text,accounts,scheduled_at,campaign): all or nothing", "posts",
        (200, "ImportResult", "Every row became a post."), body=_MULTIPART_FILE,
        content="multipart/form-data", errors=("403", "422")),
        "422", "ImportRefused", "Nothing was created; rows lists every bad row (or the file "
                                "itself is refused, with the Error shape only)."))
    document("/posts/export.csv", "GET", op(
        "The queue as CSV (the queue's status filter)", "posts", None,
        query=[("status", {"type": "string"}, "Only posts with this status.")],
        errors=("422",), raw_ok={"200": {"description": "CSV, header first.", "content": {
            "text/csv": {"schema": {"type": "string"}}}}}))


register()
