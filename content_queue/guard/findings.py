"""What the guard reports: one :class:`Finding` per piece of text a 911 center must not publish."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: Every kind of finding, with the plain-words message a PIO reads next to the highlighted words.
KINDS: dict[str, str] = {
    "phone": "This looks like a phone number. Unless it is one of the center's own public "
             "numbers, a caller's or a person's number must not be published.",
    "address": "This looks like a street address or intersection. The location of a call "
               "must not be published.",
    "date_of_birth": "This looks like a date of birth. A person's date of birth must not be "
                     "published.",
    "incident_number": "This looks like an incident, case or CAD number. Call records must "
                       "not be published.",
    "license_plate": "This looks like a license plate. A vehicle's plate must not be published.",
    "email": "This looks like a private person's e-mail address. Only the center's own "
             "addresses may be published.",
    "name_with_incident": "This names a person next to an incident or medical word. A "
                          "caller's or patient's identity must not be published.",
}


@dataclass(frozen=True)
class Finding:
    """``text[start:end]`` of the checked text is what was found (offsets in code points)."""

    kind: str
    start: int
    end: int
    text: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def finding(kind: str, text: str, start: int, end: int, message: str | None = None) -> Finding:
    return Finding(kind, start, end, text[start:end], message or KINDS[kind])


def merge(findings: list[Finding]) -> list[Finding]:
    """In text order; a finding inside another one's words is dropped (the wider one stays),
    so each word is highlighted once."""
    ordered = sorted(findings, key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for item in ordered:
        if kept and item.start < kept[-1].end:
            if item.end <= kept[-1].end:
                continue
            if item.start < kept[-1].end:  # overlapping: keep both only if the first is wider
                if (item.end - item.start) > (kept[-1].end - kept[-1].start):
                    kept[-1] = item
                continue
        kept.append(item)
    return kept
