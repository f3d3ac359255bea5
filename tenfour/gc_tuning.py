"""Keep Python's full garbage collections short in the long-running processes.

A full (generation 2) collection stops every thread of the process while it walks every
tracked object. In the worker that was 66-197 ms about every ten seconds during the precision
bench (traced with ``gc.callbacks``), and each one made the posts due at that moment late
by that much plus the backlog behind it: the clusters of late posts began within 60 ms of a
full collection. Nearly all of what it walked was there since start-up (modules, mappers,
compiled SQL, the app's settings), never garbage.

:func:`settle` runs once a process has finished starting: one collection, then
:func:`gc.freeze` moves what survived out of the collector's sight for good (the pattern the
``gc`` documentation gives for long-lived servers), and a higher first threshold makes
collections rarer; cycles made later are still found and freed.
"""

from __future__ import annotations

import gc

#: Allocations (minus deallocations) between young collections; Python's default is 700.
YOUNG_THRESHOLD = 10_000


def settle() -> int:
    """Collect once, freeze what is left, raise the young threshold. Returns how many objects
    were frozen."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
