"""Drawing papers: quotas met exactly whenever feasible, never a short paper."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.attempts import paper_from_json, paper_to_json
from app.domain.blueprints import BANDS, Blueprint, Section, band_of
from app.domain.papers import InfeasibleBlueprint, PoolItem, check_feasibility, draw_paper

TOPICS = ("宪法", "民法典", "行政法", "公务员法")
TYPES = ("single", "multiple", "judge")


def pool_items(entries: list[tuple[str, str, int, str]]) -> list[PoolItem]:
    items = []
    for number, (qtype, topic, difficulty, status) in enumerate(entries):
        keys = () if qtype == "judge" else ("A", "B", "C", "D")
        items.append(
            PoolItem(f"q{number:04d}", number + 1, 1, qtype, topic, difficulty, keys, status)
        )
    return items


pools = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.sampled_from(TOPICS),
        st.integers(1, 5),
        st.sampled_from(("approved", "approved", "approved", "draft", "needs_review", "retired")),
    ),
    min_size=0,
    max_size=80,
).map(pool_items)


@st.composite
def sections(draw: st.DrawFn) -> Section:
    qtype = draw(st.sampled_from(TYPES))
    count = draw(st.integers(1, 12))
    topics: tuple[tuple[str, int], ...] = ()
    difficulty: tuple[tuple[str, int], ...] = ()
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True))
        topics = tuple(_split(count, chosen, draw))
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(tuple(BANDS)), min_size=1, max_size=3, unique=True))
        difficulty = tuple(_split(count, chosen, draw))
    return Section(f"第{count}节", qtype, count, Fraction(2), topics, difficulty)


def _split(count: int, names: list[str], draw: st.DrawFn) -> list[tuple[str, int]]:
    cuts = sorted(
        draw(st.lists(st.integers(0, count), min_size=len(names) - 1, max_size=len(names) - 1))
    )
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, count], strict=True)]
    return [(name, size) for name, size in zip(names, sizes, strict=True) if size]


# A blueprint has one section per type (the validator enforces it).
blueprints = st.lists(sections(), min_size=1, max_size=3, unique_by=lambda s: s.type).map(
    lambda secs: Blueprint("bp", "试卷", "annual", 60, Fraction(1), tuple(secs))
)


@settings(max_examples=300, deadline=None)
@given(blueprints, pools, st.integers(0, 2**31 - 1))
def test_quotas_are_met_exactly_or_the_draw_is_refused(blueprint, pool, seed):
    by_id = {item.question_id: item for item in pool}
    shortfalls = check_feasibility(blueprint, pool)
    try:
        paper = draw_paper(blueprint, pool, random.Random(seed), seed)
    except InfeasibleBlueprint as refused:
        assert refused.shortfalls, "a refusal names what falls short"
        assert shortfalls, "the feasibility check agrees with the draw"
        named = {shortfall.section for shortfall in refused.shortfalls}
        assert named <= {section.title for section in blueprint.sections}
        for shortfall in refused.shortfalls:
            assert shortfall.needed > shortfall.available
        return
    assert shortfalls == []
    drawn = [item.question_id for item in paper.items]
    assert len(drawn) == len(set(drawn)), "no question twice in a paper"
    for section, paper_section in zip(blueprint.sections, paper.sections, strict=True):
        items = [by_id[item.question_id] for item in paper_section.items]
        assert len(items) == section.count, "never a short section"
        assert all(item.type == section.type and item.status == "approved" for item in items)
        if section.topics:
            assert Counter(item.topic for item in items) == Counter(dict(section.topics))
        if section.difficulty:
            bands = Counter(band_of(item.difficulty) for item in items)
            assert bands == Counter(dict(section.difficulty))


@settings(max_examples=100, deadline=None)
@given(blueprints, pools, st.integers(0, 2**31 - 1))
def test_the_same_seed_gives_the_same_paper(blueprint, pool, seed):
    try:
        first = draw_paper(blueprint, pool, random.Random(seed), seed)
    except InfeasibleBlueprint:
        return
    second = draw_paper(blueprint, list(reversed(pool)), random.Random(seed), seed)
    assert first == second
    assert paper_from_json(paper_to_json(first, Fraction(1))) == first


def test_shortfall_names_section_topic_and_band_and_counts():
    pool = pool_items(
        [("single", "宪法", 4, "approved")] * 2
        + [("single", "宪法", 1, "approved")] * 10
        + [("single", "民法典", 5, "approved")] * 5
    )
    section = Section(
        "单项选择题", "single", 6, Fraction(2), (("宪法", 6),), (("easy", 2), ("hard", 4))
    )
    blueprint = Blueprint("bp", "试卷", "annual", 60, Fraction(1), (section,))
    [shortfall] = check_feasibility(blueprint, pool)
    assert shortfall.section == "单项选择题"
    assert shortfall.topics == ("宪法",)
    assert shortfall.bands == ("hard",)
    assert (shortfall.needed, shortfall.available, shortfall.short_by) == (4, 2, 2)


def test_draft_retired_and_flagged_questions_never_enter_papers():
    pool = pool_items(
        [
            ("judge", "宪法", 3, status)
            for status in ("draft", "retired", "needs_review", "approved")
        ]
    )
    blueprint = Blueprint(
        "bp", "试卷", "practice", 10, Fraction(1), (Section("判断题", "judge", 1, Fraction(1)),)
    )
    paper = draw_paper(blueprint, pool, random.Random(3), 3)
    assert [item.question_id for item in paper.items] == ["q0003"]
    bigger = Blueprint(
        "bp", "试卷", "practice", 10, Fraction(1), (Section("判断题", "judge", 2, Fraction(1)),)
    )
    assert check_feasibility(bigger, pool)[0].short_by == 1


def test_least_exposed_questions_are_preferred():
    pool = pool_items([("single", "宪法", 3, "approved")] * 10)
    blueprint = Blueprint(
        "bp", "试卷", "practice", 10, Fraction(1), (Section("单选", "single", 3, Fraction(1)),)
    )
    exposure = {f"q{n:04d}": 5 for n in range(10)} | {"q0002": 0, "q0007": 0, "q0009": 1}
    paper = draw_paper(blueprint, pool, random.Random(1), 1, exposure)
    assert {item.question_id for item in paper.items} == {"q0002", "q0007", "q0009"}


def test_options_are_shuffled_but_judge_questions_never():
    pool = pool_items([("single", "宪法", 3, "approved")] * 30 + [("judge", "宪法", 3, "approved")])
    blueprint = Blueprint(
        "bp",
        "试卷",
        "practice",
        10,
        Fraction(1),
        (Section("单选", "single", 30, Fraction(1)), Section("判断", "judge", 1, Fraction(1))),
    )
    paper = draw_paper(blueprint, pool, random.Random(5), 5)
    orders = {item.option_order for item in paper.sections[0].items}
    assert all(sorted(order) == ["A", "B", "C", "D"] for order in orders)
    assert len(orders) > 1
    assert paper.sections[1].items[0].option_order == ()
    plain = Blueprint(
        "bp",
        "试卷",
        "practice",
        10,
        Fraction(1),
        blueprint.sections,
        shuffle_questions=False,
        shuffle_options=False,
    )
    unshuffled = draw_paper(plain, pool, random.Random(5), 5)
    assert all(item.option_order == ("A", "B", "C", "D") for item in unshuffled.sections[0].items)
    ids = [item.question_id for item in unshuffled.sections[0].items]
    assert ids == sorted(ids)
