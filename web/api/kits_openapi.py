"""The OpenAPI description of the kits, consent and archive operations (issue 10 kits)."""

from __future__ import annotations

from web.api.openapi import document, op
from web.api.openapi_schemas import REQUIRED_TIME, obj, ref

_DATE = {"type": "string", "format": "date"}
SCHEMAS = {
    "KitField": obj({"name": {"type": "string"}, "label": {"type": "string"},
                     "required": {"type": "boolean"}, "kind": {"type": "string"},
                     "help": {"type": "string"}}),
    "Kit": obj({"id": {"type": "string"}, "name": {"type": "string"},
                "description": {"type": "string"},
                "fields": {"type": "array", "items": ref("KitField")},
                "dates": {"type": "string"}, "requires_consent": {"type": "boolean"},
                "posts": {"type": "array", "items": obj({
                    "key": {"type": "string"}, "title": {"type": "string"},
                    "day": {"type": "integer"}})}}),
    "KitList": obj({"kits": {"type": "array", "items": ref("Kit")}}),
    "KitStart": obj({"year": {"type": "integer"}, "start_date": _DATE,
                     "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                     "account_ids": {"type": "array", "items": {"type": "integer"}}},
                    required=["fields", "account_ids"]),
    "KitPost": obj({"key": {"type": "string"}, "title": {"type": "string"},
                    "requires_consent": {"type": "boolean"},
                    "image_alt_text_prompts": {"type": "array", "items": {"type": "string"}}}),
    "KitStarted": obj({"campaign": ref("Campaign"), "posts": {"type": "array", "items": {
        "allOf": [ref("Post"), obj({"kit_post": ref("KitPost")})]}}}),
    "Consent": obj({"id": {"type": "integer"}, "post_id": {"type": "integer"},
                    "person_name": {"type": "string"}, "given_by": {"type": "string"},
                    "given_on": _DATE, "purpose": {"type": "string"},
                    "covers_name": {"type": "boolean"}, "covers_photo": {"type": "boolean"},
                    "recorded_by_id": {"type": "integer"}, "recorded_at": REQUIRED_TIME}),
    "ConsentList": obj({"consents": {"type": "array", "items": ref("Consent")}}),
    "NewConsent": obj({"person_name": {"type": "string"}, "given_by": {"type": "string"},
                       "given_on": _DATE, "purpose": {"type": "string"},
                       "covers_name": {"type": "boolean"}, "covers_photo": {"type": "boolean"}},
                      required=["person_name", "given_by", "given_on", "purpose"]),
    "ConsentRecorded": obj({"consent": ref("Consent")}),
    "NewDeletion": obj({"reason": {"type": "string"},
                        "deleted_at": {"type": "string", "format": "date-time"}}, required=[]),
    "Deletion": obj({"deletion": obj({
        "id": {"type": "integer"}, "target_id": {"type": "integer"},
        "deleted_at": REQUIRED_TIME, "reason": {"type": "string"},
        "recorded_by_id": {"type": ["integer", "null"]}})}),
}
_WRITE = ("403", "404", "409", "422")
_ZIP = {"200": {"description": "The archive: posts.json, posts.csv, replies.csv, media.csv, "
                               "media/ and manifest.json (SHA-256 of every file).",
                "content": {"application/zip": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}
for _rule, _method, _operation in (
    ("/kits", "GET", op("The campaign kits (built-in and the agency's own)", "kits",
                        (200, "KitList", "The kits."))),
    ("/kits/<kit_id>/start", "POST", op(
        "Start a kit: a campaign of draft posts at the agency's usual posting time", "kits",
        (201, "KitStarted", "The campaign and its drafts."), body="KitStart",
        errors=("403", "404", "422"))),
    ("/posts/<int:post_id>/consents", "GET", op(
        "The consents recorded on a post", "kits", (200, "ConsentList", "The consents."),
        errors=("404",))),
    ("/posts/<int:post_id>/consents", "POST", op(
        "Record a person's consent to appear (name, photo) in a post", "kits",
        (201, "ConsentRecorded", "The consent."), body="NewConsent", errors=_WRITE)),
    ("/archive", "GET", op(
        "Export the public-records archive for a date range (admins)", "archive",
        raw_ok=_ZIP, errors=("403", "422"),
        query=[("from", _DATE, "First day (agency time)."),
               ("to", _DATE, "Last day, included.")])),
    ("/targets/<int:target_id>/deletion", "POST", op(
        "Record that a published post was deleted on its platform (kept, never erased)",
        "archive", (201, "Deletion", "The deletion record."), body="NewDeletion",
        body_required=False, errors=_WRITE)),
):
    document(_rule, _method, _operation, SCHEMAS)
