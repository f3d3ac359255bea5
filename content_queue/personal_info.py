"""Personal information in a reply: a phone number or a street address.

A reply that carries someone's number or address is hidden from the wall (and the briefing on
a dispatch-floor screen) until an approver decides, because the wall is seen by people who
must never spread a caller's details. Phone numbers come from phonenumbers' matcher (US
numbers, leniency POSSIBLE: a hidden thank-you costs one click, a shown number cannot be
taken back); addresses from usaddress' token labels, plus a Spanish street pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
import usaddress

PHONE = "phone"
ADDRESS = "address"

REASONS = {PHONE: "contains a phone number", ADDRESS: "contains a street address"}

#: Street types usaddress labels as ``StreetNamePostType`` that real addresses use.
STREET_TYPES = frozenset("""
st street ave avenue av rd road dr drive ln lane blvd boulevard ct court way pl place hwy
highway pkwy parkway cir circle ter terrace trl trail loop pike sq square
""".split())

SPANISH_STREET = re.compile(
    r"\b(?:calle|avenida|av\.|camino|carretera|callej[oó]n|boulevard|bulevar)\s+"
    r"[\w .'-]{1,30}?\s#?\d{1,5}\b"
    r"|\b\d{1,5}\s+(?:calle|avenida|camino)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    kind: str
    text: str


def find_phones(text: str) -> list[Found]:
    return [Found(PHONE, m.raw_string) for m in phonenumbers.PhoneNumberMatcher(
        text, "US", leniency=phonenumbers.Leniency.POSSIBLE)]


def find_addresses(text: str) -> list[Found]:
    """A house number followed, within three words, by a street type ("123 Main St",
    "2210 W Elm Ave"); "911 center on 5th street" is not one (no house number before it)."""
    found: list[Found] = []
    try:
        tokens = usaddress.parse(text)
    except Exception:  # noqa: BLE001 - the CRF parser fails on odd input: no address found
        tokens = []
    for index, (token, tag) in enumerate(tokens):
        number = token.strip(",.#")
        if tag != "AddressNumber" or not re.fullmatch(r"\d{1,6}[a-zA-Z]?", number) \
                or number == "911":
            continue
        for offset in range(1, 5):
            if index + offset >= len(tokens):
                break
            word, label = tokens[index + offset]
            if label == "StreetNamePostType" and word.strip(",.").lower() in STREET_TYPES:
                found.append(Found(ADDRESS, " ".join(t for t, _ in
                                                     tokens[index:index + offset + 1])))
                break
            if label not in ("StreetName", "StreetNamePreDirectional", "StreetNamePreType"):
                break
    found.extend(Found(ADDRESS, m.group(0)) for m in SPANISH_STREET.finditer(text))
    return found


def find_personal_info(text: str) -> list[Found]:
    return find_phones(text) + find_addresses(text)


def personal_info_flags(text: str) -> list[str]:
    """The kinds found, in a stable order (``["phone", "address"]``)."""
    kinds = {f.kind for f in find_personal_info(text)}
    return [kind for kind in (PHONE, ADDRESS) if kind in kinds]
