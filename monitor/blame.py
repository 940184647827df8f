"""Which version gave each sentence of an article its present wording; a pure function.

    blame(versions) -> list[BlameLine]

Versions are compared one after the other with the same alignment as the diff
(`monitor.diff.diff_articles`): a sentence that is equal in the next version (same normal form,
whether its paragraph stayed, moved, was split or merged) keeps its origin; a sentence that was
added or changed in any way, a typo fix included, takes the version of that edit. Noise paragraphs
(ad labels, related links, timestamps; see `monitor.diff.is_noise`) are not blamed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.diff import diff_articles, is_noise, normal_form, split_sentences
from monitor.models import Article


@dataclass(frozen=True)
class BlameLine:
    """One sentence of the latest version: its paragraph (index into the latest version's
    paragraphs), its text, and the index into `versions` of the version that gave it this wording."""

    paragraph: int
    sentence: str
    version_index: int


def blame(versions: Sequence[Article]) -> list[BlameLine]:
    """Every sentence of the last of `versions` (oldest first) with the version it comes from."""
    if not versions:
        return []
    # origins[p] = [(sentence, version index)] for paragraph p of the current version
    origins = [[(s, 0) for s in split_sentences(p)] for p in versions[0].paragraphs]
    for index in range(1, len(versions)):
        origins = _step(versions[index - 1], versions[index], origins, index)
    last = versions[-1].paragraphs
    return [
        BlameLine(p, sentence, origin)
        for p, lines in enumerate(origins)
        if not is_noise(last[p])
        for sentence, origin in lines
    ]


def _step(old: Article, new: Article, origins: list[list[tuple[str, int]]], index: int) -> list[list[tuple[str, int]]]:
    # Where each old sentence's wording came from, by (old paragraph, normal form) and by form alone.
    by_paragraph: dict[tuple[int, str], list[int]] = defaultdict(list)
    by_text: dict[str, list[int]] = defaultdict(list)
    for p, lines in enumerate(origins):
        for sentence, origin in lines:
            key = normal_form(sentence)
            by_paragraph[(p, key)].append(origin)
            by_text[key].append(origin)

    def origin_of(paragraph: int | None, sentence: str) -> int:
        key = normal_form(sentence)
        found = by_paragraph.get((paragraph, key)) if paragraph is not None else None
        if found:
            return found[0]
        found = by_text.get(key)
        return found[0] if found else index

    pieces: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for edit in diff_articles(old, new).paragraphs:
        j = edit.after_index
        if j is None:
            continue
        if not edit.sentences:  # equal or moved unchanged: every sentence keeps its origin
            for sentence in split_sentences(new.paragraphs[j]):
                pieces[j].append((sentence, origin_of(edit.before_index, sentence)))
            continue
        for sentence in edit.sentences:
            if sentence.after is None:
                continue
            if sentence.action == "equal" and sentence.before is not None:
                pieces[j].append((sentence.after, origin_of(edit.before_index, sentence.before)))
            elif sentence.action == "added":  # a sentence moved from elsewhere keeps its origin
                pieces[j].append((sentence.after, origin_of(None, sentence.after)))
            else:
                pieces[j].append((sentence.after, index))
    result = []
    for j, paragraph in enumerate(new.paragraphs):
        sentences = split_sentences(paragraph)
        lines = pieces.get(j, [])
        if [s for s, _ in lines] != sentences:
            # Not aligned (a noise paragraph) or pieces out of order: match by text, else new here.
            known = {normal_form(s): o for s, o in lines}
            lines = [(s, known.get(normal_form(s), origin_of(None, s) if not lines else index)) for s in sentences]
        result.append(lines)
    return result
