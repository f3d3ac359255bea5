"""The guard's floors on the labelled corpus (bench/guard.py prints the same figures)."""

from __future__ import annotations

from pathlib import Path

from content_queue.guard.evaluate import evaluate, load_corpus

CORPUS = Path(__file__).resolve().parents[3] / "data" / "guard_corpus.yaml"


def test_corpus_is_large_and_half_clean() -> None:
    _config, entries = load_corpus(CORPUS)
    clean = sum(1 for kind, _ in entries if kind is None)
    assert len(entries) >= 200 and clean >= 100 and len(entries) - clean >= 100


def test_guard_meets_its_recall_and_precision_floors() -> None:
    report = evaluate(*load_corpus(CORPUS))
    assert report.overall.recall >= 0.95, report.misses
    assert report.overall.precision >= 0.90, report.false_alarms
    for kind, score in report.kinds.items():
        assert score.recall >= 0.80, (kind, report.misses)
