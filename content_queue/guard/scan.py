"""One text through every detector."""

from __future__ import annotations

from content_queue.guard.config import GuardConfig, config_for
from content_queue.guard.detect import DETECTORS
from content_queue.guard.findings import Finding, merge

#: Longer texts are checked up to here (no platform takes more); the rest is not published.
MAX_CHECKED = 70_000


def check_text(text: str, config: GuardConfig | None = None) -> list[Finding]:
    """Every finding in ``text``, in order, one per stretch of words."""
    config = config or config_for(None)
    text = text[:MAX_CHECKED]
    found: list[Finding] = []
    for detector in DETECTORS:
        found.extend(detector(text, config))
    return merge(found)
