"""Grading a paper. The rules, as candidates are told on the start page:

- Single-choice and judge questions: the full points for the right answer,
  nothing otherwise.
- Multiple-choice questions, by the section's partial-credit rule:
  `none`: the full points only for exactly the right set of options;
  `half`: the full points for exactly the right set; half the points for a
  correct but incomplete choice (at least one right option and no wrong one);
  nothing when any chosen option is wrong or nothing is chosen.
- The section score is the sum of its questions; the total is the sum of the
  sections; the paper is passed when the total reaches the pass score.

Candidates choose the letters they see. Options are shuffled per paper, so
each displayed letter is mapped back to the question's own key first; a judge
question always shows A = 正确 (true) and B = 错误 (false).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.domain.papers import Paper, PaperItem

DISPLAY_KEYS = "ABCDEFGH"
JUDGE_KEYS = {"A": True, "B": False}


@dataclass(frozen=True)
class AnswerKey:
    """What a question version accepts: its type and its key in its own option letters."""

    type: str
    answer: tuple[str, ...] | bool


@dataclass(frozen=True)
class ItemResult:
    position: int
    earned: Fraction
    points: Fraction
    correct: bool
    partial: bool


@dataclass(frozen=True)
class SectionResult:
    title: str
    score: Fraction
    max_score: Fraction


@dataclass(frozen=True)
class GradeResult:
    score: Fraction
    max_score: Fraction
    passed: bool
    sections: tuple[SectionResult, ...]
    items: tuple[ItemResult, ...]


def displayed_keys(item: PaperItem, question_type: str) -> tuple[str, ...]:
    """The letters the candidate sees for this item."""
    if question_type == "judge":
        return ("A", "B")
    return tuple(DISPLAY_KEYS[: len(item.option_order)])


def to_original(
    item: PaperItem, question_type: str, choice: Sequence[str]
) -> tuple[str, ...] | bool | None:
    """The candidate's displayed letters as the question's own answer; None when empty."""
    if not choice:
        return None
    if question_type == "judge":
        return JUDGE_KEYS[choice[0]]
    return tuple(sorted(item.option_order[DISPLAY_KEYS.index(key)] for key in choice))


def to_displayed(item: PaperItem, answer: tuple[str, ...] | bool) -> tuple[str, ...]:
    """A question's own answer as the letters this candidate saw (for review)."""
    if isinstance(answer, bool):
        return ("A",) if answer else ("B",)
    return tuple(sorted(DISPLAY_KEYS[item.option_order.index(key)] for key in answer))


def invalid_choice(item: PaperItem, question_type: str, choice: Sequence[str]) -> str | None:
    """Why a choice cannot be saved for this item, or None when it can."""
    allowed = displayed_keys(item, question_type)
    if len(set(choice)) != len(choice):
        return "repeated_key"
    if any(key not in allowed for key in choice):
        return "unknown_key"
    if question_type in ("single", "judge") and len(choice) > 1:
        return "one_key_only"
    return None


def score_item(
    question_type: str,
    key: tuple[str, ...] | bool,
    chosen: tuple[str, ...] | bool | None,
    points: Fraction,
    partial_credit: str,
) -> tuple[Fraction, bool, bool]:
    """(earned, fully correct, partly correct) for one item."""
    if chosen is None:
        return Fraction(0), False, False
    if question_type in ("single", "judge"):
        right = chosen == key
        return (points if right else Fraction(0)), right, False
    chosen_set, key_set = set(chosen), set(key)  # type: ignore[arg-type]
    if chosen_set == key_set:
        return points, True, False
    if partial_credit == "half" and chosen_set and chosen_set < key_set:
        return points / 2, False, True
    return Fraction(0), False, False


def grade(
    paper: Paper,
    keys: Mapping[int, AnswerKey],
    choices: Mapping[int, Sequence[str]],
    pass_score: Fraction,
) -> GradeResult:
    """Grade a frozen paper. `keys` and `choices` are by version id and by position (1..N)."""
    items: list[ItemResult] = []
    sections: list[SectionResult] = []
    position = 0
    for section in paper.sections:
        section_score = Fraction(0)
        for item in section.items:
            position += 1
            key = keys[item.version_id]
            chosen = to_original(item, key.type, choices.get(position, ()))
            earned, correct, partial = score_item(
                key.type, key.answer, chosen, item.points, section.partial_credit
            )
            items.append(ItemResult(position, earned, item.points, correct, partial))
            section_score += earned
        sections.append(
            SectionResult(section.title, section_score, section.points * len(section.items))
        )
    total = sum((s.score for s in sections), Fraction(0))
    maximum = sum((s.max_score for s in sections), Fraction(0))
    return GradeResult(total, maximum, total >= pass_score, tuple(sections), tuple(items))
