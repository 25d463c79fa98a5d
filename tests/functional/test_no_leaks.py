"""A candidate in the middle of an exam crawls everything it can reach and finds no secret.

Every GET route in the URL map is fetched with ids from the candidate's own exams and
attempts (so pages added later are crawled too), together with every reply of the
API's write routes. No page or reply may hold a drawn question's explanation, legal
basis, seed, id, version or canonical option order, nor a field that carries a key.
The candidate's finished attempts are on exams whose review is not open yet
("never" and "after_close" before the close), so nothing there may show keys either.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from app.domain.attempts import paper_from_json
from app.domain.people import Role
from app.models import Attempt, Law, QuestionVersion
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user
from tests.functional.test_attacks import sign_in
from tests.functional.test_headers_and_caching import paths_for

# Fields that carry a key, the grading or the paper's internals: never in a reply.
FORBIDDEN_FIELDS = {
    "answer",
    "answers_key",
    "answer_key",
    "correct",
    "correct_answer",
    "explanation",
    "seed",
    "option_order",
    "question_id",
    "version_id",
    "version",
    "review",
    "law",
    "article",
    "paper",
    "item_scores",
    "earned",
    "difficulty",
}
# Words of the internals that must not be in a page or a reply's text at all.
FORBIDDEN_WORDS = ("option_order", "version_id", "question_id", '"seed"', '"answer"', "answers_key")
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_.-]{30,}")
# Markup only the review shows (keys, explanations).
REVIEW_MARKUP = (
    'class="review-option',
    "is-key",
    "review-explanation",
    'data-answer="',
    'data-key="',
)


def walk(value, path="$"):
    if isinstance(value, dict):
        yield path, value
        for name, inner in value.items():
            yield from walk(inner, f"{path}.{name}")
    elif isinstance(value, list):
        yield path, value
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")
    else:
        yield path, value


class Secrets:
    """What the candidate must not learn about the papers it holds."""

    def __init__(self, session, attempt_ids: list[int]) -> None:
        session.expire_all()
        self.seeds: list[int] = []
        self.items = []  # (attempt id, paper item, version)
        for attempt_id in attempt_ids:
            row = session.get(Attempt, attempt_id)
            self.seeds.append(row.seed)
            for item in paper_from_json(row.paper).items:
                self.items.append((attempt_id, item, session.get(QuestionVersion, item.version_id)))
        shown = "\n".join(
            [v.stem for _, _, v in self.items]
            + [text for _, _, v in self.items for _, text in v.options]
        )
        titles = {law.id: law.title for law in session.scalars(select(Law))}
        self.texts: dict[str, str] = {}  # forbidden text -> what it is
        for _, item, version in self.items:
            self.texts[item.question_id] = f"question id of {item.question_id}"
            if version.explanation.strip():
                self.texts[version.explanation.strip()] = f"explanation of {item.question_id}"
            # The legal basis, unless the stem or an option quotes it anyway.
            if version.article and version.article not in shown:
                self.texts[version.article] = f"article of {item.question_id}"
            title = titles.get(version.law_id or "", "")
            if title and title not in shown:
                self.texts[title] = f"law title of {item.question_id}"
        self.orders = [
            item.option_order
            for _, item, _ in self.items
            if item.option_order and list(item.option_order) != sorted(item.option_order)
        ]

    def check_text(self, text: str, where: str) -> None:
        # CSRF tokens and the like are long runs of random letters and digits: drop them,
        # or a seed or a "BDAC" could turn up in one by chance.
        plain = TOKEN_LIKE.sub(" ", html.unescape(text))
        for secret, what in self.texts.items():
            assert secret not in plain, (where, what)
        for word in FORBIDDEN_WORDS:
            assert word not in plain, (where, word)
        for seed in self.seeds:
            if seed >= 1000:  # a tiny seed would match any small number
                assert not re.search(rf"(?<!\d){seed}(?!\d)", plain), (where, "seed")
        for order in self.orders:
            for joined in ("".join(order), ",".join(order), ", ".join(order), "、".join(order)):
                pattern = rf"(?<![A-Za-z]){re.escape(joined)}(?![A-Za-z])"
                assert not re.search(pattern, plain), (where, "canonical order", order)

    def check_json(self, body, where: str) -> None:
        for path, value in walk(body):
            if isinstance(value, dict):
                leaked = FORBIDDEN_FIELDS & set(value)
                assert not leaked, (where, path, leaked)
                if "key" in value:  # only an option carries a key: its displayed letter
                    assert set(value) == {"key", "text"}, (where, path)
                    assert re.fullmatch("[A-H]", value["key"]), (where, path)
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                assert tuple(value) not in self.orders, (where, path, "canonical order")
            elif isinstance(value, int) and not isinstance(value, bool):
                assert value not in self.seeds, (where, path, "seed")
        self.check_text(json.dumps(body, ensure_ascii=False), where)


@pytest.fixture
def sitting(app, client, db_session):
    """A candidate mid-exam, with finished attempts whose review is not open yet."""
    load_starter_bank(db_session)
    candidate = make_user(Role.CANDIDATE)
    staff = (candidate.cadre.staff_no,)
    main = open_exam(
        db_session, blueprint="annual-standard", kind="annual", staff_nos=staff, title="年度考试"
    )
    never = open_exam(db_session, staff_nos=staff, review="never", title="不公布答案")
    after_close = open_exam(db_session, staff_nos=staff, review="after_close", title="闭考后公布")
    waiting = open_exam(db_session, staff_nos=staff, title="尚未开始")
    token = sign_in(client, candidate)
    headers = {"X-CSRFToken": token}
    replies = []

    def record(response):
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
        replies.append((f"{response.request.method} {response.request.path}", response))
        return response

    finished = []
    for exam in (never, after_close):
        started = record(client.post(f"/api/exams/{exam.id}/attempts", headers=headers))
        attempt_id = started.get_json()["id"]
        record(
            client.put(
                f"/api/attempts/{attempt_id}/answers/1",
                json={"choice": ["A"], "seq": 1},
                headers=headers,
            )
        )
        submitted = record(client.post(f"/api/attempts/{attempt_id}/submit", headers=headers))
        assert submitted.get_json()["review_allowed"] is False
        finished.append(attempt_id)

    started = record(client.post(f"/api/exams/{main.id}/attempts", headers=headers))
    assert started.status_code == 201
    live = started.get_json()["id"]
    record(client.post(f"/api/exams/{main.id}/attempts", headers=headers))  # resume
    body = started.get_json()
    items = [item for section in body["sections"] for item in section["items"]]
    for item in items[:15]:
        keys = [option["key"] for option in item["options"]]
        record(
            client.put(
                f"/api/attempts/{live}/answers/{item['position']}",
                json={"choice": keys[:1], "seq": 2, "flagged": item["position"] % 2 == 0},
                headers=headers,
            )
        )
    # An ignored save, refused saves and a refused result.
    record(
        client.put(
            f"/api/attempts/{live}/answers/1", json={"choice": [], "seq": 1}, headers=headers
        )
    )
    record(
        client.put(
            f"/api/attempts/{live}/answers/1", json={"choice": ["Z"], "seq": 9}, headers=headers
        )
    )
    record(
        client.put(
            f"/api/attempts/{live}/answers/9999", json={"choice": ["A"], "seq": 9}, headers=headers
        )
    )
    record(client.get(f"/api/attempts/{live}/result"))
    return {
        "candidate": candidate,
        "live": live,
        "finished": finished,
        "exams": {
            "main": main.id,
            "never": never.id,
            "after_close": after_close.id,
            "waiting": waiting.id,
        },
        "replies": replies,
        "items": items,
    }


def crawl(app, client, sitting) -> list[tuple[str, object]]:
    """Every GET route with the candidate's own ids, plus the finished attempts' pages."""
    live, exams = sitting["live"], sitting["exams"]
    values = {
        "attempt_id": live,
        "exam_id": exams["main"],
        "cadre_id": sitting["candidate"].cadre_id,
        "unit_id": sitting["candidate"].cadre.unit_id,
        "position": 1,
    }
    paths = set(paths_for(app, values))
    for attempt_id in sitting["finished"]:
        paths |= set(paths_for(app, values | {"attempt_id": attempt_id}))
    for exam_id in exams.values():
        paths |= set(paths_for(app, values | {"exam_id": exam_id}))
    pages = []
    for path in sorted(paths):
        response = client.get(path, follow_redirects=True)
        assert response.status_code < 500, (path, response.status_code)
        pages.append((f"GET {path}", response))
    return pages


def test_a_crawl_mid_exam_finds_no_key_explanation_seed_or_canonical_order(
    app, client, db_session, sitting
):
    secrets = Secrets(db_session, [sitting["live"], *sitting["finished"]])
    assert len(secrets.items) > 40
    assert secrets.orders, "the blueprint shuffles options: some orders differ from A, B, C…"
    assert any("explanation" in what for what in secrets.texts.values())

    responses = sitting["replies"] + crawl(app, client, sitting)
    opened = {where for where, response in responses if response.status_code == 200}
    # The crawl reached the exam itself, not only refusals.
    live = sitting["live"]
    assert f"GET /api/attempts/{live}" in opened
    assert f"GET /candidate/attempts/{live}" in opened
    assert "GET /api/exams" in opened and "GET /candidate/" in opened

    checked = 0
    for where, response in responses:
        text = response.get_data(as_text=True)
        if where == "GET /api/openapi.json":  # a schema: field names, no data
            secrets.check_text(text, where)
        elif response.is_json:
            secrets.check_json(response.get_json(), where)
        else:
            secrets.check_text(text, where)
            if response.mimetype == "text/html":
                for markup in REVIEW_MARKUP:
                    assert markup not in text, (where, markup)
        checked += 1
    assert checked > 20


def test_the_options_are_shuffled_and_the_mapping_stays_on_the_server(db_session, sitting):
    """The JSON shows displayed letters A.. in order; the texts follow this candidate's
    permutation, which differs from the canonical order for some items, and no reply
    holds the permutation itself."""
    secrets = Secrets(db_session, [sitting["live"]])
    shown = {item["position"]: item for item in sitting["items"]}
    differing = 0
    for position, (_, item, version) in enumerate(secrets.items, start=1):
        options = shown[position]["options"]
        letters = [option["key"] for option in options]
        assert letters == list("ABCDEFGH"[: len(letters)])
        if version.type == "judge":
            continue
        texts = dict(version.options)
        assert [option["text"] for option in options] == [texts[key] for key in item.option_order]
        canonical = [text for _, text in version.options]
        if [option["text"] for option in options] != canonical:
            differing += 1
    assert differing >= 3
    everything = Secrets(db_session, [sitting["live"], *sitting["finished"]])
    for where, response in sitting["replies"]:
        if response.is_json:
            everything.check_json(response.get_json(), where)


def test_the_finished_attempts_show_a_score_but_no_review(client, db_session, sitting):
    for attempt_id in sitting["finished"]:
        result = client.get(f"/api/attempts/{attempt_id}/result")
        assert result.status_code == 200
        body = result.get_json()
        assert body["review_allowed"] is False and "review" not in body
        page = client.get(f"/candidate/attempts/{attempt_id}/result")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        for markup in REVIEW_MARKUP:
            assert markup not in text, markup
