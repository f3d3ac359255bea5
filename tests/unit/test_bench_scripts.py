"""Every bench script loads (its imports still exist) and answers --help: `make bench` must not
find a script broken by a rename elsewhere (claim_scale.py imported a helper removed from
scheduler.tick, and nothing noticed until it was run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py"))


def test_there_are_bench_scripts() -> None:
    assert {"burst.py", "precision.py", "claim_scale.py", "pages.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_bench_script_loads_and_explains_itself(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=BENCH.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
