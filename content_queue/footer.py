"""The agency footer: one line added at the end of every post where the platform's limit
leaves room for it, by default the NENA-recommended notice that the account is not watched
around the clock. Applied in one place, :func:`content_queue.variants.text_for_target`, so
the published text, the previews and the counter agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from content_queue.models import Agency
from content_queue.platforms import RULES, rules_for

DEFAULT_FOOTER = "This account is not monitored 24/7. In an emergency, call or text 911."
#: Between the post and its footer: a blank line.
SEPARATOR = "\n\n"
MAX_FOOTER = 280


def footer_of(agency: Any | None) -> str | None:
    """The agency's footer line, or None when it is switched off."""
    if agency is None:
        return DEFAULT_FOOTER
    if not getattr(agency, "footer_enabled", True):
        return None
    return (getattr(agency, "footer_text", None) or "").strip() or DEFAULT_FOOTER


def fits(text: str, platform: str, max_chars: int | None = None) -> bool:
    if platform not in RULES:
        return False
    rules = rules_for(platform, max_chars=max_chars)
    if rules.count(text) > rules.max_chars:
        return False
    return rules.max_bytes is None or len(text.encode("utf-8")) <= rules.max_bytes


def with_footer(text: str, footer: str | None, platform: str,
                max_chars: int | None = None) -> str:
    """``text`` with the footer after a blank line when it fits the platform's limit (and is
    not already there); otherwise ``text`` as it is."""
    if not footer or footer in text:
        return text
    candidate = text.rstrip() + SEPARATOR + footer
    return candidate if fits(candidate, platform, max_chars) else text


def agency_of(post: Any) -> Agency | None:
    session = object_session(post)
    return session.get(Agency, post.agency_id) if session is not None else None


def apply_footer(post: Any, text: str, platform: str, max_chars: int | None = None) -> str:
    """The published text of ``post`` on ``platform``: ``text`` and the agency's footer."""
    return with_footer(text, footer_of(agency_of(post)), platform, max_chars)
