"""The long-running processes freeze what they built at start-up, so a full collection walks
only what was made since (the precision bench's clusters of late posts began at full
collections of 66-197 ms in the worker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run in a fresh interpreter: in the test process, other tests' threads (servers, pools) free
#: objects at any moment, and a frozen object freed between two reads of the freeze count made
#: them differ by one.
CHECK = """
import gc

from tenfour import gc_tuning

before = gc.get_threshold()
kept = [object() for _ in range(100)]
kept.append(kept)  # a container, tracked by the collector
frozen = gc_tuning.settle()
assert frozen == gc.get_freeze_count() and frozen > 0, (frozen, gc.get_freeze_count())
assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
assert gc.get_threshold()[1:] == before[1:]
assert not any(o is kept for o in gc.get_objects())  # out of the collector's sight

cycle: list = []
cycle.append(cycle)  # made later: still found and freed
del cycle
assert gc.collect() >= 1
"""


def test_settle_freezes_what_survived_start_up_and_makes_young_collections_rarer() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
