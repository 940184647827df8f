"""monitor/blame.py: the version that gave each sentence its wording."""

from __future__ import annotations

from monitor.blame import BlameLine, blame
from monitor.models import Article

V0 = Article(paragraphs=[
    "The pier was built in 1911. It was last repaired in 1987.",
    "Divers found cracks in March.",
    "The council meets on Monday.",
])


def lines(versions: list[Article]) -> list[tuple[int, str, int]]:
    return [(b.paragraph, b.sentence, b.version_index) for b in blame(versions)]


def test_single_version_is_all_version_zero() -> None:
    assert lines([V0]) == [
        (0, "The pier was built in 1911.", 0),
        (0, "It was last repaired in 1987.", 0),
        (1, "Divers found cracks in March.", 0),
        (2, "The council meets on Monday.", 0),
    ]
    assert blame([]) == []
    assert isinstance(blame([V0])[0], BlameLine)


def test_edit_takes_the_version_of_the_edit_and_moves_keep_their_origin() -> None:
    v1 = Article(paragraphs=[V0.paragraphs[0], "Divers found deep cracks in March.", V0.paragraphs[2]])
    v2 = Article(paragraphs=[V0.paragraphs[2], V0.paragraphs[0], "Divers found deep cracks in March.", "Repairs will cost £4m."])
    assert lines([V0, v1, v2]) == [
        (0, "The council meets on Monday.", 0),
        (1, "The pier was built in 1911.", 0),
        (1, "It was last repaired in 1987.", 0),
        (2, "Divers found deep cracks in March.", 1),
        (3, "Repairs will cost £4m.", 2),
    ]


def test_split_merge_and_noise_keep_origins() -> None:
    v1 = Article(paragraphs=["The pier was built in 1911.", "It was last repaired in 1987. Divers found cracks in March.", "Advertisement", V0.paragraphs[2]])
    assert lines([V0, v1]) == [
        (0, "The pier was built in 1911.", 0),
        (1, "It was last repaired in 1987.", 0),
        (1, "Divers found cracks in March.", 0),
        (3, "The council meets on Monday.", 0),
    ]


def test_sentence_added_inside_a_paragraph() -> None:
    v1 = Article(paragraphs=[V0.paragraphs[0] + " Engineers say it is unsafe.", *V0.paragraphs[1:]])
    assert lines([V0, v1])[:3] == [
        (0, "The pier was built in 1911.", 0),
        (0, "It was last repaired in 1987.", 0),
        (0, "Engineers say it is unsafe.", 1),
    ]
