"""The days a kit's posts fall on: National Public Safety Telecommunicators Week (the second
full week of April, Sunday to Saturday) and the plain "from this day" anchor."""

from __future__ import annotations

from datetime import date, timedelta

SUNDAY = 6  # date.weekday()


def npstw_week(year: int) -> tuple[date, date]:
    """The Sunday and Saturday of NPSTW in ``year``.

    April's first full Sunday-to-Saturday week starts on its first Sunday (any week starting
    on April 1–7 ends inside April), so the second starts seven days later: 2026 → April 12–18,
    2027 → April 11–17, 2029 (April 1 is a Sunday) → April 8–14.
    """
    april_first = date(year, 4, 1)
    first_sunday = april_first + timedelta(days=(SUNDAY - april_first.weekday()) % 7)
    sunday = first_sunday + timedelta(days=7)
    return sunday, sunday + timedelta(days=6)


def next_npstw_year(today: date) -> int:
    """The year of the next NPSTW that has not started yet on ``today``."""
    sunday, _ = npstw_week(today.year)
    return today.year if today < sunday else today.year + 1
