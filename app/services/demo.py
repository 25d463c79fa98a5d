"""Demo data: a unit tree, cadres and one account per role. Safe to run again."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.domain.attempts import paper_to_json
from app.domain.grading import AnswerKey, displayed_keys, grade, to_displayed
from app.domain.papers import PaperItem, draw_paper
from app.domain.people import Category, Role
from app.domain.scores import to_decimal
from app.models import (
    Answer,
    Appointment,
    Attempt,
    Cadre,
    Exam,
    QuestionVersion,
    Unit,
    User,
)
from app.services import accounts, appointments, bank_io, exams, exemptions
from app.services.bank_io import ImportReport
from app.services.blueprints import question_pool, to_blueprint
from app.services.reports import Scope
from app.services.units import ensure_unit_path
from app.timeutil import local_midnight_as_utc, utcnow

CITY = "大石桥市"
DEMO_UNITS = [
    "司法局",
    "人力资源和社会保障局",
    "市场监督管理局",
    "综合行政执法局",
    "石桥街道办事处",
    "虎庄镇人民政府",
]

# (staff_no, name, unit, position, rank, category)
DEMO_CADRES = [
    ("DS1001", "王建国", "司法局", "局长", "一级调研员", Category.LEADING_CADRE),
    ("DS1002", "李秀英", "司法局", "科员", "一级科员", Category.CIVIL_SERVANT),
    ("DS1003", "张伟", "司法局", "副局长", "二级调研员", Category.LEADING_CADRE),
    ("DS1004", "刘洋", "司法局", "公证员", "四级主任科员", Category.JUDICIAL),
    ("DS2001", "陈静", "人力资源和社会保障局", "局长", "一级调研员", Category.LEADING_CADRE),
    ("DS2002", "杨帆", "人力资源和社会保障局", "科长", "一级主任科员", Category.CIVIL_SERVANT),
    ("DS2003", "赵磊", "人力资源和社会保障局", "科员", "二级科员", Category.CIVIL_SERVANT),
    ("DS3001", "黄敏", "市场监督管理局", "副局长", "二级调研员", Category.LEADING_CADRE),
    ("DS3002", "周强", "市场监督管理局", "执法队员", "三级主任科员", Category.LAW_ENFORCEMENT),
    ("DS3003", "吴霞", "市场监督管理局", "执法队员", "四级主任科员", Category.LAW_ENFORCEMENT),
    ("DS3004", "徐涛", "市场监督管理局", "科员", "一级科员", Category.CIVIL_SERVANT),
    ("DS4001", "孙丽", "综合行政执法局", "大队长", "一级主任科员", Category.LAW_ENFORCEMENT),
    ("DS4002", "马超", "综合行政执法局", "执法队员", "二级主任科员", Category.LAW_ENFORCEMENT),
    ("DS4003", "朱红", "综合行政执法局", "执法队员", "四级主任科员", Category.LAW_ENFORCEMENT),
    ("DS5001", "胡军", "石桥街道办事处", "主任", "一级调研员", Category.LEADING_CADRE),
    ("DS5002", "郭芳", "石桥街道办事处", "科员", "一级科员", Category.CIVIL_SERVANT),
    ("DS5003", "林峰", "石桥街道办事处", "科员", "二级科员", Category.CIVIL_SERVANT),
    ("DS6001", "何平", "虎庄镇人民政府", "镇长", "一级调研员", Category.LEADING_CADRE),
    ("DS6002", "高燕", "虎庄镇人民政府", "副镇长", "二级调研员", Category.LEADING_CADRE),
    ("DS6003", "罗斌", "虎庄镇人民政府", "科员", "一级科员", Category.CIVIL_SERVANT),
]

# The demo logins. The candidate is the first cadre above.
DEMO_ACCOUNTS = [
    ("admin", "demo-admin-2026", Role.ADMIN, "系统管理员", None),
    ("examiner", "demo-examiner-2026", Role.EXAMINER, "命题审题员", None),
    ("hr", "demo-hr-2026", Role.HR, "组织人事干部", None),
    ("DS1001", "demo-candidate-2026", Role.CANDIDATE, "", "DS1001"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    created: bool


def load_demo_bank(session: Session, bank_dir: Path) -> ImportReport:
    """Import the starter bank; an unchanged bank changes nothing."""
    return bank_io.import_bank(session, None, bank_io.read_bank([bank_dir]), source="demo")


def load_demo(session: Session) -> list[DemoLogin]:
    """Add the demo units, cadres and accounts that are missing; return the logins."""
    for name in DEMO_UNITS:
        ensure_unit_path(session, [CITY, name])
    for staff_no, name, unit, position, rank, category in DEMO_CADRES:
        if session.scalar(select(Cadre.id).where(Cadre.staff_no == staff_no)) is None:
            unit_row, _ = ensure_unit_path(session, [CITY, unit])
            session.add(
                Cadre(
                    staff_no=staff_no,
                    name=name,
                    unit_id=unit_row.id,
                    position=position,
                    rank=rank,
                    category=category.value,
                )
            )
    session.commit()
    logins = []
    for username, password, role, display_name, staff_no in DEMO_ACCOUNTS:
        exists = session.scalar(select(User.id).where(User.username == username)) is not None
        if not exists:
            accounts.create_user(
                session,
                None,
                username,
                {role},
                display_name=display_name,
                cadre_staff_no=staff_no,
                password=password,
            )
        logins.append(DemoLogin(username, password, role, created=not exists))
    return logins


# (blueprint, title, kind, days open, attempts, review policy)
DEMO_EXAMS = [
    ("practice", "学法练习（随练随测）", "practice", 365, 99, "after_submit"),
    ("annual-standard", "2026年度法律知识考试", "annual", 30, 1, "after_close"),
]


def open_demo_exams(session: Session, now: datetime | None = None) -> list[Exam]:
    """Open the demo's practice and annual exams for every demo cadre, once."""
    now = now or utcnow()
    opened = []
    for blueprint_id, title, kind, days, attempts, review in DEMO_EXAMS:
        if session.scalar(select(Exam.id).where(Exam.title == title)) is not None:
            continue
        rule = exams.EligibilityRule(staff_nos=tuple(row[0] for row in DEMO_CADRES))
        opened.append(
            exams.open_exam(
                session,
                None,
                exams.ExamRequest(
                    blueprint_id=blueprint_id,
                    title=title,
                    kind=kind,
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=days),
                    rule=rule,
                    attempts_allowed=attempts,
                    review_policy=review,
                ),
            )
        )
    return opened


# ---- history: past exams with real papers and answers, for the reports ------------------

# Sub-units, so that reports roll up more than one level: (parent, name).
DEMO_SUBUNITS = [
    ("司法局", "公证处"),
    ("司法局", "法律援助中心"),
    ("市场监督管理局", "综合执法大队"),
    ("综合行政执法局", "第一中队"),
    ("综合行政执法局", "第二中队"),
]
# Generated cadres per unit (unit path below the city, how many, their usual category).
DEMO_STAFF = [
    ("司法局", 20, Category.CIVIL_SERVANT),
    ("司法局/公证处", 14, Category.JUDICIAL),
    ("司法局/法律援助中心", 12, Category.JUDICIAL),
    ("人力资源和社会保障局", 30, Category.CIVIL_SERVANT),
    ("市场监督管理局", 20, Category.CIVIL_SERVANT),
    ("市场监督管理局/综合执法大队", 28, Category.LAW_ENFORCEMENT),
    ("综合行政执法局/第一中队", 24, Category.LAW_ENFORCEMENT),
    ("综合行政执法局/第二中队", 22, Category.LAW_ENFORCEMENT),
    ("石桥街道办事处", 30, Category.CIVIL_SERVANT),
    ("虎庄镇人民政府", 34, Category.CIVIL_SERVANT),
]
# How well each unit's cadres do and how many stay away: (ability shift, absence rate).
UNIT_HABITS = {
    "司法局": (0.5, 0.01),
    "人力资源和社会保障局": (0.2, 0.03),
    "市场监督管理局": (0.0, 0.04),
    "综合行政执法局": (-0.2, 0.06),
    "石桥街道办事处": (-0.1, 0.05),
    "虎庄镇人民政府": (-0.5, 0.10),
}
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞鑫波宁博文"
    "斌宇浩凯健俊帆帅旭阳晨辉欣怡悦琳雪婷倩颖璐晶莹慧巧美佳琪梦瑶嘉"
)
POSITIONS = {
    Category.CIVIL_SERVANT: [
        ("科员", "一级科员"),
        ("科员", "二级科员"),
        ("副科长", "四级主任科员"),
        ("科长", "二级主任科员"),
    ],
    Category.JUDICIAL: [("公证员", "四级主任科员"), ("律师", "三级主任科员"), ("助理", "一级科员")],
    Category.LAW_ENFORCEMENT: [
        ("执法队员", "一级科员"),
        ("执法队员", "四级主任科员"),
        ("中队长", "二级主任科员"),
    ],
}
# Past annual exams: (title, local opening date, days open); then the make-up of the last.
PAST_ANNUAL = [
    ("2024年度法律知识考试", date(2024, 11, 4), 26),
    ("2025年度法律知识考试", date(2025, 11, 3), 26),
]
PAST_MAKE_UP = ("2025年度法律知识补考", date(2025, 12, 8), 10)
# Questions that behave badly in the demo, so item analysis has something to find.
BAD_QUESTIONS = 6
SCOPED_HR = ("hr-huzhuang", "demo-hr-2026", "虎庄镇人民政府", "虎庄镇组织干事")


@dataclass(frozen=True)
class DemoHistory:
    cadres_added: int
    exams_opened: list[str]
    attempts: int
    cases: int
    scoped_login: DemoLogin | None
    scoped_unit: str


def _demo_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _add_demo_staff(session: Session, rng: random.Random) -> int:
    """The sub-units and the generated cadres that are missing."""
    for parent, name in DEMO_SUBUNITS:
        ensure_unit_path(session, [CITY, parent, name])
    taken = set(session.scalars(select(Cadre.name)))
    added = 0
    for index, (path, count, category) in enumerate(DEMO_STAFF, start=1):
        unit, _ = ensure_unit_path(session, [CITY, *path.split("/")])
        names = _demo_names(rng, count, taken)
        for number in range(1, count + 1):
            staff_no = f"DH{index:02d}{number:03d}"
            kind = category if rng.random() > 0.1 else Category.CIVIL_SERVANT
            position, rank = rng.choice(POSITIONS[kind])
            if session.scalar(select(Cadre.id).where(Cadre.staff_no == staff_no)) is None:
                session.add(
                    Cadre(
                        staff_no=staff_no,
                        name=names[number - 1],
                        unit_id=unit.id,
                        position=position,
                        rank=rank,
                        category=kind.value,
                    )
                )
                added += 1
    session.commit()
    return added


class _Sitter:
    """Simulates a candidate answering a paper: right with a chance set by ability and
    difficulty (a logistic curve), with a few questions that behave badly on purpose."""

    def __init__(self, rng: random.Random, keys: dict[int, AnswerKey], bad: dict[str, str]) -> None:
        self.rng, self.keys, self.bad = rng, keys, bad

    def chance(self, item: PaperItem, ability: float) -> float:
        behaviour = self.bad.get(item.question_id)
        if behaviour == "hard":
            return 0.12
        if behaviour == "reversed":  # strong candidates fall for a distractor
            return min(max(0.75 - 0.35 * ability, 0.05), 0.95)
        return 1 / (1 + math.exp(-1.6 * (ability - (item.difficulty - 3) * 0.7)))

    def answer(self, item: PaperItem, qtype: str, ability: float) -> list[str]:
        key = self.keys[item.version_id].answer
        shown = list(to_displayed(item, key))  # type: ignore[arg-type]
        letters = list(displayed_keys(item, qtype))
        if self.rng.random() < 0.015:
            return []
        if self.rng.random() < self.chance(item, ability):
            return shown
        wrong = [letter for letter in letters if letter not in shown]
        if not wrong:
            return []
        if qtype == "multiple":
            if len(shown) > 1 and self.rng.random() < 0.5:
                return sorted(self.rng.sample(shown, len(shown) - 1))
            return sorted({*self.rng.sample(shown, 1), self.rng.choice(wrong)})
        return [self.rng.choice(wrong)]


def _sit(
    session: Session,
    exam: Exam,
    cadres: list[tuple[Cadre, float]],
    sitter: _Sitter,
    pool: list,
    exposure: Counter,
    rng: random.Random,
) -> int:
    """Finished, graded attempts with saved answers for each (cadre, ability)."""
    blueprint = to_blueprint(exam.blueprint_snapshot)
    rows: list[dict[str, Any]] = []
    all_choices: list[dict[int, list[str]]] = []
    for cadre, ability in cadres:
        seed = rng.randrange(2**31)
        paper = draw_paper(blueprint, pool, random.Random(seed), seed, exposure)
        exposure.update(item.question_id for item in paper.items)
        choices: dict[int, list[str]] = {}
        position = 0
        for section in paper.sections:
            for item in section.items:
                position += 1
                choices[position] = sitter.answer(item, section.type, ability)
        result = grade(paper, sitter.keys, choices, blueprint.pass_score)
        window = int((exam.closes_at - exam.opens_at).total_seconds() // 60)
        started = exam.opens_at + timedelta(minutes=rng.randrange(max(window - 120, 1)))
        finished = started + timedelta(minutes=rng.randrange(25, exam.time_limit_minutes))
        rows.append(
            {
                "exam_id": exam.id,
                "cadre_id": cadre.id,
                "number": 1,
                "seed": seed,
                "paper": paper_to_json(paper, blueprint.pass_score),
                "started_at": started,
                "deadline": started + timedelta(minutes=exam.time_limit_minutes),
                "status": "submitted",
                "finished_at": finished,
                "score": to_decimal(result.score),
                "max_score": to_decimal(result.max_score),
                "passed": result.passed,
                "section_scores": [
                    {"title": s.title, "score": str(s.score), "max_score": str(s.max_score)}
                    for s in result.sections
                ],
                "item_scores": [str(item.earned) for item in result.items],
                "graded_at": finished,
            }
        )
        all_choices.append(choices)
    if not rows:
        return 0
    # One multi-row INSERT; the ids come back in the order of the rows.
    ids = session.scalars(
        insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), rows
    ).all()
    answers = [
        {
            "attempt_id": attempt_id,
            "position": position,
            "choice": choice,
            "seq": 1,
            "flagged": False,
            "saved_at": row["finished_at"],
        }
        for attempt_id, row, choices in zip(ids, rows, all_choices, strict=True)
        for position, choice in choices.items()
        if choice
    ]
    if answers:
        session.execute(insert(Answer), answers)
    session.commit()
    return len(rows)


def _open_past(
    session: Session,
    title: str,
    blueprint_id: str,
    kind: str,
    opens: date,
    days: int,
    timezone: str,
    staff_nos: tuple[str, ...],
    original: int | None = None,
) -> Exam:
    opens_at = local_midnight_as_utc(opens, timezone) + timedelta(hours=8)
    return exams.open_exam(
        session,
        None,
        exams.ExamRequest(
            blueprint_id=blueprint_id,
            title=title,
            kind=kind,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(days=days, hours=10),
            rule=exams.EligibilityRule(staff_nos=staff_nos),
            review_policy="after_close",
            original_exam_id=original,
        ),
    )


def load_demo_history(session: Session, timezone: str, now: datetime | None = None) -> DemoHistory:
    """Past annual exams, a make-up, exemptions and pre-appointment cases, once.

    Every attempt has a real paper drawn from the bank and real answers, so the
    HR reports and the examiners' item analysis show figures worth reading.
    """
    now = now or utcnow()
    rng = random.Random(2026)
    added = _add_demo_staff(session, rng)
    scoped = _scoped_hr(session)
    if session.scalar(select(Exam.id).where(Exam.title == PAST_ANNUAL[0][0])) is not None:
        return DemoHistory(added, [], 0, 0, scoped, SCOPED_HR[2])

    cadres = list(
        session.scalars(select(Cadre).where(Cadre.staff_no.like("D%")).order_by(Cadre.staff_no))
    )
    units = {unit.id: unit for unit in session.scalars(select(Unit))}
    hr_id = session.scalar(select(User.id).where(User.username == "hr"))

    def habits(cadre: Cadre) -> tuple[float, float]:
        """The habits of the bureau or town the cadre works in (the city's child)."""
        path = units[cadre.unit_id].path.strip("/").split("/")
        bureau = units[int(path[1])].name if len(path) > 1 else ""
        return UNIT_HABITS.get(bureau, (0.0, 0.05))

    pool = question_pool(session)
    versions = session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_([p.version_id for p in pool]))
    )
    keys = {
        v.id: AnswerKey(v.type, v.answer if isinstance(v.answer, bool) else tuple(v.answer))
        for v in versions
    }
    # Bad questions among the judge and multiple-choice ones: every paper has many of
    # those, so they are used often enough to be judged.
    often = sorted(p.question_id for p in pool if p.status == "approved" and p.type != "single")
    picked = random.Random(7).sample(often, BAD_QUESTIONS)
    bad = {qid: ("hard" if i % 2 else "reversed") for i, qid in enumerate(picked)}
    sitter = _Sitter(rng, keys, bad)
    exposure: Counter = Counter()
    ability = {c.id: rng.gauss(1.0, 0.9) + habits(c)[0] for c in cadres}
    staff_nos = tuple(c.staff_no for c in cadres)
    opened: list[str] = []
    attempts = 0

    last = None
    for year_index, (title, opens, days) in enumerate(PAST_ANNUAL):
        exam = _open_past(
            session, title, "annual-standard", "annual", opens, days, timezone, staff_nos
        )
        opened.append(title)
        sitting = []
        for cadre in cadres:
            roll = rng.random()
            if roll < 0.02:
                exemptions.exempt(
                    session,
                    hr_id,
                    exam,
                    cadre.staff_no,
                    rng.choice(("病假", "借调外单位", "援派挂职", "脱产学习")),
                    Scope(),
                    now=exam.opens_at + timedelta(days=2),
                )
            elif roll < 0.02 + habits(cadre)[1]:
                continue  # absent
            else:
                sitting.append((cadre, ability[cadre.id] + 0.05 * year_index))
        session.commit()
        attempts += _sit(session, exam, sitting, sitter, pool, exposure, rng)
        last = exam

    assert last is not None
    owed = sorted(exams.make_up_pool(session, last))
    owed_cadres = [c for c in cadres if c.id in owed]
    if owed_cadres:
        title, opens, days = PAST_MAKE_UP
        make_up = _open_past(
            session,
            title,
            "make-up-standard",
            "make_up",
            opens,
            days,
            timezone,
            tuple(c.staff_no for c in owed_cadres),
            original=last.id,
        )
        opened.append(title)
        sitting = [(c, ability[c.id] + 0.6) for c in owed_cadres if rng.random() < 0.7]
        attempts += _sit(session, make_up, sitting, sitter, pool, exposure, rng)

    cases, more = _demo_cases(session, sitter, pool, exposure, rng, timezone, now)
    return DemoHistory(added, opened, attempts + more, cases, scoped, SCOPED_HR[2])


# (staff_no, proposed post, appointing body, outcome: passed | failed | open)
DEMO_CASES = [
    ("DS1003", "司法局局长", "中共大石桥市委", "passed", 3.0),
    ("DS3001", "市场监督管理局局长", "中共大石桥市委", "failed", -4.0),
    ("DS6002", "虎庄镇党委书记", "中共大石桥市委", "open", 0.0),
]


def _demo_cases(
    session: Session,
    sitter: _Sitter,
    pool: list,
    exposure: Counter,
    rng: random.Random,
    timezone: str,
    now: datetime,
) -> tuple[int, int]:
    """A decided case, a failed one waiting for its make-up, and one awaiting the exam."""
    made = attempts = 0
    for staff_no, post, body, outcome, ability in DEMO_CASES:
        cadre = session.scalar(select(Cadre).where(Cadre.staff_no == staff_no))
        if cadre is None:
            continue
        if outcome == "open":
            exam = exams.open_exam(
                session,
                None,
                exams.ExamRequest(
                    blueprint_id="pre-appointment-standard",
                    title=f"领导干部任前法律知识考试（{cadre.name}）",
                    kind="pre_appointment",
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=14),
                    rule=exams.EligibilityRule(staff_nos=(staff_no,)),
                ),
            )
            needed = (now + timedelta(days=14)).date()
        else:
            opens = (now - timedelta(days=40 if outcome == "passed" else 20)).date()
            exam = _open_past(
                session,
                f"领导干部任前法律知识考试（{cadre.name}）",
                "pre-appointment-standard",
                "pre_appointment",
                opens,
                7,
                timezone,
                (staff_no,),
            )
            attempts += _sit(session, exam, [(cadre, ability)], sitter, pool, exposure, rng)
            needed = opens + timedelta(days=30)
        status = {"passed": "passed", "failed": "failed_make_up_pending"}.get(
            outcome, "awaiting_exam"
        )
        session.add(
            Appointment(
                cadre_id=cadre.id,
                proposed_post=post,
                appointing_body=body,
                needed_by=needed,
                status=status,
                exam_id=exam.id,
                verification_code=appointments.new_code(),
                created_at=exam.opens_at - timedelta(days=1),
                decided_at=exam.closes_at if status == "passed" else None,
            )
        )
        session.commit()
        made += 1
    return made, attempts


def _scoped_hr(session: Session) -> DemoLogin | None:
    """An HR account limited to one town (单位管理员), to show scoped reports."""
    username, password, unit_name, display = SCOPED_HR
    unit = session.scalar(select(Unit).where(Unit.name == unit_name))
    if unit is None:
        return None
    user = session.scalar(select(User).where(User.username == username))
    created = user is None
    if user is None:
        user, _ = accounts.create_user(
            session, None, username, {Role.HR}, display_name=display, password=password
        )
    if user.scope_unit_id != unit.id:
        user.scope_unit_id = unit.id
        session.commit()
    return DemoLogin(username, password, Role.HR, created)
