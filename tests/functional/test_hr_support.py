"""Shared setup for the HR tests: a small city with an exam whose figures are known by hand.

大石桥市 > 司法局 > 公证处, and 虎庄镇. One annual exam for all eight cadres:

    unit    cadre  category        rank        result
    司法局   b1     leading_cadre   一级调研员   sat 90, passed
    司法局   b2     civil_servant   一级科员     sat 50, failed; passes the make-up with 75
    司法局   b3     civil_servant   一级科员     absent
    公证处   o1     judicial        一级科员     sat 70, passed
    公证处   o2     judicial        一级科员     absent
    虎庄镇   t1     civil_servant   一级科员     sat 80, passed
    虎庄镇   t2     civil_servant   一级科员     started, never finished (absent)
    虎庄镇   t3     civil_servant   一级科员     exempted (病假)

Exam alone: eligible 7, sat 4, passed 3, mean (90+50+70+80)/4 = 72.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.people import Role
from app.models import Attempt, Cadre, Exam, ExamCandidate, Unit, User
from app.services.exams import start_attempt
from app.timeutil import utcnow
from tests.conftest import Auth
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, UnitFactory, make_user


def finish(session, exam: Exam, cadre: Cadre, score: int, passed: bool) -> Attempt:
    """A finished attempt with the given result (the paper itself does not matter here)."""
    attempt, _ = start_attempt(session, exam, cadre)
    attempt.status, attempt.score, attempt.passed = "submitted", Decimal(score), passed
    attempt.finished_at = utcnow()
    session.commit()
    return attempt


@dataclass
class City:
    session: object
    units: dict[str, Unit]
    cadres: dict[str, Cadre]
    exam: Exam
    make_up: Exam | None = None


def build_city(session, *, make_up: bool = False) -> City:
    load_starter_bank(session)
    city = UnitFactory(name="大石桥市")
    bureau = UnitFactory(name="司法局", parent=city)
    office = UnitFactory(name="公证处", parent=bureau)
    town = UnitFactory(name="虎庄镇", parent=city)
    cadres = {
        "b1": CadreFactory(
            unit=bureau, name="王建国", category="leading_cadre", rank="一级调研员", position="局长"
        ),
        "b2": CadreFactory(unit=bureau, name="李秀英"),
        "b3": CadreFactory(unit=bureau, name="张伟"),
        "o1": CadreFactory(unit=office, name="刘洋", category="judicial"),
        "o2": CadreFactory(unit=office, name="陈静", category="judicial"),
        "t1": CadreFactory(unit=town, name="何平"),
        "t2": CadreFactory(unit=town, name="高燕"),
        "t3": CadreFactory(unit=town, name="罗斌"),
    }
    exam = open_exam(
        session, blueprint="annual-standard", kind="annual", everyone=True, title="年度考试"
    )
    finish(session, exam, cadres["b1"], 90, True)
    finish(session, exam, cadres["b2"], 50, False)
    finish(session, exam, cadres["o1"], 70, True)
    finish(session, exam, cadres["t1"], 80, True)
    start_attempt(session, exam, cadres["t2"])
    row = session.get(ExamCandidate, (exam.id, cadres["t3"].id))
    row.exempt_reason = "病假"
    session.commit()
    result = City(
        session, {"city": city, "bureau": bureau, "office": office, "town": town}, cadres, exam
    )
    if make_up:
        result.make_up = open_exam(
            session,
            blueprint="make-up-standard",
            kind="make_up",
            original=exam.id,
            title="年度考试补考",
        )
        finish(session, result.make_up, cadres["b2"], 75, True)
    return result


def sign_in(client, *roles: Role, scope: Unit | None = None, **kwargs) -> User:
    """Sign a new user with `roles` in; an HR account may be limited to `scope`."""
    user = make_user(*(roles or (Role.HR,)), **kwargs)
    if scope is not None:
        session = CadreFactory._meta.sqlalchemy_session
        user.scope_unit_id = scope.id
        session.commit()
    assert Auth(client).login(user.username).status_code == 302
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_city_matches_its_description(db_session):
    city = build_city(db_session)
    exempted = db_session.get(ExamCandidate, (city.exam.id, city.cadres["t3"].id))
    assert exempted.exempt_reason == "病假"
    finished = [a for a in db_session.query(Attempt).all() if a.status == "submitted"]
    assert sorted(float(a.score) for a in finished) == [50, 70, 80, 90]
