"""The long-running processes freeze what they built at start-up, so a full collection walks
only what was made since (the precision bench's clusters of late posts began at full
collections of 66-197 ms in the worker)."""

from __future__ import annotations

import gc

from tenfour import gc_tuning


def test_settle_freezes_what_survived_start_up_and_makes_young_collections_rarer() -> None:
    before = gc.get_threshold()
    try:
        kept = [object() for _ in range(100)]
        kept.append(kept)  # a container, tracked by the collector
        frozen = gc_tuning.settle()
        assert frozen == gc.get_freeze_count() and frozen > 0
        assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        assert not any(o is kept for o in gc.get_objects())  # out of the collector's sight

        cycle: list = []
        cycle.append(cycle)  # made later: still found and freed
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
