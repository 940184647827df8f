"""Paragraph, sentence and word alignment (monitor/diff.py), on hand-written fictional articles."""

from __future__ import annotations

import pytest

from monitor.diff import diff_articles, split_sentences, word_diff
from monitor.models import Article, WordSpan

P = [
    "The Lennox County council voted on Monday to close the old ferry terminal at Gullhaven.",
    "Councillors said repairs to the pier would cost more than the terminal earns in a decade.",
    '"We cannot keep patching a structure that the sea is taking back," said Ines Harrow, who chairs the works committee.',
    "Ferry passengers will be moved to the newer quay at Brisk Point from the first week of June.",
    "Local traders have started a petition asking the council to delay the closure until autumn.",
]


def article(paragraphs: list[str], **fields: str) -> Article:
    return Article(headline=fields.get("headline", "Gullhaven ferry terminal to close"), paragraphs=paragraphs, **{
        k: v for k, v in fields.items() if k != "headline"
    })


def actions(diff) -> list[tuple[str, int | None, int | None]]:
    return [(p.action, p.before_index, p.after_index) for p in diff.paragraphs]


def rebuild(spans: tuple[WordSpan, ...], side: str) -> str:
    skip = "insert" if side == "before" else "delete"
    return "".join(s.text for s in spans if s.op != skip)


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It rained. The match went ahead.", ["It rained.", "The match went ahead."]),
        (
            "Mr. Okafor and Dr. Lyle met Mrs. Tan in the U.S. capital on Jan. 4. Nothing was agreed.",
            ["Mr. Okafor and Dr. Lyle met Mrs. Tan in the U.S. capital on Jan. 4.", "Nothing was agreed."],
        ),
        ("Inflation rose to 3.5 percent. Rates held at 4.25%.", ["Inflation rose to 3.5 percent.", "Rates held at 4.25%."]),
        ("The report by J. R. Pell is due. It is late.", ["The report by J. R. Pell is due.", "It is late."]),
        ("He moved to No. 12 Quay Street. She stayed.", ["He moved to No. 12 Quay Street.", "She stayed."]),
        ("Aid reached the U.S. The rest went to Canada.", ["Aid reached the U.S.", "The rest went to Canada."]),
        ("We waited... Then the bus came.", ["We waited...", "Then the bus came."]),
        ("We waited… and waited.", ["We waited… and waited."]),
        (
            'The sign read "Closed for the season." Nobody argued.',
            ['The sign read "Closed for the season."', "Nobody argued."],
        ),
        (
            '"Is it over?" she asked. "Not yet," he said.',
            ['"Is it over?" she asked.', '"Not yet," he said.'],
        ),
        # A quotation of two sentences stays whole with its attribution.
        (
            '"The pier is unsafe. We have no choice," the engineer said. Work stops Friday.',
            ['"The pier is unsafe. We have no choice," the engineer said.', "Work stops Friday."],
        ),
        ("Curly quotes “End here.” Then more.", ["Curly quotes “End here.”", "Then more."]),
        ("Shares in Brackwell Inc. rose 4%. Analysts were surprised.", ["Shares in Brackwell Inc. rose 4%.", "Analysts were surprised."]),
        ("no full stop at the end", ["no full stop at the end"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_round_trips_the_paragraph() -> None:
    for paragraph in P:
        assert " ".join(split_sentences(paragraph)) == paragraph


# --------------------------------------------------------------------------- words


def test_word_diff_keeps_whole_words_and_rebuilds_both_sides() -> None:
    before = "About 2,500 homes lost power in the storm on Tuesday."
    after = "About 3,000 homes lost power in the gale on Tuesday."
    spans = word_diff(before, after)
    assert rebuild(spans, "before") == before
    assert rebuild(spans, "after") == after
    assert WordSpan("delete", "2,500") in spans and WordSpan("insert", "3,000") in spans
    assert WordSpan("delete", "storm") in spans and WordSpan("insert", "gale") in spans


def test_word_diff_groups_a_reworded_run() -> None:
    spans = word_diff('"We will keep talking," she said.', '"We remain open to talks," she said.')
    assert spans[0] == WordSpan("equal", '"We ')
    assert [s.op for s in spans] == ["equal", "delete", "insert", "equal"]
    assert spans[-1].text == '," she said.'


def test_word_diff_of_equal_and_empty_texts() -> None:
    assert word_diff("same", "same") == (WordSpan("equal", "same"),)
    assert word_diff("", "") == ()
    assert word_diff("", "new words") == (WordSpan("insert", "new words"),)
    assert word_diff("old words", "") == (WordSpan("delete", "old words"),)


# --------------------------------------------------------------------------- paragraphs


def test_identical_articles_have_no_changes() -> None:
    diff = diff_articles(article(P), article(list(P)))
    assert diff.changed is False
    assert diff.fields == ()
    assert actions(diff) == [("equal", k, k) for k in range(len(P))]


def test_changed_fields_only() -> None:
    old = article(P, standfirst="The pier is failing.", byline="By Tomas Reyne")
    new = article(P, headline="Council shuts Gullhaven ferry terminal", standfirst="The pier is failing.", byline=None)
    diff = diff_articles(old, new)
    assert [(f.field, f.before, f.after) for f in diff.fields] == [
        ("headline", "Gullhaven ferry terminal to close", "Council shuts Gullhaven ferry terminal"),
        ("byline", "By Tomas Reyne", None),
    ]
    assert rebuild(diff.fields[0].words, "after") == "Council shuts Gullhaven ferry terminal"


def test_changed_paragraph_carries_sentence_and_word_edits() -> None:
    new = list(P)
    new[1] = "Councillors said repairs to the pier would cost far more than the terminal earns in a decade."
    diff = diff_articles(article(P), article(new))
    assert actions(diff)[1] == ("changed", 1, 1)
    (sentence,) = diff.paragraphs[1].sentences
    assert sentence.action == "changed"
    assert WordSpan("insert", "far ") in sentence.words


def test_sentences_inside_a_changed_paragraph_are_aligned() -> None:
    old = ["First the tide rose. Then the road flooded. Crews arrived at noon. The road reopened at six."]
    new = ["First the tide rose. Crews arrived at about noon. Sandbags ran out. The road reopened at six."]
    (paragraph,) = diff_articles(article(old), article(new)).paragraphs
    assert [(s.action, s.before, s.after) for s in paragraph.sentences] == [
        ("equal", "First the tide rose.", "First the tide rose."),
        ("removed", "Then the road flooded.", None),
        ("changed", "Crews arrived at noon.", "Crews arrived at about noon."),
        ("added", None, "Sandbags ran out."),
        ("equal", "The road reopened at six.", "The road reopened at six."),
    ]


def test_added_and_removed_paragraphs_keep_their_places() -> None:
    new = [P[0], P[1], "A public meeting on the closure is planned for next month.", P[2], P[4]]
    diff = diff_articles(article(P), article(new))
    assert actions(diff) == [
        ("equal", 0, 0),
        ("equal", 1, 1),
        ("added", None, 2),
        ("equal", 2, 3),
        ("removed", 3, None),
        ("equal", 4, 4),
    ]
    assert diff.paragraphs[2].sentences[0].action == "added"
    assert diff.paragraphs[4].before == P[3]


def test_removed_first_paragraph_comes_first() -> None:
    diff = diff_articles(article(P), article(P[1:]))
    assert actions(diff)[0] == ("removed", 0, None)


def test_moved_paragraph_is_one_move_not_delete_and_add() -> None:
    new = [P[0], P[3], P[1], P[2], P[4]]
    diff = diff_articles(article(P), article(new))
    assert actions(diff) == [("equal", 0, 0), ("moved", 3, 1), ("equal", 1, 2), ("equal", 2, 3), ("equal", 4, 4)]
    assert diff.changed


def test_moved_paragraph_with_an_edit_carries_its_sentence_edits() -> None:
    edited = P[4].replace("until autumn", "until the autumn")
    new = [P[0], edited, P[1], P[2], P[3]]
    diff = diff_articles(article(P), article(new))
    moved = diff.paragraphs[1]
    assert (moved.action, moved.before_index, moved.after_index) == ("moved", 4, 1)
    assert [s.action for s in moved.sentences] == ["changed"]
    assert "added" not in {p.action for p in diff.paragraphs} and "removed" not in {p.action for p in diff.paragraphs}


def test_split_paragraph_is_not_a_wall_of_adds_and_removes() -> None:
    old = [P[0], "The pier was built in 1911. It was last repaired in 1987. Divers found cracks in March.", P[4]]
    new = [P[0], "The pier was built in 1911. It was last repaired in 1987.", "Divers found cracks in March.", P[4]]
    diff = diff_articles(article(old), article(new))
    assert actions(diff) == [("equal", 0, 0), ("changed", 1, 1), ("changed", 1, 2), ("equal", 2, 3)]
    assert all(s.action == "equal" for p in diff.paragraphs for s in p.sentences)
    assert diff.paragraphs[2].before == "Divers found cracks in March."


def test_merged_paragraphs_are_not_a_wall_of_adds_and_removes() -> None:
    old = [P[0], "The pier was built in 1911.", "Divers found cracks in March, the council said.", P[4]]
    new = [P[0], "The pier was built in 1911. Divers found cracks in early March, the council said.", P[4]]
    diff = diff_articles(article(old), article(new))
    assert actions(diff) == [("equal", 0, 0), ("changed", 1, 1), ("changed", 2, 1), ("equal", 3, 2)]
    sentences = [s for p in diff.paragraphs for s in p.sentences]
    assert [s.action for s in sentences] == ["equal", "changed"]


def test_reworded_quote_paragraph_pairs_by_its_frame() -> None:
    old = [P[0], '"The terminal has served this town for a century and deserves a proper farewell," the mayor told reporters.']
    new = [P[0], '"It is a sad day," the mayor told reporters.']
    diff = diff_articles(article(old), article(new))
    assert actions(diff) == [("equal", 0, 0), ("changed", 1, 1)]
