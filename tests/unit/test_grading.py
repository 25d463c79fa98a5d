"""Grading: bounds, full marks for the key, permutation invariance, the half-credit rule.

The rules are those of app/domain/grading.py's docstring, as candidates read them.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.grading import (
    DISPLAY_KEYS,
    AnswerKey,
    displayed_keys,
    grade,
    invalid_choice,
    score_item,
    to_displayed,
    to_original,
)
from app.domain.papers import Paper, PaperItem, PaperSection

TYPES = ("single", "multiple", "judge")
POINTS = st.sampled_from([Fraction(1), Fraction(2), Fraction(3, 2), Fraction(5)])


# ---- strategies ---------------------------------------------------------------------------


@st.composite
def questions(draw: st.DrawFn, qtype: str) -> tuple[tuple[str, ...], AnswerKey]:
    """A question's own option keys (A, B, … in order) and its key."""
    if qtype == "judge":
        return (), AnswerKey("judge", draw(st.booleans()))
    count = draw(st.integers(2 if qtype == "single" else 3, len(DISPLAY_KEYS)))
    keys = tuple(DISPLAY_KEYS[:count])
    if qtype == "single":
        return keys, AnswerKey("single", (draw(st.sampled_from(keys)),))
    answer = draw(st.lists(st.sampled_from(keys), min_size=2, max_size=count, unique=True))
    return keys, AnswerKey("multiple", tuple(sorted(answer)))


@st.composite
def papers(draw: st.DrawFn) -> tuple[Paper, dict[int, AnswerKey]]:
    """A paper of one to three sections with shuffled options, and the keys by version id."""
    keys: dict[int, AnswerKey] = {}
    sections = []
    types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))
    for qtype in types:
        points = draw(POINTS)
        items = []
        for _ in range(draw(st.integers(1, 6))):
            option_keys, key = draw(questions(qtype))
            version_id = len(keys) + 1
            keys[version_id] = key
            order = tuple(draw(st.permutations(option_keys))) if option_keys else ()
            items.append(PaperItem(f"q{version_id}", version_id, 1, order, points, 3))
        partial = draw(st.sampled_from(("none", "half"))) if qtype == "multiple" else "none"
        sections.append(PaperSection(f"{qtype}题", qtype, points, partial, tuple(items)))
    return Paper("bp", 1, tuple(sections)), keys


def types_by_position(paper: Paper) -> list[str]:
    return [section.type for section in paper.sections for _ in section.items]


@st.composite
def valid_choices(draw: st.DrawFn, paper: Paper) -> dict[int, list[str]]:
    """Any choice the API would accept, per position (some left unanswered)."""
    choices: dict[int, list[str]] = {}
    for position, (item, qtype) in enumerate(
        zip(paper.items, types_by_position(paper), strict=True), start=1
    ):
        shown = displayed_keys(item, qtype)
        if qtype == "multiple":
            choice = draw(st.lists(st.sampled_from(shown), max_size=len(shown), unique=True))
        else:
            choice = draw(st.lists(st.sampled_from(shown), max_size=1))
        if choice or draw(st.booleans()):
            choices[position] = choice
    return choices


# ---- properties ---------------------------------------------------------------------------


@given(data=st.data())
def test_scores_stay_within_bounds(data):
    paper, keys = data.draw(papers())
    choices = data.draw(valid_choices(paper))
    result = grade(paper, keys, choices, Fraction(0))
    maximum = sum((item.points for item in paper.items), Fraction(0))
    assert result.max_score == maximum
    assert 0 <= result.score <= result.max_score
    for section, section_result in zip(paper.sections, result.sections, strict=True):
        assert 0 <= section_result.score <= section_result.max_score
        assert section_result.max_score == section.points * len(section.items)
    assert result.score == sum((s.score for s in result.sections), Fraction(0))
    assert result.score == sum((i.earned for i in result.items), Fraction(0))
    assert [i.position for i in result.items] == list(range(1, len(paper.items) + 1))
    for item in result.items:
        assert item.earned in (0, item.points, item.points / 2)
        assert not (item.correct and item.partial)
        assert item.correct == (item.earned == item.points)


@given(data=st.data())
def test_choosing_the_key_gives_full_marks(data):
    paper, keys = data.draw(papers())
    choices = {
        position: list(to_displayed(item, keys[item.version_id].answer))
        for position, item in enumerate(paper.items, start=1)
    }
    result = grade(paper, keys, choices, pass_score=Fraction(0))
    assert result.score == result.max_score
    assert all(item.correct for item in result.items)
    assert grade(paper, keys, choices, result.max_score).passed


@given(data=st.data())
def test_the_score_does_not_depend_on_the_option_permutation(data):
    """The same original choice, shown under two option orders, earns the same."""
    qtype = data.draw(st.sampled_from(("single", "multiple")))
    option_keys, key = data.draw(questions(qtype))
    partial = data.draw(st.sampled_from(("none", "half")))
    if qtype == "single":
        original = tuple(data.draw(st.lists(st.sampled_from(option_keys), max_size=1)))
    else:
        original = tuple(sorted(data.draw(st.lists(st.sampled_from(option_keys), unique=True))))
    earned = set()
    for _ in range(3):
        order = tuple(data.draw(st.permutations(option_keys)))
        item = PaperItem("q1", 1, 1, order, Fraction(2), 3)
        shown = list(to_displayed(item, original)) if original else []
        assert to_original(item, qtype, shown) == (original or None)
        paper = Paper("bp", 1, (PaperSection("s", qtype, Fraction(2), partial, (item,)),))
        earned.add(grade(paper, {1: key}, {1: shown}, Fraction(0)).score)
    assert len(earned) == 1


@given(data=st.data())
def test_judge_items_read_a_true_b_false_whatever_the_paper(data):
    answer = data.draw(st.booleans())
    item = PaperItem("j1", 1, 1, (), Fraction(1), 2)
    assert displayed_keys(item, "judge") == ("A", "B")
    assert to_displayed(item, answer) == (("A",) if answer else ("B",))
    assert to_original(item, "judge", ["A"]) is True
    assert to_original(item, "judge", ["B"]) is False
    paper = Paper("bp", 1, (PaperSection("判断", "judge", Fraction(1), "none", (item,)),))
    key = {1: AnswerKey("judge", answer)}
    right, wrong = ("A", "B") if answer else ("B", "A")
    assert grade(paper, key, {1: [right]}, Fraction(0)).score == 1
    assert grade(paper, key, {1: [wrong]}, Fraction(0)).score == 0
    assert grade(paper, key, {}, Fraction(0)).score == 0


@st.composite
def multiple_cases(draw: st.DrawFn) -> tuple[tuple[str, ...], set[str], set[str]]:
    option_keys, key = draw(questions("multiple"))
    chosen = set(draw(st.lists(st.sampled_from(option_keys), unique=True)))
    return option_keys, set(key.answer), chosen


@given(case=multiple_cases(), points=POINTS)
def test_half_credit_rule(case, points):
    _, key, chosen = case
    earned, correct, partial = score_item(
        "multiple", tuple(sorted(key)), tuple(sorted(chosen)) or None, points, "half"
    )
    if chosen == key:
        assert (earned, correct, partial) == (points, True, False)
    elif chosen and chosen < key:  # a proper, non-empty subset with no wrong option
        assert (earned, correct, partial) == (points / 2, False, True)
    else:  # any wrong option, or nothing chosen
        assert (earned, correct, partial) == (0, False, False)


@given(case=multiple_cases(), points=POINTS)
def test_none_rule_is_all_or_nothing(case, points):
    _, key, chosen = case
    earned, correct, partial = score_item(
        "multiple", tuple(sorted(key)), tuple(sorted(chosen)) or None, points, "none"
    )
    assert not partial
    assert (earned, correct) == ((points, True) if chosen == key else (0, False))


@given(data=st.data())
def test_half_credit_rule_through_the_shuffled_paper(data):
    option_keys, key = data.draw(questions("multiple"))
    order = tuple(data.draw(st.permutations(option_keys)))
    item = PaperItem("m1", 1, 1, order, Fraction(2), 3)
    paper = Paper("bp", 1, (PaperSection("多选", "multiple", Fraction(2), "half", (item,)),))
    chosen = tuple(sorted(data.draw(st.lists(st.sampled_from(option_keys), unique=True))))
    shown = list(to_displayed(item, chosen)) if chosen else []
    score = grade(paper, {1: key}, {1: shown}, Fraction(0)).score
    key_set, chosen_set = set(key.answer), set(chosen)
    expected = (
        Fraction(2)
        if chosen_set == key_set
        else Fraction(1)
        if chosen_set and chosen_set < key_set
        else Fraction(0)
    )
    assert score == expected


@given(data=st.data(), pass_score=st.fractions(min_value=0, max_value=40, max_denominator=4))
def test_passed_exactly_when_the_total_reaches_the_pass_score(data, pass_score):
    paper, keys = data.draw(papers())
    choices = data.draw(valid_choices(paper))
    result = grade(paper, keys, choices, pass_score)
    assert result.passed == (result.score >= pass_score)
    at_the_line = grade(paper, keys, choices, result.score)
    assert at_the_line.passed
    if result.score > 0:
        assert not grade(paper, keys, choices, result.score + Fraction(1, 100)).passed


@given(data=st.data())
def test_displayed_letters_map_back_one_to_one(data):
    option_keys, _ = data.draw(questions("multiple"))
    order = tuple(data.draw(st.permutations(option_keys)))
    item = PaperItem("m1", 1, 1, order, Fraction(1), 3)
    shown = displayed_keys(item, "multiple")
    assert shown == tuple(DISPLAY_KEYS[: len(option_keys)])
    originals = [to_original(item, "multiple", [letter]) for letter in shown]
    assert sorted(o[0] for o in originals) == sorted(option_keys)
    for letter in shown:
        (original,) = to_original(item, "multiple", [letter])
        assert to_displayed(item, (original,)) == (letter,)


# ---- hand-computed examples ---------------------------------------------------------------


def example_paper(partial: str = "half") -> tuple[Paper, dict[int, AnswerKey]]:
    """Two single (2 points), two multiple (4 points), two judge (1 point): 14 in all."""
    single = PaperSection(
        "单项选择题",
        "single",
        Fraction(2),
        "none",
        (
            PaperItem("s1", 1, 1, ("C", "A", "D", "B"), Fraction(2), 2),  # A C D B shown
            PaperItem("s2", 2, 1, ("A", "B", "C", "D"), Fraction(2), 2),
        ),
    )
    multiple = PaperSection(
        "多项选择题",
        "multiple",
        Fraction(4),
        partial,
        (
            PaperItem("m1", 3, 1, ("D", "C", "B", "A"), Fraction(4), 3),
            PaperItem("m2", 4, 1, ("B", "A", "C", "D", "E"), Fraction(4), 3),
        ),
    )
    judge = PaperSection(
        "判断题",
        "judge",
        Fraction(1),
        "none",
        (PaperItem("j1", 5, 1, (), Fraction(1), 1), PaperItem("j2", 6, 1, (), Fraction(1), 1)),
    )
    keys = {
        1: AnswerKey("single", ("A",)),  # shown as B
        2: AnswerKey("single", ("C",)),  # shown as C
        3: AnswerKey("multiple", ("A", "B")),  # shown as C, D
        4: AnswerKey("multiple", ("A", "C", "E")),  # shown as B, C, E
        5: AnswerKey("judge", True),
        6: AnswerKey("judge", False),
    }
    return Paper("hand", 7, (single, multiple, judge)), keys


def test_hand_computed_paper_with_half_credit():
    paper, keys = example_paper("half")
    choices = {
        1: ["B"],  # right: displayed B is original A
        2: ["A"],  # wrong
        3: ["D"],  # displayed D is original A: a correct subset, half of 4
        4: ["B", "C", "E"],  # exactly the key
        5: ["B"],  # wrong: the statement is true
        6: ["B"],  # right
    }
    result = grade(paper, keys, choices, Fraction(9))
    assert [s.score for s in result.sections] == [2, 6, 1]
    assert [s.max_score for s in result.sections] == [4, 8, 2]
    assert (result.score, result.max_score, result.passed) == (9, 14, True)
    assert [i.earned for i in result.items] == [2, 0, 2, 4, 0, 1]
    assert [i.partial for i in result.items] == [False, False, True, False, False, False]
    assert not grade(paper, keys, choices, Fraction(19, 2)).passed


def test_hand_computed_paper_without_partial_credit():
    paper, keys = example_paper("none")
    choices = {1: ["B"], 3: ["D"], 4: ["B", "C", "E"], 6: ["B"]}
    result = grade(paper, keys, choices, Fraction(8))
    assert [s.score for s in result.sections] == [2, 4, 1]
    assert (result.score, result.passed) == (7, False)


def test_hand_computed_wrong_option_spoils_a_multiple():
    paper, keys = example_paper("half")
    # m1's key is displayed C, D; adding A (original D) is a wrong option: nothing.
    result = grade(paper, keys, {3: ["A", "D"], 4: ["B", "C"]}, Fraction(0))
    assert [i.earned for i in result.items][2:4] == [0, 2]


def test_odd_points_halve_exactly():
    item = PaperItem("m", 1, 1, ("A", "B", "C"), Fraction(3), 3)
    paper = Paper("bp", 1, (PaperSection("多选", "multiple", Fraction(3), "half", (item,)),))
    result = grade(paper, {1: AnswerKey("multiple", ("A", "B"))}, {1: ["A"]}, Fraction(3, 2))
    assert result.score == Fraction(3, 2)
    assert result.passed


def test_an_empty_paper_of_answers_scores_nothing():
    paper, keys = example_paper("half")
    result = grade(paper, keys, {}, Fraction(1))
    assert (result.score, result.max_score, result.passed) == (0, 14, False)
    assert grade(paper, keys, {}, Fraction(0)).passed


@pytest.mark.parametrize(
    ("qtype", "choice", "problem"),
    [
        ("single", ["A"], None),
        ("single", [], None),
        ("single", ["A", "B"], "one_key_only"),
        ("single", ["E"], "unknown_key"),
        ("single", ["a"], "unknown_key"),
        ("multiple", ["A", "C", "D"], None),
        ("multiple", ["A", "A"], "repeated_key"),
        ("judge", ["B"], None),
        ("judge", ["A", "B"], "one_key_only"),
        ("judge", ["C"], "unknown_key"),
    ],
)
def test_invalid_choices(qtype, choice, problem):
    order = () if qtype == "judge" else ("D", "A", "C", "B")
    item = PaperItem("q", 1, 1, order, Fraction(1), 3)
    assert invalid_choice(item, qtype, choice) == problem
