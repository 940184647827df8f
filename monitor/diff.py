"""Paragraph, sentence and word alignment of two versions of an article; pure functions.

    diff_articles   fields one to one; paragraphs aligned in four passes (below); sentences inside
                    every paired paragraph; words inside every changed sentence
    split_sentences a rule-based splitter that knows news abbreviations, initials and quotes
    word_diff       diff-match-patch over words (each distinct word mapped to one character)

Texts are compared in `normal_form` (entities, invisible characters, Unicode forms, quote styles,
whitespace and tracking parameters ignored). Noise paragraphs (`is_noise`: ad labels, related links,
"updated N minutes ago", view counts, share prompts) take no part and appear in no edit.

Paragraph passes: (1) exact matches in order, then exact matches out of order; (2) splits and
merges, found by sentences that an unmatched paragraph shares with two or more adjacent unmatched
paragraphs of the other version; (3) the remaining pairs by similarity, best first (word-level
ratio >= 0.5); (4) paired paragraphs off the longest increasing subsequence of old positions are
`moved`; (5) a lone unmatched old and a lone unmatched new paragraph between the same neighbours
pair from ratio 0.3 (a rewrite in place). Sentences pair the same way inside each paragraph pair.
Texts that quote someone are also compared by their frame, the words around the quotations, so
that a quotation reworded beyond recognition with the same attribution stays one `changed` pair.

A split is reported as one `changed` edit per new piece, each carrying the old paragraph's index and,
as `before`, the old sentences that went into that piece; a merge as one `changed` edit per old
paragraph, each carrying the new index and the new sentences that came from it. A pure split or merge
therefore has only `equal` sentence edits.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from diff_match_patch import diff_match_patch

from monitor.models import ARTICLE_FIELDS, Article, ArticleDiff, FieldEdit, ParagraphEdit, SentenceEdit, WordSpan

PARAGRAPH_RATIO = 0.5
SENTENCE_RATIO = 0.5
# One paragraph or sentence replaced by one other in the same place is a rewording from this ratio.
IN_PLACE_RATIO = 0.3
# A paragraph joins a split/merge group when this share of its sentence text came from the other side.
GROUP_SHARE = 0.3
# Paragraph similarity comparisons allowed before each free paragraph is compared with its nearest only.
MAX_PARAGRAPH_PAIRS = 600
# Fuzzy sentence look-ups for split/merge detection are skipped beyond this many comparisons.
MAX_FUZZY_COMPARISONS = 20_000
# ... and only against paragraphs at most this many places away.
FUZZY_WINDOW = 8

# Extraction already straightens quotes; this tolerates text that did not come through it. One
# character for one, so offsets found in straightened text hold in the original.
_CURLY = str.maketrans(
    {**dict.fromkeys("“”„‟«»″‶〝〞＂", '"'), **dict.fromkeys("‘’‚‛‹›′‵＇", "'")}
)
_SPACE = re.compile(r"\s+")
# Words keep inner separators so that "2,500", "3.5", "30-day" and "don't" are one token each.
_TOKEN = re.compile(r"\s+|\w+(?:[.,'’\-]\w+)*|\S")


def straighten(text: str) -> str:
    """`text` with every quotation-mark variant as a straight `"` or `'`, offsets unchanged."""
    return text.translate(_CURLY)


def normal_form(text: str) -> str:
    """The form two texts are compared in: entities decoded, Unicode compatibility forms folded,
    invisible characters dropped, tracking parameters cut from links, quotes straightened and
    whitespace collapsed. Texts with the same normal form are the same to a reader."""
    return _key_cached(text)


def _key(text: str) -> str:
    """Comparison key: entities decoded, Unicode compatibility forms folded, invisible characters
    dropped, tracking parameters cut from links, quotes straightened, whitespace collapsed."""
    return _key_cached(text)


@lru_cache(maxsize=16384)
def _key_cached(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
        text = text.translate(_DASHES)
    if "?" in text and "://" in text:
        text = _URL.sub(_untrack, text)
    return _SPACE.sub(" ", straighten(text)).strip()


# Soft hyphen, zero-width characters and the byte-order mark change nothing a reader sees.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011", "-"))
_URL = re.compile(r"https?://[^\s\"'<>]+")
_TRACKING = re.compile(
    r"(?:utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|ref|ref_src|cmpid|ocid|smid|"
    r"at_medium|at_campaign|at_custom\d*)=",
    re.IGNORECASE,
)


def _untrack(match: re.Match[str]) -> str:
    url = match.group(0)
    base, _, query = url.partition("?")
    query, hash_, fragment = query.partition("#")
    kept = [part for part in query.split("&") if part and not _TRACKING.match(part)]
    return base + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


# Paragraphs that are page furniture rather than article text: they come and go between fetches
# (rotating related links, "updated 5 minutes ago", view counts, ad labels) and are never compared.
_NOISE = re.compile(
    r"^\W*(?:"
    r"advertisement|advertising|ad|sponsored(?: content)?|story continues (?:below|after)(?: this)?(?: advertisement| ad)?"
    r"|continue reading(?: below)?|scroll to continue(?: with content)?"
    r"|(?:read more|related|see also|more on this(?: story)?|also read|recommended|most read|watch|listen|"
    r"related coverage|related stories|related articles?|you may also like|more from [\w .]+)\s*[:|»›>—–-]\s*.{0,200}"
    r"|(?:read more|related|see also|recommended)\s*(?:stories|articles|coverage)?"
    r"|(?:updated|published|posted|last updated|first published)\s*:?\s*(?:on\s+)?"
    r"(?:(?:just now|a (?:minute|moment|few (?:minutes|seconds)) ago|an hour ago|\d+\s*(?:s|sec|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)\s+ago))"
    r"|(?:updated|published|posted|last updated|first published)\s*:?\s*(?:on\s+)?[\w ,.:/-]{0,40}?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}|GMT|UTC|BST|CET|CEST|EST|EDT|PST|PDT|ET|PT)?"
    r"|[\d.,]+\s*[km]?\s*(?:views|reads|shares|comments|likes)"
    r"|(?:share|share this(?: article| story)?|sign up|subscribe)(?: (?:on|to|via) [\w ]{1,30})?"
    r")\W*$",
    re.IGNORECASE,
)


def is_noise(paragraph: str) -> bool:
    """Whether a paragraph is page furniture (ad label, related link, "updated N minutes ago",
    view count, share prompt) that is left out of the comparison."""
    text = _key(paragraph)
    return len(text) <= 240 and _NOISE.match(text) is not None


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """Tokens without whitespace, for similarity ratios (cached: pairing compares each text many times)."""
    return tuple(t for t in _TOKEN.findall(straighten(text).lower()) if not t.isspace())


_QUOTED = re.compile(r'"[^"]*"')


@lru_cache(maxsize=8192)
def _frame(text: str) -> tuple[str, ...] | None:
    """The words around quotations, each quotation one token; None without a quotation or with too few words.

    Two sentences with the same frame ('"...," the spokesman told reporters.') are the same sentence
    with its quotation reworded, however little of the quotation survives.
    """
    straight = straighten(text)
    if '"' not in straight:
        return None
    words = _words(_QUOTED.sub(" \x00 ", straight))
    return words if sum(w.isalnum() for w in words) >= 2 else None


def _similarity(a: str, b: str, threshold: float) -> float:
    """Word-level ratio, or the ratio of the quotation frames when both texts quote someone."""
    score = _ratio(_words(a), _words(b), threshold)
    if score < threshold:
        frame_a, frame_b = _frame(a), _frame(b)
        if frame_a and frame_b:
            score = max(score, _ratio(frame_a, frame_b, threshold))
    return score


def _ratio(a: Sequence[str], b: Sequence[str], threshold: float) -> float:
    """SequenceMatcher ratio of two token lists, or 0.0 when the cheap upper bounds are below `threshold`."""
    if not a and not b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


# --------------------------------------------------------------------------- sentences

# Titles never end a sentence; the ambiguous ones end it only before a common sentence opener.
_TITLES = frozenset(
    "mr mrs ms mx dr prof sen rep gov gen col lt sgt capt cmdr adm maj brig cpl pvt rev fr hon pres supt "
    "insp det st mt ft ave blvd rd vs v approx dept univ fig vol pp ca cf al est".split()
)
_AMBIGUOUS = frozenset("inc ltd corp co plc bros jr sr llc".split())
_MONTHS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
_NUMBERED = frozenset("no nos p art sec ch".split())
_OPENERS = frozenset(
    "the a an he she it they we i you his her its their our this that these those there here but and or so "
    "yet in on at for from after before when while if as however meanwhile some many most officials "
    "police no one two three".split()
)
_BOUNDARY = re.compile(r"(\.{2,}|…|[.!?]+)([\"')\]]*)(\s+)")
_NEXT = re.compile(r"[\"'(\[]*(\S+)")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, each stripped; joined by single spaces they give the paragraph back."""
    text = _SPACE.sub(" ", paragraph).strip()
    if not text:
        return []
    straight = straighten(text)
    balanced = straight.count('"') % 2 == 0
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(straight):
        if _is_boundary(straight, match, balanced):
            sentences.append(text[start : match.end(2)].strip())
            start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _is_boundary(text: str, match: re.Match[str], balanced: bool) -> bool:
    """Whether the terminator in `match` ends a sentence, judged by what precedes and follows it."""
    following = _NEXT.match(text, match.end())
    if following is None:
        return False
    next_word = following.group(1)
    if not (next_word[0].isupper() or next_word[0].isdigit()):
        return False
    if balanced and text.count('"', 0, match.end(2)) % 2 == 1:
        return False  # still inside a quotation: "We are ready. We will act," she said.
    if match.group(1) != ".":
        return True
    before = text[: match.start(1)].rsplit(" ", 1)[-1].lstrip("\"'([")
    lower = before.lower()
    opener = next_word.lower().strip(",;:\"'") in _OPENERS
    if lower in _TITLES:
        return False
    if len(before) == 1 and before.isupper():
        return False  # an initial: J. R. Smith
    if lower in _NUMBERED:
        return not next_word[0].isdigit()
    if lower in _MONTHS:
        return not next_word[0].isdigit() and opener
    if lower in _AMBIGUOUS or _DOTTED.match(before):
        return opener  # "the U.S. The next day" ends; "the U.S. Navy" does not
    return True


def _align_sentences(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """Order-preserving sentence pairs: exact matches, then pairs by ratio >= SENTENCE_RATIO per gap."""
    keys_a = [_key(s) for s in a]
    keys_b = [_key(s) for s in b]
    pairs: list[tuple[int | None, int | None]] = []
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
        else:
            pairs.extend(_pair_gap(keys_a, keys_b, i1, i2, j1, j2))
    return pairs


def _pair_gap(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[tuple[int | None, int | None]]:
    """Pair a[i1:i2] with b[j1:j2] maximising the summed ratio, keeping order; removed before added."""
    n, m = i2 - i1, j2 - j1
    if n == 0 or m == 0:
        return [(i, None) for i in range(i1, i2)] + [(None, j) for j in range(j1, j2)]
    threshold = IN_PLACE_RATIO if n == m == 1 else SENTENCE_RATIO
    ratio = [[_similarity(x, y, threshold) for y in b[j1:j2]] for x in a[i1:i2]]
    # best[i][j]: best score pairing the first i of a-gap with the first j of b-gap.
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            take = best[i - 1][j - 1] + ratio[i - 1][j - 1] if ratio[i - 1][j - 1] >= threshold else -1.0
            best[i][j] = max(best[i - 1][j], best[i][j - 1], take)
    matched: list[tuple[int, int]] = []
    i, j = n, m
    while i and j:
        r = ratio[i - 1][j - 1]
        if r >= threshold and best[i][j] == best[i - 1][j - 1] + r:
            matched.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    matched.reverse()
    pairs: list[tuple[int | None, int | None]] = []
    pi = pj = 0
    for mi, mj in matched + [(n, m)]:
        pairs.extend((i1 + k, None) for k in range(pi, mi))
        pairs.extend((None, j1 + k) for k in range(pj, mj))
        if mi < n:
            pairs.append((i1 + mi, j1 + mj))
        pi, pj = mi + 1, mj + 1
    return pairs


def _sentence_edit(before: str | None, after: str | None) -> SentenceEdit:
    if before is None:
        return SentenceEdit("added", None, after)
    if after is None:
        return SentenceEdit("removed", before, None)
    if _key(before) == _key(after):
        return SentenceEdit("equal", before, after)
    return SentenceEdit("changed", before, after, word_diff(before, after))


def _sentence_edits(before: str, after: str) -> tuple[SentenceEdit, ...]:
    a, b = split_sentences(before), split_sentences(after)
    return tuple(
        _sentence_edit(None if i is None else a[i], None if j is None else b[j]) for i, j in _align_sentences(a, b)
    )


# --------------------------------------------------------------------------- words

_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0.5
_OPS = {0: "equal", 1: "insert", -1: "delete"}


def word_diff(before: str, after: str) -> tuple[WordSpan, ...]:
    """Word-level diff: equal + delete spans give `before` back, equal + insert spans give `after`."""
    if before == after:
        return (WordSpan("equal", before),) if before else ()
    vocabulary: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in _TOKEN.findall(text):
            code = vocabulary.get(token)
            if code is None:
                # Skip the surrogate range, which a Python str may hold but diff-match-patch mishandles.
                n = len(words)
                code = vocabulary[token] = chr(n + 0x100 if n + 0x100 < 0xD800 else n + 0x100 + 0x800)
                words.append(token)
            chars.append(code)
        return "".join(chars)

    diffs = _DMP.diff_main(encode(before), encode(after), False)
    _DMP.diff_cleanupSemantic(diffs)
    spans: list[WordSpan] = []
    for op, chars in diffs:
        text = "".join(words[_decode(c)] for c in chars)
        if spans and spans[-1].op == _OPS[op]:
            spans[-1] = WordSpan(_OPS[op], spans[-1].text + text)
        elif text:
            spans.append(WordSpan(_OPS[op], text))
    return tuple(spans)


def _decode(char: str) -> int:
    n = ord(char) - 0x100
    return n if n + 0x100 < 0xD800 else n - 0x800


# --------------------------------------------------------------------------- paragraphs


@dataclass
class _Unit:
    """Paragraphs paired across versions: one to one, or one to several (split) / several to one (merge)."""

    old: list[int]
    new: list[int]
    moved: bool = False


def diff_articles(old: Article, new: Article) -> ArticleDiff:
    """Everything that differs between two versions: changed fields and every paragraph aligned."""
    fields = tuple(
        FieldEdit(name, before, after, word_diff(before or "", after or ""))
        for name in ARTICLE_FIELDS
        for before, after in [(getattr(old, name), getattr(new, name))]
        if _key(before or "") != _key(after or "")
    )
    return ArticleDiff(fields, _diff_paragraphs(list(old.paragraphs), list(new.paragraphs)))


def _diff_paragraphs(old: list[str], new: list[str]) -> tuple[ParagraphEdit, ...]:
    old_keys, new_keys = [_key(p) for p in old], [_key(p) for p in new]
    # Noise paragraphs take no part: their indices are simply never paired, added or removed.
    noise_old = {i for i, k in enumerate(old_keys) if is_noise(k)}
    noise_new = {j for j, k in enumerate(new_keys) if is_noise(k)}
    units = _exact_units(
        [k if i not in noise_old else f"\x00old{i}" for i, k in enumerate(old_keys)],
        [k if j not in noise_new else f"\x00new{j}" for j, k in enumerate(new_keys)],
    )
    free_old = set(range(len(old))) - {i for u in units for i in u.old} - noise_old
    free_new = set(range(len(new))) - {j for u in units for j in u.new} - noise_new
    if free_old and free_new:
        units += _group_units(old_keys, new_keys, free_old, free_new)
        units += _similar_units(old_keys, new_keys, free_old, free_new)
    _mark_moves(units)
    if free_old and free_new:
        units += _in_place_units(old_keys, new_keys, units, free_old, free_new)
    return _emit(old, new, old_keys, new_keys, units, free_old, free_new)


def _exact_units(old_keys: list[str], new_keys: list[str]) -> list[_Unit]:
    """Identical paragraphs: first those in order, then identical ones elsewhere (moves)."""
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    units = [_Unit([a + k], [b + k]) for a, b, size in matcher.get_matching_blocks() for k in range(size)]
    paired_old = {u.old[0] for u in units}
    paired_new = {u.new[0] for u in units}
    waiting: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(old_keys):
        if i not in paired_old:
            waiting[key].append(i)
    for j, key in enumerate(new_keys):
        if j not in paired_new and waiting.get(key):
            units.append(_Unit([waiting[key].pop(0)], [j]))
    return units


def _group_units(old_keys: list[str], new_keys: list[str], free_old: set[int], free_new: set[int]) -> list[_Unit]:
    """Splits and merges: runs of adjacent free paragraphs whose sentences came from one paragraph."""
    old_sents = {i: split_sentences(old_keys[i]) for i in free_old}
    new_sents = {j: split_sentences(new_keys[j]) for j in free_new}
    fuzzy = sum(map(len, old_sents.values())) * sum(map(len, new_sents.values())) <= MAX_FUZZY_COMPARISONS
    new_source = _sources(new_sents, old_sents, fuzzy)
    old_source = _sources(old_sents, new_sents, fuzzy)
    units: list[_Unit] = []
    for target, run in _runs(new_source):
        units.append(_Unit([target], run))
    for target, run in _runs(old_source):
        taken = any(target in u.new or any(i in u.old for i in run) for u in units)
        if target in free_new and not taken:
            units.append(_Unit(run, [target]))
    for unit in units:
        free_old.difference_update(unit.old)
        free_new.difference_update(unit.new)
    return units


def _sources(
    pieces: dict[int, list[str]], origins: dict[int, list[str]], fuzzy: bool
) -> dict[int, int]:
    """For each piece paragraph, the origin paragraph that most of its sentence text came from."""
    where: dict[str, int] = {}
    for index, sentences in origins.items():
        for sentence in sentences:
            where.setdefault(sentence, index)
    origin_words = [(index, _words(s)) for index, sentences in origins.items() for s in sentences] if fuzzy else []
    result: dict[int, int] = {}
    for index, sentences in pieces.items():
        shared: dict[int, int] = defaultdict(int)
        for sentence in sentences:
            origin = where.get(sentence)
            if origin is None and fuzzy:
                words = _words(sentence)
                # A split or merge stays near its place: compare with nearby paragraphs only.
                scored = [(_ratio(words, w, 0.6), o) for o, w in origin_words if abs(o - index) <= FUZZY_WINDOW]
                best = max(scored, default=(0.0, -1))
                origin = best[1] if best[0] >= 0.6 else None
            if origin is not None:
                shared[origin] += len(sentence)
        if shared:
            origin, size = max(shared.items(), key=lambda item: item[1])
            if size >= GROUP_SHARE * sum(map(len, sentences)):
                result[index] = origin
    return result


def _runs(source: dict[int, int]) -> list[tuple[int, list[int]]]:
    """Runs of two or more adjacent pieces with the same origin."""
    runs: list[tuple[int, list[int]]] = []
    for index in sorted(source):
        if runs and runs[-1][1][-1] == index - 1 and runs[-1][0] == source[index]:
            runs[-1][1].append(index)
        else:
            runs.append((source[index], [index]))
    # An origin split into several runs keeps only its longest.
    longest: dict[int, list[int]] = {}
    for origin, run in runs:
        if len(run) >= 2 and len(run) > len(longest.get(origin, [])):
            longest[origin] = run
    return sorted(longest.items(), key=lambda item: item[1][0])


def _similar_units(old_keys: list[str], new_keys: list[str], free_old: set[int], free_new: set[int]) -> list[_Unit]:
    """Pairs of the remaining paragraphs by similarity, best first (nearer positions win ties)."""
    news = sorted(free_new)
    # A heavy rewrite leaves many paragraphs free: then each is compared with its nearest ones only.
    nearest = max(1, MAX_PARAGRAPH_PAIRS // max(1, len(free_old)))
    candidates = []
    for i in free_old:
        for j in sorted(news, key=lambda j: abs(i - j))[:nearest]:
            r = _similarity(old_keys[i], new_keys[j], PARAGRAPH_RATIO)
            if r >= PARAGRAPH_RATIO:
                candidates.append((-r, abs(i - j), i, j))
    units: list[_Unit] = []
    for _, _, i, j in sorted(candidates):
        if i in free_old and j in free_new:
            units.append(_Unit([i], [j]))
            free_old.discard(i)
            free_new.discard(j)
    return units


def _in_place_units(
    old_keys: list[str], new_keys: list[str], units: list[_Unit], free_old: set[int], free_new: set[int]
) -> list[_Unit]:
    """A lone free old and lone free new paragraph between the same in-place neighbours: a rewording."""
    kept = [u for u in units if not u.moved]
    old_starts = [u.old[0] for u in kept]
    new_starts = [u.new[0] for u in kept]
    gaps: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i in free_old:
        gaps[bisect_left(old_starts, i)][0].append(i)
    for j in free_new:
        gaps[bisect_left(new_starts, j)][1].append(j)
    paired = []
    for olds, news in gaps.values():
        if len(olds) != 1 or len(news) != 1:
            continue
        i, j = olds[0], news[0]
        if _similarity(old_keys[i], new_keys[j], IN_PLACE_RATIO) >= IN_PLACE_RATIO:
            paired.append(_Unit([i], [j]))
            free_old.discard(i)
            free_new.discard(j)
    return paired


def _mark_moves(units: list[_Unit]) -> None:
    """Units off the longest increasing subsequence of old positions (in new order) are moved."""
    units.sort(key=lambda u: u.new[0])
    seq = [u.old[0] for u in units]
    tails: list[int] = []  # tails[k]: index in seq of the smallest tail of an increasing run of length k+1
    previous = [-1] * len(seq)
    for k, value in enumerate(seq):
        pos = bisect_left([seq[t] for t in tails], value)
        previous[k] = tails[pos - 1] if pos else -1
        if pos == len(tails):
            tails.append(k)
        else:
            tails[pos] = k
    keep = set()
    k = tails[-1] if tails else -1
    while k >= 0:
        keep.add(k)
        k = previous[k]
    for k, unit in enumerate(units):
        unit.moved = k not in keep


def _emit(
    old: list[str],
    new: list[str],
    old_keys: list[str],
    new_keys: list[str],
    units: list[_Unit],
    removed: set[int],
    added: set[int],
) -> tuple[ParagraphEdit, ...]:
    """Edits in reading order of the new version, each removed paragraph after its nearest kept predecessor."""
    placed: list[tuple[tuple[int, int, int], ParagraphEdit]] = []
    anchor: dict[int, int] = {}  # old index of an in-place unit -> last new index of that unit
    for unit in units:
        if not unit.moved:
            for i in unit.old:
                anchor[i] = unit.new[-1]
        for k, edit in enumerate(_unit_edits(old, new, old_keys, new_keys, unit)):
            placed.append(((edit.after_index if edit.after_index is not None else unit.new[0], 0, k), edit))
    for j in added:
        placed.append(((j, 0, 0), ParagraphEdit("added", None, j, None, new[j], _one_sided("added", new[j]))))
    kept = sorted(anchor)
    for i in removed:
        pos = bisect_left(kept, i)
        where = anchor[kept[pos - 1]] if pos else -1
        placed.append(((where, 1, i), ParagraphEdit("removed", i, None, old[i], None, _one_sided("removed", old[i]))))
    placed.sort(key=lambda item: item[0])
    return tuple(edit for _, edit in placed)


def _one_sided(action: str, paragraph: str) -> tuple[SentenceEdit, ...]:
    sentences = split_sentences(paragraph)
    if action == "added":
        return tuple(SentenceEdit("added", None, s) for s in sentences)
    return tuple(SentenceEdit("removed", s, None) for s in sentences)


def _unit_edits(
    old: list[str], new: list[str], old_keys: list[str], new_keys: list[str], unit: _Unit
) -> list[ParagraphEdit]:
    if len(unit.old) == 1 and len(unit.new) == 1:
        i, j = unit.old[0], unit.new[0]
        if old_keys[i] == new_keys[j]:
            return [ParagraphEdit("moved" if unit.moved else "equal", i, j, old[i], new[j])]
        action = "moved" if unit.moved else "changed"
        return [ParagraphEdit(action, i, j, old[i], new[j], _sentence_edits(old[i], new[j]))]
    return _group_edits(old, new, unit)


def _group_edits(old: list[str], new: list[str], unit: _Unit) -> list[ParagraphEdit]:
    """A split (one old, several new) or a merge (several old, one new): one edit per piece."""
    split = len(unit.old) == 1
    old_owner, a = _owned(old, unit.old)
    new_owner, b = _owned(new, unit.new)
    piece_owner = new_owner if split else old_owner
    pieces: dict[int, list[SentenceEdit]] = {k: [] for k in (unit.new if split else unit.old)}
    owner = next(iter(pieces))
    for i, j in _align_sentences(a, b):
        side = j if split else i
        if side is not None:
            owner = piece_owner[side]  # an unpaired sentence stays with the piece before it
        pieces[owner].append(_sentence_edit(None if i is None else a[i], None if j is None else b[j]))
    action = "moved" if unit.moved else "changed"
    edits = []
    for index, sentences in pieces.items():
        if split:
            before = " ".join(s.before for s in sentences if s.before) or None
            i, j, after = unit.old[0], index, new[index]
        else:
            after = " ".join(s.after for s in sentences if s.after) or None
            i, j, before = index, unit.new[0], old[index]
        if before is None:
            edits.append(ParagraphEdit("added", None, j, None, after, tuple(sentences)))
        elif after is None:
            edits.append(ParagraphEdit("removed", i, None, before, None, tuple(sentences)))
        else:
            edits.append(ParagraphEdit(action, i, j, before, after, tuple(sentences)))
    return edits


def _owned(paragraphs: list[str], indices: list[int]) -> tuple[list[int], list[str]]:
    """The sentences of several paragraphs in order, with the paragraph index owning each."""
    owners: list[int] = []
    sentences: list[str] = []
    for index in indices:
        for sentence in split_sentences(paragraphs[index]):
            owners.append(index)
            sentences.append(sentence)
    return owners, sentences
