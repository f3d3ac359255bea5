"""URL converters: ``<int:...>`` in any route matches only ids a database can hold.

Werkzeug's ``int`` matches any run of digits, so ``/api/v1/posts/99999999999999999999`` reached
the view and overflowed SQLite's 64-bit integers (500). Replacing the app's ``int`` converter
makes every route, including the ones added later, answer 404 for such a path instead.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from content_queue.ids import MAX_ID


class BoundedIntegerConverter(IntegerConverter):
    """``int`` with ``max`` defaulting to the largest storable id (a route may still narrow it)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        if signed and min is None:
            min = -MAX_ID - 1  # noqa: A001
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
