"""Row ids as clients send them: whole numbers a database column can hold, nothing else.

``"²"`` passes ``str.isdigit()`` but not ``int()``, SQLite's integers stop at 2⁶³ − 1 and
PostgreSQL's ``integer`` id columns at 2³¹ − 1, so a loose check turns a typo into an error on
our side. Every id from outside goes through :func:`to_id`; anything it refuses is "no such
row" to the caller.
"""

from __future__ import annotations

from typing import Any

#: The largest id every backend stores: the id columns are ``INTEGER``, which is 32 bits on
#: PostgreSQL (and 64 on SQLite).
MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


def to_id(raw: Any) -> int | None:
    """``raw`` as a positive id (an int, or a string of ASCII digits), or None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > _MAX_DIGITS:
            return None
        value = int(text)
    else:
        return None
    return value if 1 <= value <= MAX_ID else None
