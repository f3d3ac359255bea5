"""The agency's guard settings: its allow-list (own public numbers, own address, own e-mail
domains) and its extra incident-number patterns, read from the Agency row.

The lists are plain text, one entry a line, so the settings page is a set of text areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers

from content_queue.errors import ValidationFailed

MAX_PATTERNS = 20
MAX_PATTERN_LENGTH = 200
MAX_ENTRIES = 50
MAX_ENTRY_LENGTH = 300

#: Incident, case and CAD numbers as most CAD and records systems print them.
DEFAULT_PATTERNS: tuple[str, ...] = (
    # CAD 24-018812, CAD# 2026-004411, CAD incident 24018812
    r"(?i)\bCAD\s*(?:#|no\.?|num(?:ber)?\.?|incident|event)?\s*[:#]?\s*\d{2,4}-?\d{4,8}\b",
    # Case #2026-00123, report no. 24-5512, incident number 2026-000045, event# PD24-001122
    r"(?i)\b(?:case|report|incident|event|call|file|complaint|citation|run)\s*"
    r"(?:#|no\.?|num(?:ber)?\.?)\s*[:#]?\s*[A-Z]{0,4}-?\d{2,4}-?\d{3,8}\b",
    # case 24-018812, report 2026-00123
    r"(?i)\b(?:case|report|incident|event|file)\s+[A-Z]{0,4}\d{2,4}-\d{3,8}\b",
    # INC1234567, RPT-2026-0042, CFS24-001234
    r"\b(?:INC|CAD|RPT|EVT|CFS|PD|SO|FD)[-#]?\d{2,4}-?\d{3,8}\b",
    # a bare year-sequence number: 24-018812, 2026-00123
    r"\b(?:19|20)?\d{2}-\d{5,6}\b",
)


@dataclass(frozen=True)
class GuardConfig:
    """What one agency allows and adds. ``allowed_numbers`` are national numbers (digits)."""

    allowed_numbers: frozenset[str] = frozenset()
    allowed_addresses: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    extra_patterns: tuple[re.Pattern, ...] = ()
    patterns: tuple[re.Pattern, ...] = field(default=())

    @property
    def incident_patterns(self) -> tuple[re.Pattern, ...]:
        return self.patterns + self.extra_patterns


_COMPILED_DEFAULTS = tuple(re.compile(p) for p in DEFAULT_PATTERNS)


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def national_number(raw: str) -> str | None:
    """``(608) 266-4000`` → ``6082664000``; None when it is no phone number at all."""
    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    return str(parsed.national_number)


def compile_patterns(value: str | None) -> tuple[re.Pattern, ...]:
    """The agency's extra patterns, one regular expression a line; a bad one is refused with
    its line number and what is wrong, in words."""
    entries = lines(value)
    if len(entries) > MAX_PATTERNS:
        raise ValidationFailed(f"At most {MAX_PATTERNS} extra patterns; this has {len(entries)}.",
                               code="invalid_pattern", fields={"patterns": "Too many patterns."})
    compiled = []
    for number, entry in enumerate(entries, start=1):
        if len(entry) > MAX_PATTERN_LENGTH:
            message = f"Pattern on line {number} is longer than {MAX_PATTERN_LENGTH} characters."
            raise ValidationFailed(message, code="invalid_pattern", fields={"patterns": message})
        try:
            pattern = re.compile(entry)
        except re.error as exc:
            message = (f"Pattern on line {number} ({entry}) is not a valid regular expression: "
                       f"{exc.msg} at position {exc.pos}.")
            raise ValidationFailed(message, code="invalid_pattern",
                                   fields={"patterns": message}) from None
        if pattern.fullmatch("") is not None or pattern.search(" ") is not None:
            message = (f"Pattern on line {number} ({entry}) matches empty text, so it would "
                       "flag every post; make it match the number itself.")
            raise ValidationFailed(message, code="invalid_pattern", fields={"patterns": message})
        compiled.append(pattern)
    return tuple(compiled)


def check_allow_numbers(value: str | None) -> list[str]:
    """The allowed numbers, each one checked to be a phone number (a typo is refused)."""
    entries = lines(value)
    _check_count(entries, "allowed_numbers")
    for number, entry in enumerate(entries, start=1):
        if entry.replace("-", "") in ("911", "9 1 1"):
            continue
        if national_number(entry) is None or len(national_number(entry) or "") < 7:
            message = f"Line {number} ({entry}) is not a phone number."
            raise ValidationFailed(message, code="invalid_allow_list",
                                   fields={"allowed_numbers": message})
    return entries


def check_entries(value: str | None, field_name: str) -> list[str]:
    entries = lines(value)
    _check_count(entries, field_name)
    return entries


def _check_count(entries: list[str], field_name: str) -> None:
    if len(entries) > MAX_ENTRIES:
        message = f"At most {MAX_ENTRIES} lines; this has {len(entries)}."
        raise ValidationFailed(message, code="invalid_allow_list", fields={field_name: message})
    for number, entry in enumerate(entries, start=1):
        if len(entry) > MAX_ENTRY_LENGTH:
            message = f"Line {number} is longer than {MAX_ENTRY_LENGTH} characters."
            raise ValidationFailed(message, code="invalid_allow_list",
                                   fields={field_name: message})


def config_for(agency: Any | None) -> GuardConfig:
    """The agency's settings as a :class:`GuardConfig` (defaults when ``agency`` is None).

    Stored patterns were validated when saved; one that no longer compiles is skipped rather
    than stopping every post of the agency. Built once per distinct settings (parsing the
    allowed numbers is the costly part: the worker checks every post it publishes)."""
    if agency is None:
        return GuardConfig(patterns=_COMPILED_DEFAULTS)
    return _config_of(*(getattr(agency, name, None) or "" for name in (
        "guard_allowed_numbers", "guard_patterns", "guard_allowed_addresses",
        "guard_allowed_domains")))


@lru_cache(maxsize=256)
def _config_of(allowed_numbers: str, patterns: str, allowed_addresses: str,
               allowed_domains: str) -> GuardConfig:
    numbers = {n for n in (national_number(x) for x in lines(allowed_numbers)) if n}
    extra = []
    for entry in lines(patterns):
        try:
            extra.append(re.compile(entry))
        except re.error:
            continue
    return GuardConfig(
        allowed_numbers=frozenset(numbers),
        allowed_addresses=tuple(lines(allowed_addresses)),
        allowed_domains=tuple(d.lower().lstrip("@") for d in lines(allowed_domains)),
        extra_patterns=tuple(extra),
        patterns=_COMPILED_DEFAULTS,
    )
