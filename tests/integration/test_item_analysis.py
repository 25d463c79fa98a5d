"""Item statistics on a known dataset: four candidates, three questions, computed by hand.

Every paper holds the same three questions in the same order, with its own option
order, so the displayed letters must be mapped back before options are counted:

    q-single   (A B C D, key A, 1 point)
    q-judge    (key true, 1 point)
    q-multiple (A B C D, key A C, 2 points, half for a correct subset)

    cand  single (order, shown -> own)  judge (shown)  multiple (order, shown -> own)  total
    c1    ABCD  A -> A      1         B false  0     ABCD  A C -> A C   2            3
    c2    BACD  B -> A      1         B false  0     ABCD  A   -> A     1 (half)     2
    c3    BACD  A -> B      0         A true   1     CDAB  B D -> D B   0            1
    c4    ABCD  blank       0         A true   1     CDAB  A B -> C D   0            1

Right (full points): single 1 1 0 0; judge 0 0 1 1; multiple 1 0 0 0.
The judge question is answered right by the weakest only: negative discrimination.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.domain.attempts import paper_to_json
from app.domain.bank import load_bank
from app.domain.papers import Paper, PaperItem, PaperSection
from app.domain.people import Role
from app.models import Answer, Attempt, AuditEvent, Blueprint, Exam, Question, QuestionVersion
from app.services import bank_io, item_analysis
from app.services.errors import Conflict
from app.timeutil import utcnow
from tests.conftest import post_form
from tests.factories import CadreFactory
from tests.functional.test_hr_support import sign_in, text

LAWS = "laws:\n  - {id: fa, title: 某法, version: '2020', effective: 2020-01-01}\n"
TOPIC = """topic: 测试
questions:
  - {id: q-single, type: single, difficulty: 2, stem: 单选题干,
     options: {A: 甲, B: 乙, C: 丙, D: 丁}, answer: A, law: fa, article: 第一条}
  - {id: q-judge, type: judge, difficulty: 2, stem: 判断题干, answer: true,
     law: fa, article: 第二条}
  - {id: q-multiple, type: multiple, difficulty: 3, stem: 多选题干,
     options: {A: 子, B: 丑, C: 寅, D: 卯}, answer: [A, C], law: fa, article: 第三条}
"""

# (single option order, single shown, judge shown, multiple option order, multiple shown,
#  earned per item, total)
CANDIDATES = [
    ("ABCD", ["A"], ["B"], "ABCD", ["A", "C"], ["1", "0", "2"], 3),
    ("BACD", ["B"], ["B"], "ABCD", ["A"], ["1", "0", "1"], 2),
    ("BACD", ["A"], ["A"], "CDAB", ["B", "D"], ["0", "1", "0"], 1),
    ("ABCD", [], ["A"], "CDAB", ["A", "B"], ["0", "1", "0"], 1),
]


@pytest.fixture
def dataset(db_session):
    session = db_session
    bank_io.import_bank(session, None, load_bank([("laws.yaml", LAWS), ("t.yaml", TOPIC)]))
    versions = {v.question_id: v for v in session.scalars(select(QuestionVersion))}
    session.add(Blueprint(id="tiny", title="小卷", kind="annual", definition={}))
    now = utcnow()
    exam = Exam(
        title="小考",
        kind="annual",
        blueprint_id="tiny",
        blueprint_snapshot={},
        opens_at=now - timedelta(days=2),
        closes_at=now - timedelta(days=1),
        time_limit_minutes=30,
    )
    session.add(exam)
    session.flush()

    def item(qid: str, order: str, points: int) -> PaperItem:
        v = versions[qid]
        return PaperItem(qid, v.id, v.number, tuple(order), Fraction(points), v.difficulty)

    for single_order, single, judge, multiple_order, multiple, earned, total in CANDIDATES:
        paper = Paper(
            "tiny",
            1,
            (
                PaperSection(
                    "单选", "single", Fraction(1), "none", (item("q-single", single_order, 1),)
                ),
                PaperSection("判断", "judge", Fraction(1), "none", (item("q-judge", "", 1),)),
                PaperSection(
                    "多选",
                    "multiple",
                    Fraction(2),
                    "half",
                    (item("q-multiple", multiple_order, 2),),
                ),
            ),
        )
        attempt = Attempt(
            exam_id=exam.id,
            cadre_id=CadreFactory().id,
            seed=1,
            paper=paper_to_json(paper, Fraction(2)),
            started_at=now - timedelta(days=2),
            deadline=now - timedelta(days=1),
            status="submitted",
            finished_at=now - timedelta(days=2),
            score=Decimal(total),
            max_score=Decimal(4),
            passed=total >= 2,
            item_scores=earned,
            graded_at=now - timedelta(days=2),
        )
        session.add(attempt)
        session.flush()
        for position, choice in enumerate((single, judge, multiple), start=1):
            if choice:
                session.add(Answer(attempt_id=attempt.id, position=position, choice=choice))
    # An attempt still running is not analysed.
    session.add(
        Attempt(
            exam_id=exam.id,
            cadre_id=CadreFactory().id,
            seed=2,
            paper={},
            started_at=now,
            deadline=now,
            max_score=Decimal(4),
        )
    )
    session.commit()
    return session, exam


def by_id(analysis) -> dict:
    return {item.question_id: item for item in analysis.items}


def point_biserial_by_hand(right: list[int], rest: list[float]) -> float:
    n = len(right)
    p = sum(right) / n
    mean_right = sum(r for r, i in zip(rest, right, strict=True) if i) / sum(right)
    mean_wrong = sum(r for r, i in zip(rest, right, strict=True) if not i) / (n - sum(right))
    mean = sum(rest) / n
    sd = math.sqrt(sum((r - mean) ** 2 for r in rest) / n)
    return (mean_right - mean_wrong) / sd * math.sqrt(p * (1 - p))


def test_uses_facility_and_discrimination(dataset):
    session, exam = dataset
    analysis = item_analysis.analyse_exam(session, exam.id)
    items = by_id(analysis)
    assert analysis.attempts == 4
    assert {qid: item.uses for qid, item in items.items()} == {
        "q-single": 4,
        "q-judge": 4,
        "q-multiple": 4,
    }
    assert items["q-single"].facility == 0.5
    assert items["q-judge"].facility == 0.5
    assert items["q-multiple"].facility == 0.25  # the half-credit answer is not "right"
    # Rest score = total less the item's own points.
    assert items["q-single"].discrimination == pytest.approx(
        point_biserial_by_hand([1, 1, 0, 0], [2, 1, 1, 1])
    )
    assert items["q-single"].discrimination == pytest.approx(0.5773503, abs=1e-6)
    assert items["q-judge"].discrimination == pytest.approx(
        point_biserial_by_hand([0, 0, 1, 1], [3, 2, 0, 0])
    )
    assert items["q-judge"].discrimination == pytest.approx(-0.9622504, abs=1e-6)


def test_an_item_constant_in_the_rest_has_no_discrimination(dataset):
    session, exam = dataset
    # q-multiple's rest scores are 1, 1, 1, 1: no spread, so no correlation.
    assert by_id(item_analysis.analyse_exam(session, exam.id))["q-multiple"].discrimination is None


def test_option_shares_use_the_questions_own_letters(dataset):
    session, exam = dataset
    items = by_id(item_analysis.analyse_exam(session, exam.id))
    single = {o.key: (o.share, o.is_answer) for o in items["q-single"].options}
    # c1 A, c2 showed B for own A, c3 showed A for own B, c4 left it blank.
    assert single == {"A": (0.5, True), "B": (0.25, False), "C": (0.0, False), "D": (0.0, False)}
    assert items["q-single"].blank == 0.25
    judge = {o.key: (o.share, o.is_answer) for o in items["q-judge"].options}
    assert judge == {"A": (0.5, True), "B": (0.5, False)}
    multiple = {o.key: o.share for o in items["q-multiple"].options}
    # c1 {A,C}; c2 {A}; c3 {D,B}; c4 {C,D}.
    assert multiple == {"A": 0.5, "B": 0.25, "C": 0.5, "D": 0.5}
    assert [o.text for o in items["q-multiple"].options] == ["子", "丑", "寅", "卯"]


def test_exam_distribution_and_kr20(dataset):
    session, exam = dataset
    analysis = item_analysis.analyse_exam(session, exam.id)
    assert analysis.scores.count == 4
    assert analysis.scores.mean == pytest.approx(7 / 4)
    assert analysis.scores.stdev == pytest.approx(
        math.sqrt(((1.25) ** 2 + 0.25**2 + 2 * 0.75**2) / 4)
    )
    assert (analysis.scores.minimum, analysis.scores.maximum) == (1, 3)
    # Right/wrong per position: rows 1 0 1, 1 0 0, 0 1 0, 0 1 0; totals 2 1 1 1.
    variance = ((2 - 1.25) ** 2 + 3 * (1 - 1.25) ** 2) / 4  # 0.1875
    pq = 0.5 * 0.5 + 0.5 * 0.5 + 0.25 * 0.75  # 0.6875
    assert analysis.reliability == pytest.approx(3 / 2 * (1 - pq / variance))  # -4.0
    assert analysis.max_score == 4
    counts = [count for _, count in analysis.histogram]
    assert (len(counts), sum(counts), counts[2], counts[7]) == (10, 4, 2, 1)  # 1, 1 and 3


def test_flags_wait_for_enough_uses(dataset, monkeypatch):
    session, exam = dataset
    assert item_analysis.analyse_exam(session, exam.id).flagged == []  # 4 uses < 20
    monkeypatch.setattr(item_analysis, "MIN_USES", 4)
    analysis = item_analysis.analyse_exam(session, exam.id)
    flags = {item.question_id: item.flags for item in analysis.items}
    assert flags == {"q-judge": ("weak_discrimination",), "q-single": (), "q-multiple": ()}
    assert analysis.items[0].question_id == "q-judge"  # the likeliest mistake comes first


def test_sending_a_question_to_review_is_audited(dataset):
    session, exam = dataset
    item_analysis.send_to_review(
        session, None, "q-judge", exam_id=exam.id, flags=("weak_discrimination",)
    )
    session.expire_all()
    question = session.get(Question, "q-judge")
    assert (question.status, question.review_reason) == ("needs_review", "item_analysis")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "question.sent_to_review"))
    assert event.detail == {
        "reason": "item_analysis",
        "exam": exam.id,
        "flags": ["weak_discrimination"],
    }
    with pytest.raises(Conflict):
        item_analysis.send_to_review(session, None, "q-judge")


def test_the_examiner_pages_show_the_flag_and_send_to_the_queue(client, dataset, monkeypatch):
    session, exam = dataset
    monkeypatch.setattr(item_analysis, "MIN_USES", 4)
    sign_in(client, Role.EXAMINER)
    listing = text(client.get("/examiner/analysis"))
    assert f"/examiner/analysis/exams/{exam.id}" in listing and "小考" in listing
    page = text(client.get(f"/examiner/analysis/exams/{exam.id}"))
    assert "/examiner/questions/q-judge" in page
    assert "/examiner/analysis/questions/q-judge/review" in page
    assert "/examiner/analysis/questions/q-single/review" not in page
    assert "-0.962" in page
    everything = text(client.get(f"/examiner/analysis/exams/{exam.id}?show=all"))
    assert "/examiner/questions/q-single" in everything
    response = post_form(
        client,
        "/examiner/analysis/questions/q-judge/review",
        {"exam_id": str(exam.id), "flag": "weak_discrimination"},
        page=f"/examiner/analysis/exams/{exam.id}",
    )
    assert response.headers["Location"] == f"/examiner/analysis/exams/{exam.id}"
    session.expire_all()
    assert session.get(Question, "q-judge").status == "needs_review"
    assert "q-judge" in text(client.get("/examiner/review"))


def test_item_analysis_downloads(client, dataset):
    from io import BytesIO

    from openpyxl import load_workbook

    _, exam = dataset
    sign_in(client, Role.EXAMINER)
    book = load_workbook(
        BytesIO(client.get(f"/examiner/analysis/exams/{exam.id}/export.xlsx").data)
    )
    assert book.sheetnames == ["试卷统计", "试题分析"]
    summary = [c.value for c in book["试卷统计"][2]]
    assert summary[:3] == ["小考", 4, 1.75]
    assert summary[6] == pytest.approx(-4.0)
    rows = {row[0].value: [c.value for c in row] for row in book["试题分析"].iter_rows(min_row=2)}
    assert rows["q-single"][1:7] == [
        1,
        "单选",
        "单选题干",
        4,
        0.5,
        pytest.approx(0.57735, abs=1e-5),
    ]
    assert rows["q-single"][7] == "A 50.0%（答案）；B 25.0%；C 0.0%；D 0.0%"
    assert rows["q-judge"][7] == "正确 50.0%（答案）；错误 50.0%"
    assert rows["q-single"][8] == 0.25
    assert book["试题分析"]["F2"].number_format == "0.0%"
    csv_text = client.get(f"/examiner/analysis/exams/{exam.id}/export.csv").data.decode("utf-8-sig")
    assert "试题分析" in csv_text and "q-multiple" in csv_text
