"""The JSON Schemas (OpenAPI 3.1 dialect) of the API's resources, one per shape in
:mod:`web.api.shapes` and the other API modules.

They describe what the server really sends: ``tests/integration/test_openapi.py`` validates
real responses against them and a schemathesis run checks every operation, so a field added
to a shape without its schema here fails the suite.
"""

from __future__ import annotations

from typing import Any

TIME = {"type": ["string", "null"], "format": "date-time"}
REQUIRED_TIME = {"type": "string", "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_TEXT = {"type": ["string", "null"]}
STATUSES = ["draft", "awaiting_approval", "scheduled", "publishing", "published", "failed",
            "cancelled", "expired", "unconfirmed", "held", "mixed"]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], *, required: list[str] | None = None,
        extra: bool = True) -> dict[str, Any]:
    """An object with these properties, all of them required unless ``required`` says which.
    ``extra`` allows fields added later (the API extends shapes, never renames)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties) if required is None else required}
    if not extra:
        schema["additionalProperties"] = False
    return schema


def page_of(name: str, key: str) -> dict[str, Any]:
    return obj({key: {"type": "array", "items": ref(name)}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "total": {"type": "integer"}})


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj({"error": obj({
        "code": {"type": "string", "description": "A stable code scripts can test."},
        "message": {"type": "string", "description": "What went wrong, in plain words."},
        "fields": {"type": "object", "additionalProperties": True,
                   "description": "Per-field reasons, when the refusal is about fields."},
    })}),
    "Media": obj({
        "id": {"type": "integer"}, "filename": {"type": "string"},
        "mime_type": {"type": "string"}, "size": {"type": "integer"},
        "width": {"type": "integer"}, "height": {"type": "integer"},
        "alt_text": {"type": "string"}, "sha256": {"type": "string"},
        "created_at": REQUIRED_TIME,
    }),
    "Target": obj({
        "id": {"type": "integer"}, "account_id": {"type": "integer"},
        "platform": {"type": "string"}, "handle": {"type": "string"},
        "status": {"type": "string"}, "scheduled_at": TIME, "next_attempt_at": TIME,
        "attempts": {"type": "integer"}, "published_at": TIME,
        "platform_post_id": NULLABLE_TEXT, "permalink": NULLABLE_TEXT,
        "error": NULLABLE_TEXT, "error_code": NULLABLE_TEXT,
    }),
    "Post": obj({
        "id": {"type": "integer"}, "text": {"type": "string"},
        "status": {"type": "string", "description": "The targets' common status, or mixed."},
        "author_id": {"type": "integer"}, "campaign_id": NULLABLE_INT,
        "approved_by_id": NULLABLE_INT,
        "media": {"type": "array", "items": ref("Media")},
        "created_at": TIME, "updated_at": TIME,
        "targets": {"type": "array", "items": ref("Target")},
        # issue 8 compose: platform → the text it gets instead of "text"
        "variants": {"type": "object", "additionalProperties": {"type": "string"}},
    }),
    "PostPage": page_of("Post", "posts"),
    "Account": obj({
        "id": {"type": "integer"}, "platform": {"type": "string"},
        "handle": {"type": "string"}, "display_name": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "reconnect_needed", "disabled"]},
        "status_detail": {"type": "string"}, "api_base_url": NULLABLE_TEXT,
        "token_expires_at": TIME, "created_at": REQUIRED_TIME,
        # issue 8 compose: the account's own text limit (a Mastodon server's), else the platform's
        "max_characters": NULLABLE_INT,
    }),
    "AccountList": obj({"accounts": {"type": "array", "items": ref("Account")}}),
    "CostLine": obj({
        "platform": {"type": "string"}, "posts": {"type": "integer"},
        "unit_price": {"type": "number"}, "subtotal": {"type": "number"},
        "with_link": {"type": "boolean"},
    }),
    "Estimate": obj({"currency": {"type": "string"}, "total": {"type": "number"},
                     "lines": {"type": "array", "items": ref("CostLine")}}),
    "Campaign": obj({
        "id": {"type": "integer"}, "name": {"type": "string"},
        "description": {"type": "string"},
        "starts_on": {"type": ["string", "null"], "format": "date"},
        "ends_on": {"type": ["string", "null"], "format": "date"},
        "created_by_id": NULLABLE_INT, "created_at": REQUIRED_TIME,
        "post_count": {"type": "integer"}, "estimated_cost": ref("Estimate"),
    }),
    "CampaignList": obj({"campaigns": {"type": "array", "items": ref("Campaign")}}),
    "Pause": obj({
        "id": {"type": "integer"}, "reason": {"type": "string"},
        "account_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
        "created_by": NULLABLE_INT, "created_at": TIME, "resume_at": TIME,
        "resumed_at": TIME, "resumed_by": NULLABLE_INT,
        "held": {"type": ["string", "null"]},
    }, required=["id", "reason", "account_ids", "created_by", "created_at", "resume_at"]),
    "PauseList": obj({"pauses": {"type": "array", "items": ref("Pause")}}),
    "ResumedPause": {"allOf": [ref("Pause"), obj({"released": {"type": "integer"}})]},
    "Notification": obj({
        "id": {"type": "integer"}, "event": {"type": "string"},
        "subject": {"type": "string"}, "body": {"type": "string"},
        "post_id": NULLABLE_INT, "target_id": NULLABLE_INT, "account_id": NULLABLE_INT,
        "created_at": TIME, "read_at": TIME, "delivery_state": {"type": "string"},
    }),
    "NotificationPage": {"allOf": [page_of("Notification", "notifications"),
                                   obj({"unread": {"type": "integer"}})]},
    # --- request bodies ------------------------------------------------------------------
    "NewPost": obj({
        "text": {"type": "string", "minLength": 1, "maxLength": 63206},
        "account_ids": {"type": "array", "items": {"type": "integer", "minimum": 1},
                        "minItems": 1, "maxItems": 50},
        "scheduled_at": {"type": "string", "format": "date-time",
                         "description": "ISO 8601 with its UTC offset."},
        "campaign_id": {"type": ["integer", "null"], "minimum": 1},
        "media_ids": {"type": "array", "items": {"type": "integer", "minimum": 1},
                      "maxItems": 10},
        "submit": {"type": "boolean", "default": True,
                   "description": "false keeps it as a draft."},
        "variants": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "issue 8: platform → its own text (x, mastodon, …)."},
        "slot": {"type": "string", "enum": ["next"],  # issue 8 calendar
                 "description": "issue 8: instead of scheduled_at, the accounts' next free "
                                "posting slot."},
        "recurrence": {"type": "string", "maxLength": 500,  # issue 8 calendar
                       "description": "issue 8: an RFC 5545 rule (FREQ=WEEKLY;BYDAY=MO;"
                                      "COUNT=8): one post per occurrence, at most 52 within "
                                      "366 days; the answer has a \"series\"."},
    }, required=["text", "account_ids"]),  # issue 8 calendar: scheduled_at, or "slot"
    "Reschedule": obj({"scheduled_at": {"type": "string", "format": "date-time"}}),
    "Reason": obj({"reason": {"type": "string", "maxLength": 5000}}, required=[]),
    "NewAccount": obj({
        "platform": {"type": "string"}, "handle": {"type": "string"},
        "display_name": {"type": "string"}, "api_base_url": {"type": "string"},
        "credentials": {"type": "object"},
    }, required=["platform", "handle", "credentials"]),
    "NewCampaign": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "maxLength": 5000},
        "starts_on": {"type": ["string", "null"], "format": "date"},
        "ends_on": {"type": ["string", "null"], "format": "date"},
    }, required=["name"]),
    "NewPause": obj({
        "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
        "account_ids": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "resume_at": {"type": "string", "format": "date-time"},
    }, required=["reason"]),
    "Resume": obj({"held": {"type": "string", "enum": ["publish_now", "shift", "review"]}},
                  required=[]),
    "Confirm": obj({"url": {"type": "string", "format": "uri"}}),
    "Empty": {"type": "object"},
}
