"""Property: any valid bank survives dump_laws/dump_topic -> load_bank unchanged.

The bank is generated as the validator would produce it: text fields that the
validator keeps exactly (stem, options, explanation) may hold anything a person
types, including leading and trailing spaces; fields it trims (article, titles,
versions, tags, topics) are generated trimmed.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.domain import bank as core

AWKWARD = [
    "yes",
    "no",
    "No",
    "on",
    "off",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "0",
    "007",
    "0x1F",
    "1e3",
    "1.50",
    ".inf",
    "-.5",
    "2021-01-01",
    "12:30",
    "-",
    "- ",
    "-1",
    "? ",
    "#",
    " # ",
    "a#b",
    ": ",
    ":",
    "'",
    '"',
    "\\",
    "\\n",
    "---",
    "...",
    "|",
    ">",
    "&a",
    "*a",
    "!tag",
    "%TAG",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "<b>",
    "&amp;",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    " \n",
    "\n ",
    "　",
    "中华人民共和国宪法",
    "憲法與國家",
    "（　　）",
    "，。；：？！",
    "“引号”‘单’",
    "「」『』【】《》",
    "第二条第一款",
    "①②③",
    "😀",
]

# Anything a person types: no surrogates and no control characters but newline and tab.
TYPED = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t")
FRAGMENT = st.sampled_from(AWKWARD) | st.text(TYPED, min_size=1, max_size=6)
RAW_TEXT = st.lists(FRAGMENT, max_size=5).map("".join)
NON_BLANK = RAW_TEXT.filter(lambda text: bool(text.strip()))
TRIMMED = NON_BLANK.map(str.strip)
IDS = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
KEYS = "ABCDEFGH"


@st.composite
def laws(draw) -> dict[str, core.Law]:
    ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    result = {}
    for law_id in ids:
        others = [other for other in ids if other != law_id]
        result[law_id] = core.Law(
            id=law_id,
            title=draw(TRIMMED),
            version=draw(TRIMMED | st.from_regex(r"[0-9]{4}", fullmatch=True)),
            effective=draw(st.dates(min_value=date(1000, 1, 1))),
            status=draw(st.sampled_from(core.LAW_STATUSES)),
            replaced_by=draw(st.sampled_from(["", *others])),
        )
    return result


@st.composite
def contents(draw, law_ids: list[str], topic: str) -> tuple[core.QuestionContent, str]:
    qtype = draw(st.sampled_from(core.QUESTION_TYPES))
    status = draw(st.sampled_from(core.QUESTION_STATUSES))
    if qtype == "judge":
        options: tuple[tuple[str, str], ...] = ()
        answer: tuple[str, ...] | bool = draw(st.booleans())
    else:
        low, high = core.OPTION_LIMITS[qtype]
        texts = draw(st.lists(NON_BLANK, min_size=low, max_size=high, unique_by=str.strip))
        options = tuple(zip(KEYS, texts, strict=False))
        keys = [key for key, _ in options]
        if qtype == "single":
            answer = (draw(st.sampled_from(keys)),)
        else:
            answer = tuple(sorted(draw(st.lists(st.sampled_from(keys), min_size=2, unique=True))))
    cited = status != "draft" or draw(st.booleans())
    law = draw(st.sampled_from(law_ids)) if cited else ""
    article = draw(TRIMMED) if cited else draw(st.just("") | TRIMMED)
    content = core.QuestionContent(
        type=qtype,
        stem=draw(NON_BLANK),
        options=options,
        answer=answer,
        law=law,
        article=article,
        explanation=draw(RAW_TEXT),
        difficulty=draw(st.integers(1, 5)),
        tags=tuple(draw(st.lists(TRIMMED, max_size=3))),
        topic=topic,
    )
    return content, status


@st.composite
def banks(draw) -> tuple[dict[str, core.Law], dict[str, list[core.Question]]]:
    registry = draw(laws())
    topics = draw(st.lists(TRIMMED, min_size=1, max_size=3, unique=True))
    ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    by_topic: dict[str, list[core.Question]] = {topic: [] for topic in topics}
    for question_id in ids:
        topic = draw(st.sampled_from(topics))
        content, status = draw(contents(sorted(registry), topic))
        by_topic[topic].append(core.Question(question_id, content, status))
    return registry, {topic: questions for topic, questions in by_topic.items() if questions}


def dump(
    registry: dict[str, core.Law], by_topic: dict[str, list[core.Question]]
) -> list[tuple[str, str]]:
    files = [("bank/laws.yaml", core.dump_laws(registry.values()))]
    for number, (topic, questions) in enumerate(by_topic.items()):
        files.append((f"bank/topic-{number}.yaml", core.dump_topic(topic, questions)))
    return files


def reread(bank: core.Bank) -> dict[str, list[core.Question]]:
    by_topic: dict[str, list[core.Question]] = {}
    for question in bank.questions:
        by_topic.setdefault(question.content.topic, []).append(question)
    return by_topic


def one_question(**changes: object) -> tuple[dict[str, core.Law], dict[str, list[core.Question]]]:
    law = core.Law("xianfa", "宪法", "2018修正", date(2018, 3, 11))
    fields = {
        "type": "judge",
        "stem": "题干",
        "options": (),
        "answer": True,
        "law": "xianfa",
        "article": "第一条",
        "explanation": "",
        "difficulty": 3,
        "tags": (),
        "topic": "宪法",
    }
    fields.update(changes)
    content = core.QuestionContent(**fields)  # type: ignore[arg-type]
    return {"xianfa": law}, {"宪法": [core.Question("q-1", content)]}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(banks())
@example(one_question(explanation="末尾两个换行\n\n"))
@example(one_question(explanation="\n"))
@example(one_question(stem="行一\n行二\n", explanation="  缩进开头\n第二行"))
@example(one_question(stem="yes", article="007", tags=("null", "~", "- x")))
@example(one_question(stem="分隔\u2028符", explanation="段落\u2029分隔"))
def test_dump_then_load_gives_back_the_same_bank(generated):
    registry, by_topic = generated
    files = dump(registry, by_topic)

    bank = core.load_bank(files)

    assert bank.errors == []
    assert bank.laws == registry
    expected = {q.id: (q.content, q.status) for qs in by_topic.values() for q in qs}
    assert {q.id: (q.content, q.status) for q in bank.questions} == expected
    again = dump(bank.laws, reread(bank))
    assert [text for _, text in again] == [text for _, text in files]
