"""Precision and recall of classify() per kind over the labelled corpus, changes reported on the
no-change pairs, and the median time to diff + classify a pair of 3,000-word versions.

    .venv/bin/python benchmarks/classify.py

The long versions are built at run time from the corpus texts: the articles' old versions one
after another (repeated until 3,000 words), against the same with every article's first labelled
edit applied, one paragraph moved and one removed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

from score import TARGET_KINDS, article, load, score  # noqa: E402

from monitor.classify import classify  # noqa: E402
from monitor.diff import diff_articles  # noqa: E402
from monitor.models import Article  # noqa: E402

RUNS = 21


def long_pair(pairs: list[dict], words: int = 3000) -> tuple[Article, Article]:
    firsts = [p for p in pairs if p["id"].endswith("/edit-0")]
    old: list[str] = []
    new: list[str] = []
    count = 0
    while count < words:
        for pair in firsts:
            old.extend(pair["old"]["paragraphs"])
            new.extend(pair["new"]["paragraphs"])
            count += sum(len(p.split()) for p in pair["old"]["paragraphs"])
            if count >= words:
                break
    new.insert(len(new) // 2, new.pop(3))
    del new[len(new) // 3]
    return article({"headline": "Long", "paragraphs": old}), article({"headline": "Long", "paragraphs": new})


def main() -> None:
    pairs = load()
    result = score(pairs)
    quiet = sum(1 for p in pairs if not p["expected"])
    print(f"corpus: {len(pairs)} pairs ({len(pairs) - quiet} with changes, {quiet} with noise only)")
    print(f"{'kind':<12}{'precision':>10}{'recall':>8}{'tp':>6}{'fp':>5}{'fn':>5}")
    kinds = sorted(set(result.tp) | set(result.fp) | set(result.fn), key=lambda k: (k not in TARGET_KINDS, k))
    for kind in kinds:
        print(
            f"{kind:<12}{result.precision(kind):>10.3f}{result.recall(kind):>8.3f}"
            f"{result.tp[kind]:>6}{result.fp[kind]:>5}{result.fn[kind]:>5}"
        )
    print(f"changes reported on the {result.noise_pairs} no-change pairs: {result.noise_changes}")
    print(f"stealth verdicts wrong: {result.stealth_wrong} of {result.pairs}")
    old, new = long_pair(pairs)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        classify(diff_articles(old, new))
        times.append((time.perf_counter() - start) * 1000)
    count = sum(len(p.split()) for p in old.paragraphs)
    print(f"diff + classify, {count:,}-word versions ({len(old.paragraphs)} paragraphs): median {statistics.median(times):.1f} ms over {RUNS} runs")
    for failure in result.failures:
        print(failure)


if __name__ == "__main__":
    main()
