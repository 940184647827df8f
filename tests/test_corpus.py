"""The labelled corpus (tests/corpus/): fails when a target of issue 4 regresses. Timing is in benchmarks/classify.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))

from score import TARGET_KINDS, load, score  # noqa: E402


def test_corpus_size_and_targets() -> None:
    pairs = load()
    quiet = [p for p in pairs if not p["expected"]]
    assert len(pairs) - len(quiet) >= 200 and len(quiet) >= 50
    result = score(pairs)
    for kind in TARGET_KINDS:
        assert result.recall(kind) >= 0.99, (kind, result.recall(kind), result.failures)
        assert result.precision(kind) >= 0.98, (kind, result.precision(kind), result.failures)
    assert result.noise_changes == 0, result.failures
    assert result.stealth_wrong == 0, result.failures
