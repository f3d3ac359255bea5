"""Checking what a PIO typed into a kit's fields, and putting it into the kit's texts."""

from __future__ import annotations

import string
from datetime import date
from typing import Any, Mapping

from content_queue.errors import ValidationFailed
from content_queue.kits.schema import Kit, KitField

MAX_LENGTH = {"text": 300, "long_text": 2000, "date": 10, "url": 500, "number": 12}


def _check_value(spec: KitField, raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValidationFailed(f"{spec.label} must be text.", code="invalid_field",
                               fields={spec.name: "Must be text."})
    value = str(raw).strip().replace("\r\n", "\n")
    if "\x00" in value:  # no database text column takes it (PostgreSQL refuses it)
        raise ValidationFailed(f"{spec.label} contains a character that is not valid text.",
                               code="invalid_text", fields={spec.name: "Invalid character."})
    if not value:
        return ""
    limit = MAX_LENGTH[spec.kind]
    if len(value) > limit:
        raise ValidationFailed(f"{spec.label} can be at most {limit} characters.",
                               code="invalid_field", fields={spec.name: f"At most {limit}."})
    if spec.kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(f"{spec.label}: enter a date such as 2027-04-11.",
                                   code="invalid_field",
                                   fields={spec.name: "A date such as 2027-04-11."}) from None
    elif spec.kind == "url":
        if not value.startswith(("https://", "http://")) or " " in value:
            raise ValidationFailed(f"{spec.label}: enter a web address starting with https://.",
                                   code="invalid_field",
                                   fields={spec.name: "A web address starting with https://."})
    elif spec.kind == "number":
        if not value.replace(",", "").replace(".", "", 1).isdigit():
            raise ValidationFailed(f"{spec.label}: enter a number such as 1,250.",
                                   code="invalid_field", fields={spec.name: "A number."})
    elif spec.kind == "text" and "\n" in value:
        value = " ".join(value.split())
    return value


def check_fields(kit: Kit, given: Any) -> dict[str, str]:
    """Every field of ``kit`` with its checked value ("" for an optional one left empty).

    Unknown names and missing required fields are refused together, each named."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise ValidationFailed("fields must be an object of field names to values.",
                               code="invalid_fields", fields={"fields": "Must be an object."})
    unknown = [name for name in given if kit.field_named(str(name)) is None]
    if unknown:
        names = ", ".join(str(n) for n in unknown)
        raise ValidationFailed(f"The kit {kit.name} has no field {names}.",
                               code="unknown_field",
                               fields={str(n): "Not a field of this kit." for n in unknown})
    values = {spec.name: _check_value(spec, given.get(spec.name)) for spec in kit.fields}
    missing = [spec for spec in kit.fields if spec.required and not values[spec.name]]
    if missing:
        raise ValidationFailed(
            "Fill in the required fields: " + ", ".join(s.label for s in missing) + ".",
            code="missing_fields", fields={s.name: "Required." for s in missing})
    return values


def display_values(kit: Kit, values: Mapping[str, str]) -> dict[str, str]:
    """The values as they read in a post: a date field as "Thursday, May 20, 2027"."""
    shown = dict(values)
    for spec in kit.fields:
        if spec.kind == "date" and shown.get(spec.name):
            day = date.fromisoformat(shown[spec.name])
            shown[spec.name] = f"{day:%A, %B} {day.day}, {day.year}"
    return shown


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{field}`` replaced. Values are inserted as they are (a value
    containing braces stays literal). Blank lines left by empty optional fields are closed."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    text = "".join(out)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
