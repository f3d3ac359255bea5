"""The detectors: each finds one kind of sensitive text and returns offsets into it.

Pure functions of (text, config). Where a library does the work it is used (phonenumbers'
matcher for phone numbers, usaddress's tagger for street addresses); the rest are patterns
anchored on context words, so that ordinary outreach (times, years, counts, "911", hashtags)
passes.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator

import phonenumbers
import usaddress
from phonenumbers import Leniency

from content_queue.guard.config import GuardConfig
from content_queue.guard.findings import Finding, finding

# --- phone numbers --------------------------------------------------------------------------

#: Short codes and service numbers a center publishes freely (911, 211, 311, 988 …).
SERVICE_NUMBERS = frozenset({"911", "211", "311", "411", "511", "711", "811", "988"})


def find_phones(text: str, config: GuardConfig) -> Iterator[Finding]:
    """phonenumbers' matcher at POSSIBLE leniency: 555 numbers and 7-digit local numbers are
    possible too, and a caller's number is often written without its area code."""
    for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=Leniency.POSSIBLE):
        digits = str(match.number.national_number)
        if digits in SERVICE_NUMBERS or digits in config.allowed_numbers:
            continue
        if any(n.endswith(digits) and len(digits) == 7 for n in config.allowed_numbers):
            continue  # the center's own number written without its area code
        if _looks_like_a_range_or_count(text, match.start, match.end):
            continue
        yield finding("phone", text, match.start, match.end)


def _looks_like_a_range_or_count(text: str, start: int, end: int) -> bool:
    raw = text[start:end]
    # "1,203" and "2,500,000" are counts; "2024-2025" is a span of years
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return True
    return bool(re.fullmatch(r"(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}", raw))


# --- street addresses and intersections -----------------------------------------------------

#: USPS street suffixes (the common ones) and their abbreviations.
SUFFIXES = (
    "street st avenue ave av road rd drive dr lane ln boulevard blvd way court ct place pl "
    "circle cir terrace ter trail trl parkway pkwy highway hwy route rte pike freeway fwy "
    "expressway expy square sq loop alley aly crossing xing run row path pass plaza plz "
    "point pt ridge rdg grove grv heights hts crescent cres close walk").split()
_SUFFIX_SET = frozenset(SUFFIXES)
_SUFFIX_RE = "|".join(sorted(SUFFIXES, key=len, reverse=True))
_STREET_WORD = r"(?:[A-Z][A-Za-z'’.-]*|\d{1,3}(?:st|nd|rd|th))"
_DIRECTION = r"(?:[NSEW]\.?|North|South|East|West|N\.?[EW]\.?|S\.?[EW]\.?)"
_STREET = (rf"(?:{_DIRECTION}\s+)?{_STREET_WORD}(?:\s+{_STREET_WORD}){{0,2}}\s+"
           rf"(?i:{_SUFFIX_RE})\b\.?(?:\s+{_DIRECTION}\b)?")
_STREET_NO_SUFFIX = rf"(?:{_DIRECTION}\s+)?{_STREET_WORD}(?:\s+{_STREET_WORD})?"
_NUMBERED_ROAD = (r"(?:(?:Highway|Hwy\.?|County Road|County Rd\.?|CR|State Road|SR|Route|US|I)"
                  r"[- ]\d{1,3}[A-Z]?\b|(?:County Road|County Rd\.?|County Highway|CTH)\s+[A-Z]{1,2}\b)")

#: "Main St and 5th Ave", "Elm Street & Oak Avenue", "Main St at Highway 12"
_INTERSECTION = re.compile(
    rf"(?:{_NUMBERED_ROAD}|{_STREET})\s*(?:\band\b|&|/|\bat\b)\s*(?:{_NUMBERED_ROAD}|{_STREET})")
#: "the intersection of Main and 5th", "the corner of Oak and Elm"
_CORNER = re.compile(
    rf"\b(?:intersection|corner)\s+of\s+{_STREET_NO_SUFFIX}(?:\s+(?i:{_SUFFIX_RE})\b\.?)?"
    rf"\s+(?:and|&)\s+{_STREET_NO_SUFFIX}(?:\s+(?i:{_SUFFIX_RE})\b\.?)?")
#: "the 1400 block of Elm Street", "100 blk of N Main"
_BLOCK = re.compile(
    rf"\b\d{{1,6}}\s+(?:block|blk\.?)\s+of\s+(?:{_STREET}|{_NUMBERED_ROAD}|{_STREET_NO_SUFFIX})")
#: "1420 N Main St", "22 Oak Ridge Dr. Apt 4"
_NUMBERED = re.compile(rf"\b\d{{1,6}}[A-Z]?\s+{_STREET}(?:\s*,?\s*(?:Apt|Unit|Suite|Ste|#)\.?\s*\w+)?")
#: Address-part labels of usaddress that may follow a house number.
_STREET_LABELS = frozenset({
    "StreetNamePreDirectional", "StreetNamePreModifier", "StreetNamePreType", "StreetName",
    "StreetNamePostType", "StreetNamePostDirectional", "OccupancyType", "OccupancyIdentifier"})
_TOKEN_STRIP = ".,;:!?()\"'"


def _tokens_with_offsets(text: str, tokens: list[tuple[str, str]]) -> list[tuple[str, str, int, int]]:
    out, cursor = [], 0
    for token, label in tokens:
        at = text.find(token, cursor)
        if at < 0:
            continue
        out.append((token, label, at, at + len(token)))
        cursor = at + len(token)
    return out


def _usaddress_spans(text: str) -> Iterator[tuple[int, int]]:
    """usaddress tags every token of any text as some address part, so its labels alone
    prove nothing. The rule: a run is an address only when a house number (digits) is
    followed, within five street-part tokens, by a street type from the USPS list (or a
    numbered road such as "Highway 12"), all tagged as street parts.

    A line with no digit, or with no word from the suffix list, cannot meet the rule, so it is
    not tagged at all (:func:`_may_hold_address`): the tagger is the guard's dearest step, and
    most outreach has no street type in it."""
    for line_start, line in _lines(text):
        if not _may_hold_address(line):
            continue
        try:
            tagged = usaddress.parse(line)
        except Exception:  # noqa: BLE001 - the tagger may choke on odd text; the patterns stay
            continue
        tokens = _tokens_with_offsets(line, tagged)
        for i, (token, label, start, _end) in enumerate(tokens):
            if label != "AddressNumber" or not re.fullmatch(r"\d{1,6}[A-Za-z]?", token):
                continue
            end = None
            for j in range(i + 1, min(i + 7, len(tokens))):
                word, word_label, _s, word_end = tokens[j]
                if word_label not in _STREET_LABELS:
                    break
                bare = word.strip(_TOKEN_STRIP).lower()
                if word_label == "StreetNamePostType" and bare in _SUFFIX_SET:
                    end = word_end - (len(word) - len(word.rstrip(",;:!?)")))
                    break
            if end is not None and _capitalised_street(line[start:end]):
                yield line_start + start, line_start + end


_DIGIT = re.compile(r"\d")
_ASCII_WORD = re.compile(r"[a-z]+")


def _may_hold_address(line: str) -> bool:
    """Whether :func:`_usaddress_spans`' rule could hold for ``line``: it needs a house number
    (a token of digits) and a street type from :data:`SUFFIXES` (ASCII letters, compared in
    lower case after the token's punctuation is stripped, so always a whole run of letters of
    the lowered line: the Kelvin sign lowers to "k")."""
    return _DIGIT.search(line) is not None and any(
        word in _SUFFIX_SET for word in _ASCII_WORD.findall(line.lower()))


def _capitalised_street(span: str) -> bool:
    """"12 dispatchers work every shift" is tagged as a street by usaddress; a real street
    name is written with capitals (or is a numbered street such as 5th)."""
    words = span.split()[1:-1]
    return bool(words) and all(w[0].isupper() or re.match(r"\d", w) for w in words)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    for piece in re.split(r"(\n+|(?<=[.!?])\s+(?=[A-Z]))", text):
        if piece and not piece.isspace():
            yield start, piece
        start += len(piece)


def _normal_address(value: str) -> str:
    words = re.sub(r"[^\w\s]", " ", value.lower()).split()
    canonical = {"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
                 "lane": "ln", "boulevard": "blvd", "court": "ct", "place": "pl", "north": "n",
                 "south": "s", "east": "e", "west": "w", "highway": "hwy", "suite": "ste",
                 "parkway": "pkwy", "circle": "cir", "terrace": "ter"}
    return " ".join(canonical.get(w, w) for w in words)


def find_addresses(text: str, config: GuardConfig) -> Iterator[Finding]:
    spans = list(_usaddress_spans(text))
    for pattern in (_NUMBERED, _INTERSECTION, _CORNER, _BLOCK):
        spans.extend(m.span() for m in pattern.finditer(text))
    allowed = [_normal_address(a) for a in config.allowed_addresses]
    for start, end in spans:
        words = text[start:end].rstrip(" .,")
        end = start + len(words)
        normal = _normal_address(words)
        if any(normal and (normal in a or a in normal) for a in allowed if a):
            continue
        yield finding("address", text, start, end)


# --- dates of birth --------------------------------------------------------------------------

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?"
         rf"\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|(?:19|20)\d{{2}}-\d{{2}}-\d{{2}})")
_DOB = re.compile(
    rf"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on)?|"
    rf"b\.)\s*[:#-]?\s*{_DATE}")


def find_dates_of_birth(text: str, config: GuardConfig) -> Iterator[Finding]:
    for match in _DOB.finditer(text):
        yield finding("date_of_birth", text, match.start(), match.end())


# --- incident, case and CAD numbers ----------------------------------------------------------


def find_incident_numbers(text: str, config: GuardConfig) -> Iterator[Finding]:
    for pattern in config.incident_patterns:
        for match in pattern.finditer(text):
            if match.end() > match.start():
                yield finding("incident_number", text, match.start(), match.end())


# --- license plates --------------------------------------------------------------------------

_PLATE_WORD = re.compile(
    r"(?i)\b(?:licen[cs]e\s+plates?|plates?|tags?|licen[cs]e|registration|reg\.)"
    r"(?:\s+(?:number|no\.?|#))?(?:\s+(?:reading|of|is|was|shows?))?\s*[,:#]?\s*")
_PLATE = re.compile(r"[\"'“]?([A-Z0-9]{1,8}(?:[- ·][A-Z0-9]{1,5})?)\b[\"'”]?")


def _plate_shape(value: str) -> bool:
    bare = re.sub(r"[- ·]", "", value)
    if not 3 <= len(bare) <= 8:
        return False
    has_digit = any(c.isdigit() for c in bare)
    has_letter = any(c.isalpha() for c in bare)
    return (has_digit and has_letter) or (has_digit and len(bare) >= 5 and not
                                           re.fullmatch(r"(?:19|20)\d{2}", bare))


def find_plates(text: str, config: GuardConfig) -> Iterator[Finding]:
    """A plate-shaped token (letters and digits) right after a word that says it is a plate;
    plate-shaped tokens elsewhere ("I-94", "4K", "24/7") are left alone. A state before the
    plate word ("Wisconsin plate ABC-1234") is part of the finding's context, not its words."""
    for word in _PLATE_WORD.finditer(text):
        match = _PLATE.match(text, word.end())
        if match is None:
            # "plate 1 of 2"-style prose, or a state name between: "tag Wisconsin ABC1234"
            state = re.match(r"[A-Z][a-z]+\s+", text[word.end():])
            if state is None:
                continue
            match = _PLATE.match(text, word.end() + state.end())
            if match is None:
                continue
        value = match.group(1)
        if value and _plate_shape(value) and value.upper() == value:
            yield finding("license_plate", text, match.start(1), match.end(1))


# --- e-mail addresses ------------------------------------------------------------------------

_EMAIL = re.compile(r"(?i)(?<![\w.+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")


def find_emails(text: str, config: GuardConfig) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match.group(0).rsplit("@", 1)[1].lower()
        if any(domain == d or domain.endswith("." + d) for d in config.allowed_domains):
            continue
        yield finding("email", text, match.start(), match.end())


# --- a person's name next to an incident or medical word ------------------------------------

#: Words that put a person in a call: their condition, what happened to them, what they did.
INCIDENT_WORDS = (
    "overdose overdosed overdosing od'd suicide suicidal seizure seizures seizing stroke "
    "heart attack cardiac arrest unresponsive unconscious not breathing choking drowned drowning "
    "shot shooting stabbed stabbing assaulted assault raped rape abused abuse domestic "
    "arrested arrest charged jailed crash crashed collision wreck injured injuries hurt "
    "killed died dead death deceased fatal fatally victim patient transported hospitalized "
    "hospital icu missing intoxicated drunk dui owi dwi fentanyl narcan naloxone "
    "burned burns fell fall pregnant labor miscarriage psychiatric crisis"
).split()
_MULTI = ("heart attack", "cardiac arrest", "not breathing")
_INCIDENT = re.compile(
    r"(?i)\b(?:" + "|".join(re.escape(w) for w in sorted(
        set(INCIDENT_WORDS) - {w for m in _MULTI for w in m.split()} | set(_MULTI),
        key=len, reverse=True)) + r")\b|\b(?:OD|DUI|OWI|DWI|ICU)\b")
_INCIDENT_SET = frozenset(INCIDENT_WORDS)
#: Words before a name that make it a member of staff or an official, named on purpose.
TITLES = frozenset((
    "dispatcher telecommunicator telecommunicators officer deputy sgt sergeant lt lieutenant "
    "captain capt chief director supervisor trooper firefighter paramedic emt detective "
    "commissioner mayor sheriff manager coordinator specialist dr cpl corporal major "
    "operator trainer instructor senator representative governor judge councilmember "
    "alderman alder").split())
#: Capitalised words that are not first names: sentence starters, places, calendar, agency words.
NOT_NAMES = frozenset((
    "a an the this that these those our we you your i it its they their he she his her "
    "thank thanks happy join meet congratulations congrats welcome please call text today "
    "tonight yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday "
    "january february march april may june july august september october november december "
    "county city town village state police fire sheriff's sheriff dispatch center centre "
    "department emergency communications public safety national week telecommunicators "
    "ems rescue medical services service office team staff unit district north south east "
    "west street avenue road drive lane highway park lake river hall school high middle "
    "elementary hospital memorial general saint st mount mt new old great first second "
    "remember reminder know if when while after before during at on in for from with by "
    "and or but so as to of no yes not all every each some any more most many much "
    "stay keep be get make do don't never always here there what why how who where which "
    "learn follow share like visit see read watch help save check report tip tips "
    "mental health crisis line lifeline suicide prevention overdose awareness narcan "
    "american red cross heart association fentanyl opioid safety month day night "
    "just one two three four five six seven eight nine ten").split())

_NAME_WORD = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
#: A run of capitalised words (a middle initial allowed), possibly possessive.
_CAPITAL_RUN = re.compile(rf"\b{_NAME_WORD}(?:\s+(?:[A-Z]\.\s+)?{_NAME_WORD})*(?:['’]s\b)?")
_HONORIFIC = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+{_NAME_WORD}(?:['’]s\b)?")
#: How many words may stand between the name and the incident word (same sentence).
NEAR_WORDS = 6


def _bare(word: str) -> str:
    word = word.lower()
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _names(text: str) -> Iterator[tuple[int, int]]:
    """People's names: "Mr. Daniels", or two or three capitalised words that are not
    sentence starters, places, calendar or agency words, and not a title's staff member."""
    for match in _HONORIFIC.finditer(text):
        yield match.start(), match.end()
    for run in _CAPITAL_RUN.finditer(text):
        words = list(re.finditer(r"[A-Za-z'’-]+\.?", run.group(0)))
        # drop leading and trailing words that cannot be part of a name ("Victim", "Thanks")
        while words and (_bare(words[0].group(0)) in NOT_NAMES or
                         _bare(words[0].group(0)) in _INCIDENT_SET or
                         _bare(words[0].group(0)) in TITLES):
            words.pop(0)
        while words and (_bare(words[-1].group(0)) in NOT_NAMES or
                         _bare(words[-1].group(0)) in _INCIDENT_SET):
            words.pop()
        full = [w for w in words if not re.fullmatch(r"[A-Z]\.", w.group(0))]
        if not 2 <= len(full) <= 3 or any(_bare(w.group(0)) in NOT_NAMES for w in full):
            continue
        start, end = run.start() + words[0].start(), run.start() + words[-1].end()
        before = re.findall(r"[A-Za-z]+", text[max(0, start - 30):start])
        if before and before[-1].lower() in TITLES:
            continue
        yield start, end


def _same_sentence(text: str, start: int, end: int) -> bool:
    return not re.search(r"[.!?;\n]\s", text[start:end])


#: How far (in characters) an incident word is looked for around a name.
NEAR_CHARS = 80


def find_names_with_incidents(text: str, config: GuardConfig) -> Iterator[Finding]:
    incidents = [m.span() for m in _INCIDENT.finditer(text)]
    if not incidents:
        return
    starts = [s for s, _ in incidents]
    for start, end in _names(text):
        # only the incident words close by (a long text has many of both)
        low = bisect.bisect_left(starts, start - NEAR_CHARS)
        high = bisect.bisect_right(starts, end + NEAR_CHARS)
        for i_start, i_end in incidents[low:high]:
            if i_start >= end:
                between = text[end:i_start]
            elif i_end <= start:
                between = text[i_end:start]
            else:
                continue
            if len(between.split()) > NEAR_WORDS or not _same_sentence(text, min(end, i_end),
                                                                       max(start, i_start)):
                continue
            yield finding("name_with_incident", text, min(start, i_start), max(end, i_end))
            break


DETECTORS = (find_phones, find_addresses, find_dates_of_birth, find_incident_numbers,
             find_plates, find_emails, find_names_with_incidents)
