"""Bidirectional control characters: text that displays in another order than it is stored.

U+202E (RIGHT-TO-LEFT OVERRIDE) and friends can make ``call 911`` read as something else, or
turn the words after them around, on the approval page and on the platform. The pages isolate
the post's text (``<bdi dir="auto">``), flag such text to the approver, and can show it "as
written" with each control character as a visible mark (:func:`split_bidi`).
"""

from __future__ import annotations

import unicodedata

#: The embedding/override controls, the isolates, and the left-to-right/right-to-left marks.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]      # LRE RLE PDF LRO RLO
    + [chr(c) for c in range(0x2066, 0x206A)]    # LRI RLI FSI PDI
    + ["\u200e", "\u200f"]                       # LRM RLM
)


def bidi_controls(text: str | None) -> list[tuple[int, str, str]]:
    """``(position, "U+202E", "RIGHT-TO-LEFT OVERRIDE")`` for each control in ``text``."""
    return [(i, f"U+{ord(ch):04X}", unicodedata.name(ch, "bidirectional control"))
            for i, ch in enumerate(text or "") if ch in BIDI_CONTROLS]


def has_bidi_controls(text: str | None) -> bool:
    return any(ch in BIDI_CONTROLS for ch in text or "")


def split_bidi(text: str | None) -> list[tuple[bool, str]]:
    """``text`` in runs: ``(False, plain text)`` and ``(True, "U+202E")`` for each control."""
    runs: list[tuple[bool, str]] = []
    buffer: list[str] = []
    for ch in text or "":
        if ch in BIDI_CONTROLS:
            if buffer:
                runs.append((False, "".join(buffer)))
                buffer = []
            runs.append((True, f"U+{ord(ch):04X}"))
        else:
            buffer.append(ch)
    if buffer:
        runs.append((False, "".join(buffer)))
    return runs
