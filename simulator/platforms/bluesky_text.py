"""Bluesky's text rules for the simulator: graphemes, byte lengths, facets, TIDs and CIDs.

The simulator may use only the standard library, so it cannot use ``regex``'s ``\\X`` (the real
UAX #29 segmentation Bluesky applies). :func:`count_graphemes` approximates it:

* a combining mark (Mn, Mc, Me), ZWNJ, a variation selector, an emoji skin-tone modifier, a tag
  character (flag subdivisions) or a Hangul medial/final jamo joins the character before it;
* ZWJ joins the character before it, and a pictographic character right after a ZWJ joins too
  (family and profession emoji);
* regional indicators pair up into one flag; CR LF is one.

Where it differs from ``\\X``: Indic conjuncts (consonant + virama + consonant, Unicode 15.1)
count as two; Prepend characters are not attached to what follows; a ZWJ between non-emoji
characters does not join them; Hangul leading jamo sequences (L L V) are not merged; a
combining mark after a control character joins it. The "pictographic" test is a range check,
not the Extended_Pictographic property.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import random
import re
import threading
import time
import unicodedata
from typing import Any

MAX_GRAPHEMES = 300
MAX_BYTES = 3000

_ZWJ = 0x200D
_PICTOGRAPHIC = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF),
                 (0x2190, 0x21FF), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3299),
                 (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
                 (0x2122, 0x2122), (0x2139, 0x2139))


def _pictographic(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _PICTOGRAPHIC)


def _extends(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or cp == 0x200C
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F
            or 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF)


def _regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def count_graphemes(text: str) -> int:
    count = 0
    previous: str | None = None
    after_zwj = False
    open_flag = False  # the current cluster is a single regional indicator
    for ch in text:
        cp = ord(ch)
        joins = previous is not None and (
            (previous == "\r" and ch == "\n")
            or cp == _ZWJ
            or _extends(ch)
            or (after_zwj and _pictographic(cp))
            or (open_flag and _regional(cp))
        )
        if joins:
            if open_flag and _regional(cp):
                open_flag = False
        else:
            count += 1
            open_flag = _regional(cp)
        after_zwj = cp == _ZWJ
        previous = ch
    return count


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


# -- facets -----------------------------------------------------------------------------------
FACET = "app.bsky.richtext.facet"
_LOOKS_LIKE_URL = re.compile(r"^(https?://\S+|[\w-]+(\.[\w-]+)+(/\S*)?)$")


def facet_problem(text: str, facets: Any, resolve_handle: Any) -> str | None:
    """Why ``facets`` do not fit ``text`` (byte ranges, features), or None when they do.

    Real PDSes only check the shape; the AppView then drops facets that do not fit. The
    simulator is stricter so a connector with wrong byte offsets fails loudly.
    """
    if facets is None:
        return None
    if not isinstance(facets, list):
        return "Record/facets must be an array"
    raw = text.encode("utf-8")
    spans: list[tuple[int, int]] = []
    for n, facet in enumerate(facets):
        where = f"Record/facets/{n}"
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict):
            return f"{where}/index must be an object"
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            return f"{where}/index must have integer byteStart and byteEnd"
        if not 0 <= start < end <= len(raw):
            return f"{where}/index {start}..{end} is outside the text ({len(raw)} bytes)"
        try:
            piece = raw[start:end].decode("utf-8")
        except UnicodeDecodeError:
            return f"{where}/index {start}..{end} splits a character (byte offsets are UTF-8)"
        features = facet.get("features")
        if not isinstance(features, list) or not features:
            return f"{where}/features must be a non-empty array"
        for feature in features:
            problem = _feature_problem(where, piece, feature, resolve_handle)
            if problem:
                return problem
        spans.append((start, end))
    spans.sort()
    for (_, end_a), (start_b, _) in itertools.pairwise(spans):
        if start_b < end_a:
            return "Record/facets overlap"
    return None


def _feature_problem(where: str, piece: str, feature: Any, resolve_handle: Any) -> str | None:
    kind = feature.get("$type") if isinstance(feature, dict) else None
    if kind == f"{FACET}#link":
        uri = feature.get("uri")
        if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
            return f"{where}: a link needs an http(s) uri"
        if not _LOOKS_LIKE_URL.match(piece):
            return None  # a labelled link ("Read more"): clients show the URL before opening it
        shown = piece if piece.startswith(("http://", "https://")) else "https://" + piece
        if shown.rstrip("/") != uri.rstrip("/") and not uri.startswith(shown.rstrip(".…")):
            return f"{where}: the linked text {piece!r} does not match {uri!r}"
        return None
    if kind == f"{FACET}#tag":
        tag = feature.get("tag")
        if not isinstance(tag, str) or not tag or len(tag.encode()) > 640:
            return f"{where}: a tag needs a tag of 1 to 640 bytes"
        if piece not in (f"#{tag}", f"＃{tag}", tag) and not (tag.startswith("$") and piece.upper() == tag):
            return f"{where}: the text {piece!r} is not the tag #{tag}"
        return None
    if kind == f"{FACET}#mention":
        did = feature.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            return f"{where}: a mention needs a did"
        if not piece.startswith("@") or resolve_handle(piece[1:]) != did:
            return f"{where}: the text {piece!r} does not mention {did}"
        return None
    return f"{where}: unknown facet feature {kind!r}"


# -- record keys and content ids --------------------------------------------------------------
_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_last_tid = 0
_CLOCK_ID = random.Random().randrange(1024)


def _encode_tid(value: int) -> str:
    out = []
    for _ in range(13):
        out.append(_B32_SORTABLE[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_tid() -> str:
    """A timestamp identifier (53-bit microseconds + 10-bit clock id), always increasing."""
    global _last_tid
    with _tid_lock:
        value = (int(time.time() * 1_000_000) << 10) | _CLOCK_ID
        value = max(value, _last_tid + 1024)
        _last_tid = value
        return _encode_tid(value)


def tid_at(seconds: float, seed: str) -> str:
    """A deterministic TID for a simulated community post made at ``seconds`` (epoch)."""
    clock = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:2], "big") & 1023
    return _encode_tid((int(seconds * 1_000_000) << 10) | clock)


def _cid(codec: int, data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    raw = bytes([0x01, codec, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def blob_cid(data: bytes) -> str:
    """CIDv1, raw codec, sha2-256, base32 — what a PDS returns for a blob (``bafkrei…``)."""
    return _cid(0x55, data)


def record_cid(record: dict[str, Any]) -> str:
    """A dag-cbor-style CIDv1 (``bafyrei…``) over the record's canonical JSON (not real CBOR)."""
    return _cid(0x71, json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
