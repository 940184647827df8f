"""Classification of diffs into changes (monitor/classify/), on hand-written fictional articles."""

from __future__ import annotations

import pytest

from monitor.classify import classify
from monitor.classify.corrections import is_correction
from monitor.classify.figures import find_figures
from monitor.classify.quotes import find_quotes
from monitor.classify.text import is_minor
from monitor.diff import diff_articles
from monitor.models import Article, Change

BODY = [
    "Envoys from Arlenia and the Tessar Republic left the lakeside town of Varnholt on Thursday after three days of talks.",
    '"We will keep negotiating in good faith," the spokesman told reporters.',
    "Monitors say the fighting along the border has caused about 2,500 soldier deaths since the spring.",
    "A second round of talks has not been scheduled.",
]


def changes_between(old_body: list[str], new_body: list[str], **fields) -> list[Change]:
    old = Article(headline=fields.pop("old_headline", "Varnholt talks end"), paragraphs=old_body)
    new = Article(headline=fields.pop("new_headline", "Varnholt talks end"), paragraphs=new_body)
    return classify(diff_articles(old, new))


def one_edit(index: int, text: str) -> list[Change]:
    body = list(BODY)
    body[index] = text
    return changes_between(BODY, body)


def kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.action) for c in changes]


# --------------------------------------------------------------------------- the reference scenario


def test_reference_scenario_gives_exactly_headline_quote_and_figure() -> None:
    body = list(BODY)
    body[1] = '"We remain open to talks," the spokesman told reporters.'
    body[2] = body[2].replace("2,500", "3,000")
    changes = changes_between(
        BODY, body, old_headline="Border talks stall as envoys leave Varnholt",
        new_headline="Envoys quit Varnholt with no deal in sight",
    )
    assert len(changes) == 3
    headline, quote, figure = changes
    assert (headline.kind, headline.action) == ("headline", "changed")
    assert headline.before == "Border talks stall as envoys leave Varnholt"
    assert headline.after == "Envoys quit Varnholt with no deal in sight"
    assert (quote.kind, quote.action, quote.speaker) == ("quote", "changed", "the spokesman")
    assert quote.before == "We will keep negotiating in good faith"
    assert quote.after == "We remain open to talks"
    assert quote.context == '"We remain open to talks," the spokesman told reporters.'
    assert (figure.kind, figure.action, figure.before_value, figure.after_value) == ("figure", "changed", "2,500", "3,000")
    assert figure.before == BODY[2] and figure.after == body[2]


def test_identical_versions_give_no_changes() -> None:
    assert changes_between(BODY, list(BODY)) == []


def test_quote_and_figure_in_one_sentence_give_two_changes_and_no_text() -> None:
    old = ['"We have lost 2,500 soldiers and we will keep negotiating," the general said.']
    new = ['"We have lost 3,000 soldiers and we remain open to talks," the general said.']
    changes = changes_between(old, new)
    assert kinds(changes) == [("quote", "changed"), ("figure", "changed")]
    assert changes[0].speaker == "the general"
    assert (changes[1].before_value, changes[1].after_value) == ("2,500", "3,000")


def test_multi_change_sentence_with_other_words_also_gives_text() -> None:
    changes = one_edit(2, "Aid agencies say the fighting along the border has caused about 3,000 soldier deaths since the spring.")
    assert kinds(changes) == [("figure", "changed"), ("text", "changed")]


def test_figure_qualifier_change_beside_a_figure_is_not_text() -> None:
    changes = one_edit(2, BODY[2].replace("about 2,500", "nearly 3,000"))
    assert kinds(changes) == [("figure", "changed")]


def test_quote_wording_only_gives_just_a_quote() -> None:
    changes = one_edit(1, '"We will keep talking in good faith," the spokesman told reporters.')
    assert kinds(changes) == [("quote", "changed")]


def test_attribution_change_outside_the_quote_is_text() -> None:
    changes = one_edit(1, '"We will keep negotiating in good faith," the foreign ministry said.')
    assert kinds(changes) == [("text", "changed")]


# --------------------------------------------------------------------------- fields


def test_fields_come_first_with_their_actions() -> None:
    old = Article(headline="Old title", standfirst="A short summary.", byline=None, paragraphs=["Body. ", "Tail."])
    new = Article(headline="New title", standfirst=None, byline="By Petra Vos", paragraphs=["Body. More body.", "Tail."])
    changes = classify(diff_articles(old, new))
    assert kinds(changes)[:3] == [("headline", "changed"), ("standfirst", "removed"), ("byline", "added")]
    assert changes[1].before == "A short summary." and changes[1].after is None
    assert changes[2].after == "By Petra Vos"
    assert kinds(changes)[3:] == [("text", "added")]


# --------------------------------------------------------------------------- quotes


@pytest.mark.parametrize(
    ("sentence", "text", "speaker"),
    [
        ('"The bridge is safe," the engineer told reporters.', "The bridge is safe", "the engineer"),
        ('"The bridge is safe," said Ona Brandt, the chief engineer.', "The bridge is safe", "Ona Brandt"),
        ('"The bridge is safe," Ona Brandt said on Friday.', "The bridge is safe", "Ona Brandt"),
        ('Ona Brandt said: "The bridge is safe."', "The bridge is safe.", "Ona Brandt"),
        ('"The bridge is safe," according to the county engineer.', "The bridge is safe", "the county engineer"),
        ("'The bridge is safe,' the engineer said.", "The bridge is safe", "the engineer"),
        ("The county called it a “temporary measure” in its notice.", "temporary measure", "The county"),
        ("Officials promised a “lasting peace” for the valley.", "lasting peace", None),
        ('"The bridge is safe," he said.', "The bridge is safe", "he"),
    ],
)
def test_find_quotes_with_speakers(sentence: str, text: str, speaker: str | None) -> None:
    (quote,) = find_quotes(sentence)
    assert (quote.text, quote.speaker) == (text, speaker)


def test_apostrophes_are_not_quotes() -> None:
    assert find_quotes("The council's plan won't change the town's mind.") == []


def test_pronoun_speaker_resolves_to_the_last_named_one() -> None:
    old = ['"The pier is unsafe," said Ona Brandt.', '"Nobody will be hurt," she said.']
    new = ['"The pier is unsafe," said Ona Brandt.', '"Nobody will be hurt on my watch," she said.']
    (change,) = changes_between(old, new)
    assert (change.kind, change.speaker) == ("quote", "Ona Brandt")


def test_quote_added_and_removed_in_a_paragraph() -> None:
    added = one_edit(3, BODY[3] + ' "We are ready whenever they are," said Lior Kade.')
    assert kinds(added) == [("quote", "added")]
    assert (added[0].before, added[0].after, added[0].speaker) == (None, "We are ready whenever they are", "Lior Kade")
    removed = changes_between(BODY, [BODY[0], BODY[2], BODY[3]])
    assert kinds(removed) == [("quote", "removed")]
    assert removed[0].before == "We will keep negotiating in good faith" and removed[0].after is None


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("Some 2,500 people and 1,200,000 tonnes.", ["2,500", "1,200,000"]),
        ("Growth was 3.5 percent, or 12% in the north.", ["3.5 percent", "12%"]),
        ("The fund holds $1.2 billion and €40m.", ["$1.2 billion", "€40m"]),
        ("A 30-day ceasefire in a three-year-old war.", ["30-day", "three-year-old"]),
        ("About a fifth of the land and two-thirds of the coast.", ["a fifth", "two-thirds"]),
        ("They met on March 3 and again on 14 April 2025.", ["March 3", "14 April 2025"]),
        ("Twenty-five boats left at 10:30 with three crews.", ["Twenty-five", "10:30", "three"]),
        ("Nobody came.", []),
    ],
)
def test_find_figures(sentence: str, values: list[str]) -> None:
    assert [f.value for f in find_figures(sentence)] == values


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("12%", "14%"),
        ("$1.2 billion", "$1.4 billion"),
        ("three", "four"),
        ("March 3", "March 4"),
        ("30-day", "60-day"),
        ("a fifth", "a quarter"),
        ("2.5", "2.7"),
    ],
)
def test_figure_changes_in_each_form(before: str, after: str) -> None:
    template = "Officials said the figure was {} by the end of the review."
    (change,) = changes_between([template.format(before)], [template.format(after)])
    assert (change.kind, change.action, change.before_value, change.after_value) == ("figure", "changed", before, after)


def test_figure_added_and_removed_in_a_sentence() -> None:
    added = one_edit(3, "A second round of talks has not been scheduled for the next 10 days.")
    assert ("figure", "added") in kinds(added)
    figure = next(c for c in added if c.kind == "figure")
    assert (figure.before_value, figure.after_value) == (None, "10 days") or figure.after_value == "10"
    removed = one_edit(2, "Monitors say the fighting along the border has caused soldier deaths since the spring.")
    assert kinds(removed)[0] == ("figure", "removed")
    assert removed[0].before_value == "2,500" and removed[0].after_value is None


def test_added_paragraph_with_figures_reports_figures_not_text() -> None:
    changes = changes_between(BODY, BODY + ["The ceasefire line runs for 340 kilometres across the valley."])
    assert kinds(changes) == [("figure", "added")]
    assert changes[0].after_value == "340"
    assert changes[0].context == "The ceasefire line runs for 340 kilometres across the valley."


# --------------------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    "text",
    [
        "Correction: An earlier version of this article gave the wrong date for the talks.",
        "Clarification: The monitors are independent of both governments.",
        "Update: Talks resumed on Sunday.",
        "Editor's note: Names of some soldiers have been withheld.",
        "An earlier version of this article misspelled the name of the town.",
        "This article has been amended to correct the number of envoys.",
    ],
)
def test_correction_paragraph_added(text: str) -> None:
    assert is_correction(text)
    changes = changes_between(BODY, BODY + [text])
    assert kinds(changes) == [("correction", "added")]
    assert changes[0].after == text


def test_correction_changed_is_one_change_even_with_figures() -> None:
    old = BODY + ["Correction: An earlier version of this article said 2,000 deaths."]
    new = BODY + ["Correction: An earlier version of this article said 2,000 deaths; the figure was 2,500."]
    assert kinds(changes_between(old, new)) == [("correction", "changed")]


def test_correction_sentence_inside_a_paragraph() -> None:
    changes = one_edit(3, BODY[3] + " This article has been updated to include the date of the next round.")
    assert kinds(changes) == [("correction", "added")]


def test_ordinary_sentences_are_not_corrections() -> None:
    assert not is_correction("The update to the treaty was signed.")
    assert not is_correction(None)


# --------------------------------------------------------------------------- minor, text, move


@pytest.mark.parametrize(
    "after",
    [
        "A second round of talks has not been schedueld.",  # typo introduced (letters swapped)
        "A second round of talks, has not been scheduled.",  # punctuation
        "A Second Round of talks has not been scheduled.",  # case
        "A second round of talks has not been scheduled!",
    ],
)
def test_minor_edits(after: str) -> None:
    assert kinds(one_edit(3, after)) == [("minor", "changed")]


def test_typo_fix_is_minor_but_meaning_change_is_not() -> None:
    assert is_minor("The goverment agreed.", "The government agreed.")
    assert not is_minor("We will not stop.", "We will now stop.")
    assert not is_minor("Ona Brandt left.", "Lior Kade left.")


def test_sentence_added_removed_and_reworded_is_text() -> None:
    added = one_edit(3, BODY[3] + " Both delegations flew home overnight.")
    assert kinds(added) == [("text", "added")]
    assert added[0].after == "Both delegations flew home overnight."
    reworded = one_edit(3, "No date has been set for a second round of talks.")
    assert kinds(reworded) == [("text", "changed")]
    removed = changes_between(BODY, BODY[:3])
    assert kinds(removed) == [("text", "removed")]
    assert removed[0].before == BODY[3]


def test_added_plain_paragraph_is_one_text_change() -> None:
    extra = "Both delegations flew home overnight. Neither issued a statement. The hotel was quiet again."
    changes = changes_between(BODY, BODY[:2] + [extra] + BODY[2:])
    assert kinds(changes) == [("text", "added")]
    assert changes[0].after == extra


def test_moved_paragraph() -> None:
    changes = changes_between(BODY, [BODY[0], BODY[3], BODY[1], BODY[2]])
    assert kinds(changes) == [("move", "changed")]
    assert changes[0].after == BODY[3]


def test_moved_and_edited_paragraph_reports_both() -> None:
    changes = changes_between(BODY, [BODY[0], BODY[3], BODY[1], BODY[2].replace("2,500", "2,600")])
    assert kinds(changes) == [("move", "changed"), ("figure", "changed")]


def test_pure_split_gives_no_change() -> None:
    old = [BODY[0] + " " + BODY[3]]
    new = [BODY[0], BODY[3]]
    assert changes_between(old, new) == []


def test_changes_follow_reading_order() -> None:
    body = list(BODY)
    body[0] = body[0].replace("three days", "four days")
    body[3] = "No date has been set for a second round of talks."
    changes = changes_between(BODY, body, new_headline="Varnholt talks collapse")
    assert kinds(changes) == [("headline", "changed"), ("figure", "changed"), ("text", "changed")]


def test_context_is_trimmed() -> None:
    long = "The delegation " + "waited in the cold hall " * 30 + "for news."
    (change,) = changes_between(BODY, BODY + [long])
    assert len(change.context) <= 301 and change.context.endswith("…")


def test_long_quote_reworded_beyond_recognition_is_still_one_quote_change() -> None:
    old = [BODY[0], '"Our government remains fully committed to a negotiated settlement with every party at the table," the spokesman told reporters.']
    new = [BODY[0], '"We remain open to talks," the spokesman told reporters.']
    changes = changes_between(old, new)
    assert kinds(changes) == [("quote", "changed")]
    assert changes[0].after == "We remain open to talks"


def test_figure_inside_an_added_quote_is_part_of_the_quote() -> None:
    changes = one_edit(3, BODY[3] + ' "We lost 40 men in one week," said Lior Kade.')
    assert kinds(changes) == [("quote", "added")]


def test_number_formatting_is_minor() -> None:
    assert kinds(one_edit(2, BODY[2].replace("2,500", "2500"))) == [("minor", "changed")]


def test_curly_quotes_are_tolerated() -> None:
    curly = [BODY[0], "“We will keep negotiating in good faith,” the spokesman told reporters.", BODY[2], BODY[3]]
    assert changes_between(BODY, curly) == []
    reworded = [BODY[0], "“We remain open to talks,” the spokesman told reporters.", BODY[2], BODY[3]]
    (change,) = changes_between(BODY, reworded)
    assert (change.kind, change.after, change.speaker) == ("quote", "We remain open to talks", "the spokesman")


# --------------------------------------------------------------------------- issue 4 additions

from monitor.classify import is_stealth, link_corrections, summarize  # noqa: E402
from monitor.classify.figures import figure_details, parse_number  # noqa: E402
from monitor.classify.headlines import headline_test  # noqa: E402


@pytest.mark.parametrize(
    ("history", "new", "variants"),
    [
        (["A", "B"], "A", ("A", "B")),
        (["A", "B", "A"], "B", ("A", "B")),
        (["X", "A", "B"], "A", ("A", "B")),
        (["A", None, "B"], "A", ("A", "B")),
        (["A", "B", "C"], "A", ("A", "B", "C")),
        (["A"], "B", None),
        (["A", "B"], "B", None),
        (["A", "B"], "C", None),
        (["A", "B", "C", "D", "E"], "A", None),
        ([], "A", None),
        (["A", "B"], None, None),
        (["“Quoted” A", "B"], '"Quoted" A', ("“Quoted” A", "B")),
    ],
)
def test_headline_test(history, new, variants) -> None:
    assert headline_test(history, new) == variants


def test_stealth_edit_needs_unchanged_modified_and_no_note() -> None:
    old = Article(headline="H", modified="2025-01-01T10:00:00Z", paragraphs=BODY)
    body = list(BODY)
    body[2] = body[2].replace("2,500", "3,000")
    same = Article(headline="H", modified="2025-01-01T10:00:00Z", paragraphs=body)
    changes = classify(diff_articles(old, same))
    assert is_stealth(changes, old, same)
    bumped = Article(headline="H", modified="2025-01-01T12:00:00Z", paragraphs=body)
    assert not is_stealth(classify(diff_articles(old, bumped)), old, bumped)
    noted = Article(headline="H", modified=old.modified, paragraphs=body + ["Correction: The toll was misstated."])
    assert not is_stealth(classify(diff_articles(old, noted)), old, noted)
    typo = Article(headline="H", modified=old.modified, paragraphs=[BODY[0], BODY[1], BODY[2], "A second round of talks has not been schedueld."])
    assert not is_stealth(classify(diff_articles(old, typo)), old, typo)


def test_summarize() -> None:
    body = list(BODY)
    body[1] = '"We remain open to talks," the spokesman told reporters.'
    body[2] = body[2].replace("2,500", "3,000")
    changes = changes_between(BODY, body + ["Both delegations flew home. Neither spoke."], new_headline="Talks collapse")
    assert summarize(changes) == "headline rewritten; 1 quote changed; figure 2,500 → 3,000; 2 sentences added"
    assert summarize([]) == "no changes"


def test_figure_details() -> None:
    (change,) = one_edit(2, BODY[2].replace("2,500", "3,000"))
    details = figure_details(change)
    assert details.counted == "soldier deaths"
    assert (details.before_number, details.after_number) == (2500, 3000)
    assert details.relative_change == pytest.approx(0.2)
    toll = Change("figure", "changed", "The death toll rose to 86.", "The death toll rose to 112.", "", "86", "112")
    assert figure_details(toll).counted == "death toll"


@pytest.mark.parametrize(
    ("value", "number"),
    [("2,500", 2500), ("$1.2 billion", 1.2e9), ("€40m", 40e6), ("a fifth", 0.2), ("two-thirds", 2 / 3),
     ("three", 3), ("twenty-five", 25), ("12%", 12), ("3.5 percent", 3.5), ("30-day", 30),
     ("March 3", None), ("10:30", None), ("2-1", None), ("hundreds of thousands", None)],
)
def test_parse_number(value: str, number: float | None) -> None:
    assert parse_number(value) == (pytest.approx(number) if number is not None else None)


def test_correction_is_linked_to_the_change_it_explains() -> None:
    old = ["The fire started in Harlow County on Monday.", "Crews worked overnight to contain 40 hectares."]
    new = ["The fire started in Dunmore County on Monday.", "Crews worked overnight to contain 45 hectares.",
           "Correction: An earlier version of this article misstated the county where the fire started."]
    changes = changes_between(old, new)
    assert link_corrections(changes) == {2: 0}
    assert changes[0].kind == "text" and "County" in changes[0].after


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ('The head of the delegation, Ana Vo, said: "We are ready."', "Ana Vo"),
        ('"We are ready," the head of the delegation, Ana Vo, said.', "Ana Vo"),
        ('"We are ready," said the chancellor, Dieter Brandl, as he left.', "Dieter Brandl"),
        ('Prof. Lukas Merriman of the University of Tallow, who was not involved, said it was "exciting."', "Lukas Merriman"),
        ('In a memo to staff, chief executive Mara Ellison wrote that they had "hired too fast."', "Mara Ellison"),
        ('Greaves said he had asked for a recount "because the margin is small."', "Greaves"),
        ('Pavo wrote on X: "The door is not closed."', "Pavo"),
        ("« Nous avons un accord », the president, Lucienne Marchal, wrote.", "Lucienne Marchal"),
        ("„Das ist gut“, said Dieter Brandl.", "Dieter Brandl"),
    ],
)
def test_attribution_styles(sentence: str, speaker: str) -> None:
    assert find_quotes(sentence)[0].speaker == speaker


def test_quote_running_over_paragraphs_and_unattributed_follow_up() -> None:
    old = ['The mediator, Corinne Lafleur, told reporters:', '"We have had promises before. Both sides gave us maps.',
           '"If the convoys keep moving, we can talk."']
    new = ['The mediator, Corinne Lafleur, told reporters:', '"We have had promises before. Both sides gave us their maps.',
           '"If the convoys keep moving for a week, we can talk."']
    changes = changes_between(old, new)
    assert [(c.kind, c.action, c.speaker) for c in changes] == [("quote", "changed", "Corinne Lafleur")] * 2


@pytest.mark.parametrize(
    "noise",
    ["Advertisement", "Story continues below advertisement", "Read more: Harbour chief named",
     "Updated 5 minutes ago", "Last updated: 10:42 GMT", "1,204 views", "Share this article"],
)
def test_page_furniture_is_not_a_change(noise: str) -> None:
    assert changes_between(BODY, BODY[:2] + [noise] + BODY[2:]) == []


def test_rendering_noise_is_not_a_change() -> None:
    rendered = [p.replace('"', "“", 1).replace('"', "”", 1).replace("  ", " ") for p in BODY]
    rendered[0] = rendered[0].replace("lakeside", "lake\u00adside").replace(" on ", "\u00a0on ")
    rendered[3] = rendered[3].replace("a ", "a&#32;", 1) if False else rendered[3] + " "
    assert changes_between(BODY, rendered) == []
    linked = ["See the map at https://maps.example.org/v?id=4&utm_source=feed for details."]
    assert changes_between(linked, ["See the map at https://maps.example.org/v?id=4 for details."]) == []


def test_one_counts_only_against_another_figure() -> None:
    assert kinds(one_edit(3, "One second round of talks has not been scheduled.")) == [("text", "changed")]
    changes = changes_between(["One soldier died in the attack."], ["Two soldiers died in the attack."])
    assert (changes[0].kind, changes[0].before_value, changes[0].after_value) == ("figure", "One", "Two")


def test_correction_points_at_the_change_it_explains() -> None:
    before = Article(headline="Bridge reopens", paragraphs=["The bridge is in Ashby County, officials said.", "Crews worked overnight."])
    after = Article(
        headline="Bridge reopens",
        paragraphs=[
            "The bridge is in Brennan County, officials said.",
            "Crews worked overnight.",
            "Correction: An earlier version of this article misstated the county in which the bridge lies.",
        ],
    )
    changes = classify(diff_articles(before, after))
    correction = next(change for change in changes if change.kind == "correction")
    assert changes[correction.explains].before == "The bridge is in Ashby County, officials said."
    assert correction.to_dict()["explains"] == correction.explains
