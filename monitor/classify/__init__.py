"""Turn an `ArticleDiff` into `Change`s a reader cares about.

Kinds, in the order they are reported: `headline`, `standfirst`, `byline` (one each, whole field),
then in reading order per paragraph: `move`, and per sentence `correction`, `quote`, `figure`,
`text` and `minor`.

One edited sentence may give several changes but never redundant ones:
    - a correction note (a sentence or paragraph opening "Correction:", "An earlier version of this
      article ...", ...) gives one `correction` and nothing else;
    - a spelling, punctuation or case fix gives one `minor`;
    - otherwise each reworded, added or removed quotation gives a `quote`, each changed, added or
      removed figure a `figure`, and a `text` change is added only when words outside the quotes and
      figures (and figure qualifiers such as "about") changed too. A change that is only minor beside
      a substantive one is dropped.
An added or removed sentence is reported by its quotations and by the figures outside them; only a
sentence with neither is `text`. An added or removed paragraph gives one `text` change for the whole
paragraph when none of its sentences carries a quotation, figure or correction, and otherwise only
those. A pure paragraph split or merge (all sentences equal) gives no change.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import TypeVar

from monitor.classify.corrections import is_correction
from monitor.classify.figures import Figure, find_figures
from monitor.classify.quotes import PRONOUNS, Quote, find_quotes
from monitor.classify.text import is_minor, mask, reworded, trim, words
from monitor.diff import split_sentences
from monitor.models import ArticleDiff, Change, FieldEdit, ParagraphEdit, SentenceEdit

__all__ = ["classify"]

T = TypeVar("T")


def classify(diff: ArticleDiff) -> list[Change]:
    """The changes in `diff`: fields first, then the body in reading order of the new version."""
    changes = [_field_change(edit) for edit in diff.fields]
    speakers = _Speakers()
    for paragraph in diff.paragraphs:
        changes.extend(_paragraph_changes(paragraph, speakers))
    return changes


class _Speakers:
    """The last named speaker in reading order, to resolve "he said" to a name.

    Texts are only queued as they are read and scanned when a pronoun needs resolving, so that the
    many unchanged paragraphs of an article cost nothing.
    """

    def __init__(self) -> None:
        self.last: str | None = None
        self.pending: list[str] = []

    def read(self, text: str | None) -> None:
        if text and ('"' in text or "'" in text):
            self.pending.append(text)

    def resolve(self, quote: Quote) -> str | None:
        if not quote.speaker or quote.speaker.lower() not in PRONOUNS:
            return quote.speaker
        for text in self.pending:
            for sentence in split_sentences(text):
                for earlier in find_quotes(sentence):
                    if earlier.speaker and earlier.speaker.lower() not in PRONOUNS:
                        self.last = earlier.speaker
        self.pending.clear()
        return self.last


def _action(before: str | None, after: str | None) -> str:
    if not before:
        return "added"
    if not after:
        return "removed"
    return "changed"


def _field_change(edit: FieldEdit) -> Change:
    action = _action(edit.before, edit.after)
    return Change(edit.field, action, edit.before, edit.after, trim(edit.after or edit.before))


def _paragraph_changes(paragraph: ParagraphEdit, speakers: _Speakers) -> list[Change]:
    if paragraph.action == "equal":
        speakers.read(paragraph.after)
        return []
    changes: list[Change] = []
    if paragraph.action == "moved":
        changes.append(
            Change("move", "changed", paragraph.before, paragraph.after, trim(paragraph.after or paragraph.before))
        )
    edited = [s for s in paragraph.sentences if s.action != "equal"]
    if edited and (is_correction(paragraph.before) or is_correction(paragraph.after)):
        before = paragraph.before if is_correction(paragraph.before) else None
        after = paragraph.after if is_correction(paragraph.after) else None
        changes.append(Change("correction", _action(before, after), before, after, trim(after or before)))
        return changes
    per_sentence: list[list[Change]] = []
    for sentence in paragraph.sentences:
        per_sentence.append(_sentence_changes(sentence, speakers))
        speakers.read(sentence.after or sentence.before)
    whole = paragraph.action in ("added", "removed")
    if whole and all(c.kind == "text" for found in per_sentence for c in found):
        context = trim(paragraph.after or paragraph.before)
        changes.append(Change("text", paragraph.action, paragraph.before, paragraph.after, context))
    else:
        changes.extend(c for found in per_sentence for c in found if not (whole and c.kind == "text"))
    return changes


def _sentence_changes(edit: SentenceEdit, speakers: _Speakers) -> list[Change]:
    if edit.action == "equal":
        return []
    before, after = edit.before, edit.after
    context = trim(after or before)
    if is_correction(before) or is_correction(after):
        return [Change("correction", _action(before, after), before, after, context)]
    if before is None or after is None:
        return _one_sided(edit.action, before or after or "", speakers)
    figures_b, figures_a = find_figures(before), find_figures(after)
    if is_minor(before, after) and [f.key for f in figures_b] == [f.key for f in figures_a]:
        return [Change("minor", "changed", before, after, context)]

    quotes_b, quotes_a = find_quotes(before), find_quotes(after)
    found: list[tuple[int, Change]] = []
    minor = False
    gone: list[tuple[int, int]] = []  # spans of quotes added or removed, whose figures they carry
    new: list[tuple[int, int]] = []
    for qb, qa in _align(quotes_b, quotes_a, lambda q: " ".join(words(_mask_figures(q.text)))):
        if qb and qa:
            if is_minor(qb.text, qa.text):
                minor = True
                continue
            found.append((qa.start, _quote("changed", qb, qa, context, speakers)))
        elif qa:
            new.append((qa.start, qa.end))
            found.append((qa.start, _quote("added", None, qa, context, speakers)))
        elif qb:
            gone.append((qb.start, qb.end))
            found.append((qb.start, _quote("removed", qb, None, context, speakers)))
    for fb, fa in _align(figures_b, figures_a, lambda f: f.key):
        if (fa and not fb and _inside(fa, new)) or (fb and not fa and _inside(fb, gone)):
            continue
        position = fa.start if fa else fb.start if fb else 0
        found.append(
            (
                position,
                Change(
                    "figure", _action(fb and fb.value, fa and fa.value), before, after, context,
                    before_value=fb.value if fb else None, after_value=fa.value if fa else None,
                ),
            )
        )
    changes = [change for _, change in sorted(found, key=lambda item: item[0])]

    rest_b = mask(before, [(q.start, q.end) for q in quotes_b] + [(f.start, f.end) for f in figures_b])
    rest_a = mask(after, [(q.start, q.end) for q in quotes_a] + [(f.start, f.end) for f in figures_a])
    if reworded(rest_b, rest_a):
        if is_minor(rest_b, rest_a):
            minor = True
        else:
            changes.append(Change("text", "changed", before, after, context))
    if not changes:
        # Something changed that no detector names (a qualifier, word order): say so plainly.
        kind = "minor" if minor or is_minor(before, after) else "text"
        changes.append(Change(kind, "changed", before, after, context))
    return changes


def _one_sided(action: str, sentence: str, speakers: _Speakers) -> list[Change]:
    """An added or removed sentence: its quotations and the figures outside them, else `text`."""
    before, after = (None, sentence) if action == "added" else (sentence, None)
    context = trim(sentence)
    quotes = find_quotes(sentence)
    found: list[tuple[int, Change]] = [
        (q.start, _quote(action, q if before else None, q if after else None, context, speakers)) for q in quotes
    ]
    spans = [(q.start, q.end) for q in quotes]
    for figure in find_figures(sentence):
        if not _inside(figure, spans):
            value_b, value_a = (None, figure.value) if action == "added" else (figure.value, None)
            change = Change("figure", action, before, after, context, before_value=value_b, after_value=value_a)
            found.append((figure.start, change))
    if not found:
        return [Change("text", action, before, after, context)]
    return [change for _, change in sorted(found, key=lambda item: item[0])]


def _quote(action: str, before: Quote | None, after: Quote | None, context: str, speakers: _Speakers) -> Change:
    quote = after or before
    assert quote is not None
    return Change(
        "quote", action, before and before.text, after and after.text, context, speaker=speakers.resolve(quote)
    )


def _align(before: list[T], after: list[T], key: Callable[[T], str]) -> list[tuple[T | None, T | None]]:
    """Order-preserving pairs of items with equal keys skipped; unequal runs pair up by position."""
    pairs: list[tuple[T | None, T | None]] = []
    matcher = SequenceMatcher(None, [key(x) for x in before], [key(x) for x in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = before[i1:i2], after[j1:j2]
        common = min(len(olds), len(news))
        pairs.extend(zip(olds[:common], news[:common]))
        pairs.extend((x, None) for x in olds[common:])
        pairs.extend((None, y) for y in news[common:])
    return pairs


def _mask_figures(text: str) -> str:
    return mask(text, [(f.start, f.end) for f in find_figures(text)])


def _inside(figure: Figure, spans: list[tuple[int, int]]) -> bool:
    return any(start <= figure.start and figure.end <= end for start, end in spans)
