"""The checked text with each finding's words in a ``<mark>``, built here from the offsets.

Every piece of the user's text goes through :func:`markupsafe.escape`; only the ``<mark>``
tags are markup, so templates print the result without ``|safe`` on anything a user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from markupsafe import Markup, escape

from content_queue.guard.posts import LocatedFinding

#: How each field of a post is named on the page.
def field_label(name: str) -> str:
    if name == "text":
        return "Post text"
    if name.startswith("variants."):
        return f"{name.split('.', 1)[1].capitalize()} version"
    return f"Image {int(name.split('.')[1]) + 1} alt text"


def highlight(text: str, findings: Iterable[LocatedFinding]) -> Markup:
    parts: list[Markup] = []
    position = 0
    for number, item in enumerate(sorted(findings, key=lambda f: f.finding.start), start=1):
        found = item.finding
        if found.start < position or found.end > len(text):
            continue
        parts.append(escape(text[position:found.start]))
        parts.append(Markup('<mark class="guard-mark" data-kind="{}" title="{}">{}'
                            '<span class="visually-hidden"> (finding {})</span></mark>').format(
            found.kind, found.message, text[found.start:found.end], number))
        position = found.end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


@dataclass
class FieldReport:
    name: str
    label: str
    marked: Markup
    findings: list[LocatedFinding] = field(default_factory=list)


def report(texts: dict[str, str], findings: list[LocatedFinding]) -> list[FieldReport]:
    """One entry per text that holds a finding, in the post's order."""
    out = []
    for name, text in texts.items():
        mine = [f for f in findings if f.field == name]
        if mine:
            out.append(FieldReport(name, field_label(name), highlight(text, mine), mine))
    return out
