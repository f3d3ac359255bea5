"""The sensitive-information guard: what a 911 center must never publish, found in a post's
text, its platform variants and its images' alt text before it is submitted, approved or
published.

- :func:`check_text` — the findings in one text (pure; the agency's settings as a config).
- :func:`check_post` / :func:`require_clear` — a post's texts, and the refusal the verbs raise.
- :func:`override_guard` — an approver lets a post's exact texts through, with a justification.
"""

from __future__ import annotations

from content_queue.guard.config import (DEFAULT_PATTERNS, GuardConfig, compile_patterns,
                                        config_for)
from content_queue.guard.findings import KINDS, Finding
from content_queue.guard.scan import check_text
from content_queue.guard.posts import (GuardBlocked, LocatedFinding, check_post, check_texts,
                                       override_guard, publish_refusal, require_clear,
                                       texts_of_post)

__all__ = ["DEFAULT_PATTERNS", "GuardConfig", "compile_patterns", "config_for", "KINDS",
           "Finding", "check_text", "GuardBlocked", "LocatedFinding", "check_post", "check_texts",
           "override_guard", "publish_refusal", "require_clear", "texts_of_post"]
