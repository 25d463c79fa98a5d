"""Demo data: a unit tree, cadres and one account per role. Safe to run again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.people import Category, Role
from app.models import Cadre, Exam, User
from app.services import accounts, bank_io, exams
from app.services.bank_io import ImportReport
from app.services.units import ensure_unit_path
from app.timeutil import utcnow

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
