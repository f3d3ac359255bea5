"""Precision and recall of the guard on a labelled corpus (``tests/data/guard_corpus.yaml``).

A post counts as flagged when the guard reports any finding in it. Overall: precision is the
share of flagged posts that hold something (labelled), recall the share of labelled posts
flagged. Per kind: a post labelled ``phone`` is recalled when a ``phone`` finding is reported,
and a ``phone`` finding on a post not labelled ``phone`` costs that kind's precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from content_queue.guard.config import GuardConfig, config_for
from content_queue.guard.findings import KINDS
from content_queue.guard.scan import check_text


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    overall: Score
    kinds: dict[str, Score]
    clean: int
    labelled: int
    misses: list[tuple[str, str]] = field(default_factory=list)  # (expected kind, text)
    false_alarms: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, words, text)


def load_corpus(path: Path) -> tuple[GuardConfig, list[tuple[str | None, str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    agency: dict[str, Any] = data.get("agency") or {}
    config = config_for(SimpleNamespace(
        guard_allowed_numbers=agency.get("allowed_numbers"),
        guard_allowed_addresses=agency.get("allowed_addresses"),
        guard_allowed_domains=agency.get("allowed_domains"),
        guard_patterns=agency.get("patterns")))
    entries: list[tuple[str | None, str]] = [(None, t) for t in data["clean"]]
    entries += [(item["kind"], item["text"]) for item in data["findings"]]
    return config, entries


def evaluate(config: GuardConfig, entries: list[tuple[str | None, str]]) -> Report:
    overall = Score()
    kinds = {kind: Score() for kind in KINDS}
    report = Report(overall, kinds, clean=sum(1 for k, _ in entries if k is None),
                    labelled=sum(1 for k, _ in entries if k is not None))
    for expected, text in entries:
        found = check_text(text, config)
        reported = {f.kind for f in found}
        if found and expected:
            overall.tp += 1
        elif found:
            overall.fp += 1
        elif expected:
            overall.fn += 1
        if expected:
            if expected in reported:
                kinds[expected].tp += 1
            else:
                kinds[expected].fn += 1
                report.misses.append((expected, text))
        for f in found:
            if f.kind != expected:
                kinds[f.kind].fp += 1
                report.false_alarms.append((f.kind, f.text, text))
    return report
