"""A/B headline tests: a headline that keeps alternating among variants already seen."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.diff import normal_form

MAX_VARIANTS = 4


def headline_test(history: Sequence[str | None], new: str | None) -> tuple[str, ...] | None:
    """The variants of an A/B headline test, or None.

    `history` holds the headlines of the previous versions, oldest first; `new` is the latest. It is
    a test when `new` differs from the previous headline but returns to one seen before (A, B, A or
    A, B, A, B); the variants are the distinct headlines since the earlier occurrence of `new`, in
    order of first appearance in the whole history, as first written. Missing headlines (None) are skipped; more than
    MAX_VARIANTS variants is an article being rewritten, not a test. Headlines are compared
    ignoring whitespace, quote style and entities.
    """
    seen = [h for h in history if h]
    if not new or not seen:
        return None
    keys = [normal_form(h) for h in seen]
    key = normal_form(new)
    if key == keys[-1] or key not in keys[:-1]:
        return None
    start = len(keys) - 1 - keys[::-1].index(key, 1)  # the last earlier occurrence of `new`
    window = set(keys[start:])
    if not 2 <= len(window) <= MAX_VARIANTS:
        return None
    variants: dict[str, str] = {}
    for k, headline in zip(keys, seen):  # in order of first appearance in the whole history
        if k in window:
            variants.setdefault(k, headline)
    return tuple(variants.values())
