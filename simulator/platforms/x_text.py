"""X's text rules as the simulator applies them: weighted length, t.co links, escaping.

``weighted_length`` is a simplified twitter-text v3 count (the simulator may not import
the project's rules): text is NFC-normalised; a link counts 23; code points in
U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 count 1, all others 2; an
emoji's modifiers (variation selectors, skin tones, tags, keycap, zero-width-joined
parts, the second regional indicator of a flag) count 0, so a whole emoji counts 2.
Links are ``http(s)://…`` or a bare domain under a common TLD (twitter-text knows every TLD).

``wire_text`` is what X answers instead of the posted text: every link is replaced by a
``https://t.co/…`` link, a post with media gets one more t.co link at the end, and ``&``,
``<``, ``>`` come back HTML-escaped. ``entities.urls`` says what each t.co link stands for.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

MAX_WEIGHTED = 280
URL_WEIGHT = 23
URL_RE = re.compile(
    r"https?://[^\s]+"
    r"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:com|org|net|gov|edu|us|io|co|info|ly|me|tv|news|app)"
    r"(?:/[^\s]*)?(?![\w])",
    re.IGNORECASE,
)
LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
ZWJ = 0x200D
MODIFIERS = {0xFE0E, 0xFE0F, 0x20E3}


def _is_modifier(cp: int) -> bool:
    return cp in MODIFIERS or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _is_regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _weight(cp: int) -> int:
    return 1 if any(low <= cp <= high for low, high in LIGHT) else 2


def _plain_weight(text: str) -> int:
    total, joining, flag_open = 0, False, False
    for ch in text:
        cp = ord(ch)
        if joining:  # the part after a zero-width joiner belongs to the emoji before it
            joining = False
            continue
        if _is_modifier(cp):
            continue
        if cp == ZWJ and total:
            joining = True
            continue
        if _is_regional(cp):
            if flag_open:
                flag_open = False
                continue
            flag_open = True
        else:
            flag_open = False
        total += _weight(cp)
    return total


def weighted_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for match in URL_RE.finditer(text):
        total += _plain_weight(text[last:match.start()]) + URL_WEIGHT
        last = match.end()
    return total + _plain_weight(text[last:])


def _tco(seed: str) -> str:
    return "https://t.co/" + hashlib.sha256(seed.encode()).hexdigest()[:10]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wire_text(post_id: str, text: str, media_keys: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """The text X returns for a post, and its ``entities.urls``."""
    out, urls, last = "", [], 0
    for index, match in enumerate(URL_RE.finditer(text)):
        out += _escape(text[last:match.start()])
        short = _tco(f"{post_id}:{index}")
        expanded = match.group(0)
        if not expanded.lower().startswith(("http://", "https://")):
            expanded = "http://" + expanded
        urls.append({"start": len(out), "end": len(out) + len(short), "url": short,
                     "expanded_url": expanded, "display_url": match.group(0).split("://")[-1][:30]})
        out += short
        last = match.end()
    out += _escape(text[last:])
    if media_keys:
        short = _tco(f"{post_id}:media")
        out = f"{out} {short}" if out else short
        for key in media_keys:
            urls.append({"start": len(out) - len(short), "end": len(out), "url": short,
                         "expanded_url": f"https://x.com/i/status/{post_id}/photo/1",
                         "display_url": f"pic.x.com/{post_id[-10:]}", "media_key": key})
    return out, urls
