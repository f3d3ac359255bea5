"""The kit catalog as the web app sees it: built-in kits plus the ``KITS_DIR`` folder."""

from __future__ import annotations

from datetime import date
from typing import Any

from content_queue.errors import NotFound, ValidationFailed
from content_queue.kits import Kit, KitCatalog, load_catalog
from content_queue.models import KitPost
from web.common.state import get_state


def catalog() -> KitCatalog:
    return load_catalog(get_state().settings.kits_dir)


def kit_or_404(kit_id: str) -> Kit:
    kit = catalog().get(kit_id)
    if kit is None:
        raise NotFound(f"There is no kit called {kit_id!r}.", code="unknown_kit")
    return kit


def kit_to_dict(kit: Kit) -> dict[str, Any]:
    return {
        "id": kit.id,
        "name": kit.name,
        "description": kit.description,
        "fields": [{"name": f.name, "label": f.label, "required": f.required, "kind": f.kind,
                    "help": f.help} for f in kit.fields],
        "dates": kit.anchor,
        "requires_consent": kit.requires_consent,
        "posts": [{"key": p.key, "title": p.title, "day": p.day} for p in kit.posts],
    }


def kit_post_to_dict(row: KitPost | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"key": row.key, "title": row.title, "requires_consent": row.requires_consent,
            "image_alt_text_prompts": list(row.image_prompts or [])}


def parse_start_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed("start_date must be a date such as 2027-04-11.",
                               code="invalid_date",
                               fields={"start_date": "A date such as 2027-04-11."}) from None

