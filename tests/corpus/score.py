"""Score classify() against the labelled corpus: per-kind precision and recall, noise changes.

Used by tests/test_corpus.py and benchmarks/classify.py. A reported change matches an expected one
of the same kind and action (any action for `text`, whose sentence-or-paragraph grain is a matter of
alignment), with, for quotes, the same speaker (case-insensitive; a surname alone matches the full
name) and, for figures, the same before and after values (case, spaces and thousands separators
ignored).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from monitor.classify import classify, is_stealth
from monitor.diff import diff_articles
from monitor.models import Article, Change

PAIRS = Path(__file__).resolve().parent / "pairs"
TARGET_KINDS = ("headline", "quote", "figure", "correction")


def load() -> list[dict]:
    pairs: list[dict] = []
    for path in sorted(PAIRS.glob("*.json")):
        pairs.extend(json.loads(path.read_text(encoding="utf-8")))
    return pairs


def article(data: dict) -> Article:
    return Article(
        headline=data.get("headline"),
        standfirst=data.get("standfirst"),
        byline=data.get("byline"),
        modified=data.get("modified"),
        paragraphs=list(data["paragraphs"]),
    )


def _value(text: str | None) -> str | None:
    return None if text is None else re.sub(r"(?<=\d),(?=\d{3})|\s+", "", text.lower())


def _speaker(text: str | None) -> str:
    return re.sub(r"^(the|a|an)\s+", "", (text or "").lower().strip())


def matches(expected: dict, change: Change) -> bool:
    if change.kind != expected["kind"]:
        return False
    if change.kind != "text" and change.action != expected["action"]:
        return False
    if change.kind == "quote":
        a, b = _speaker(expected.get("speaker")), _speaker(change.speaker)
        if not (a == b or (a and b and (a.endswith(" " + b) or b.endswith(" " + a)))):
            return False
    if change.kind == "figure":
        if _value(expected.get("before_value")) != _value(change.before_value):
            return False
        if _value(expected.get("after_value")) != _value(change.after_value):
            return False
    return True


@dataclass
class Score:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    noise_pairs: int = 0
    noise_changes: int = 0
    stealth_wrong: int = 0
    pairs: int = 0
    failures: list[str] = field(default_factory=list)

    def precision(self, kind: str) -> float:
        reported = self.tp[kind] + self.fp[kind]
        return self.tp[kind] / reported if reported else 1.0

    def recall(self, kind: str) -> float:
        expected = self.tp[kind] + self.fn[kind]
        return self.tp[kind] / expected if expected else 1.0


def score(pairs: list[dict] | None = None) -> Score:
    result = Score()
    for pair in pairs if pairs is not None else load():
        old, new = article(pair["old"]), article(pair["new"])
        changes = classify(diff_articles(old, new))
        result.pairs += 1
        remaining = list(changes)
        missed = []
        for expected in pair["expected"]:
            hit = next((c for c in remaining if matches(expected, c)), None)
            if hit is None:
                result.fn[expected["kind"]] += 1
                missed.append(expected)
            else:
                remaining.remove(hit)
                result.tp[expected["kind"]] += 1
        for change in remaining:
            result.fp[change.kind] += 1
        if not pair["expected"]:
            result.noise_pairs += 1
            result.noise_changes += len(changes)
        if is_stealth(changes, old, new) != pair["stealth"]:
            result.stealth_wrong += 1
            result.failures.append(f"{pair['id']}: stealth should be {pair['stealth']}")
        if missed or remaining:
            lines = [f"{pair['id']}:"]
            lines += [f"  missed   {m}" for m in missed]
            lines += [
                f"  extra    {c.kind} {c.action} speaker={c.speaker!r} values={c.before_value!r}->{c.after_value!r} | {c.context[:90]!r}"
                for c in remaining
            ]
            result.failures.append("\n".join(lines))
    return result
