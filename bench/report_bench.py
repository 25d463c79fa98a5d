"""Time the HR reports over 20,000 graded attempts on SQLite.

    .venv/bin/python -m bench.report_bench [--attempts 20000]

Target (issue 6): a report over 20,000 attempts renders in under 1 s on this
2-core machine. The data is synthetic: a city with 40 units under 8
bureaus, one cadre per attempt, one annual exam, scores spread 30-100.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from app import create_app
from app.db import get_session, make_engine
from app.migrate import upgrade
from app.models import Attempt, Blueprint, Cadre, Exam, ExamCandidate, Unit, User, UserRole
from app.services import reports
from app.timeutil import utcnow


def populate(session, attempts: int, rng: random.Random) -> int:
    city = Unit(name="大石桥市")
    session.add(city)
    session.flush()
    city.path = f"/{city.id}/"
    units = []
    for b in range(8):
        bureau = Unit(name=f"局{b}", parent=city)
        session.add(bureau)
        session.flush()
        bureau.path = f"{city.path}{bureau.id}/"
        for o in range(5):
            office = Unit(name=f"局{b}科{o}", parent=bureau)
            session.add(office)
            session.flush()
            office.path = f"{bureau.path}{office.id}/"
            units.append(office)
    session.add(Blueprint(id="bench", title="bench", kind="annual", definition={}))
    now = utcnow()
    exam = Exam(
        title="基准年度考试",
        kind="annual",
        blueprint_id="bench",
        blueprint_snapshot={},
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        time_limit_minutes=60,
    )
    session.add(exam)
    session.flush()
    categories = ["leading_cadre", "judicial", "law_enforcement", "civil_servant"]
    session.execute(
        insert(Cadre),
        [
            {
                "staff_no": f"B{n:06d}",
                "name": f"干部{n}",
                "unit_id": units[n % len(units)].id,
                "position": "科员",
                "rank": f"{n % 6 + 1}级",
                "category": categories[n % 4],
                "created_at": now,
                "updated_at": now,
            }
            for n in range(int(attempts * 1.04))
        ],
    )  # about 4% do not sit
    cadres = session.execute(Cadre.__table__.select()).all()
    session.execute(
        insert(ExamCandidate),
        [
            {
                "exam_id": exam.id,
                "cadre_id": c.id,
                "unit_id": c.unit_id,
                "extra_minutes": 0,
                "exempt_reason": "病假" if c.id % 97 == 0 else "",
            }
            for c in cadres
        ],
    )
    rows = []
    for cadre in cadres[:attempts]:
        score = Decimal(rng.randint(30, 100))
        rows.append(
            {
                "exam_id": exam.id,
                "cadre_id": cadre.id,
                "number": 1,
                "seed": 1,
                "paper": {},
                "started_at": now,
                "deadline": now,
                "status": "submitted",
                "score": score,
                "max_score": Decimal(100),
                "passed": score >= 60,
            }
        )
    session.execute(insert(Attempt), rows)
    session.commit()
    return exam.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": tmp})
        with app.app_context():
            session = get_session()
            exam_id = populate(session, args.attempts, random.Random(7))
            timings = {}
            for name, work in (
                (
                    "by unit + roll-up",
                    lambda: reports.roll_up(
                        session,
                        reports.participation_by(session, [exam_id], [exam_id], reports.Scope()),
                    ),
                ),
                (
                    "by category",
                    lambda: reports.participation_by(
                        session, [exam_id], [exam_id], reports.Scope(), "category"
                    ),
                ),
                (
                    "absentees",
                    lambda: reports.absentees(session, [exam_id], [exam_id], reports.Scope()),
                ),
                ("score list", lambda: reports.exam_score_list(session, exam_id, reports.Scope())),
            ):
                work()
                started = time.perf_counter()
                work()
                timings[name] = time.perf_counter() - started
            pages = {}
            if "hr.exam_report" in app.view_functions:
                pages = _time_pages(app, session, exam_id)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"attempts: {args.attempts}")
    for name, seconds in timings.items():
        print(f"{name}: {seconds * 1000:.0f} ms")
    for name, seconds in pages.items():
        print(f"{name}: {seconds * 1000:.0f} ms (target < 1000 ms)")


def _time_pages(app, session, exam_id: int) -> dict[str, float]:
    """Sign an HR account in through the login form and time each page (median of 5)."""
    password = "bench-password"
    hr = User(
        username="bench",
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"),
        role_rows=[UserRole(role="hr")],
    )
    session.add(hr)
    session.commit()
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', login).group(1)
    signed_in = client.post(
        "/auth/login", data={"username": "bench", "password": password, "csrf_token": token}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    bureau = session.scalar(select(Unit.id).where(Unit.name == "局0"))
    year = session.get(Exam, exam_id).opens_at.year
    urls = {
        "HR exam report page (HTML)": f"/hr/reports/exams/{exam_id}",
        "HR exam report, one bureau (HTML)": f"/hr/reports/exams/{exam_id}?unit={bureau}",
        "HR year report page (HTML)": f"/hr/reports/years/{year}",
        "HR exam report download (XLSX)": f"/hr/reports/exams/{exam_id}/export.xlsx",
    }
    timings = {}
    for name, url in urls.items():
        samples = []
        for _ in range(6):  # the first warms the caches and is not counted
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        timings[name] = statistics.median(samples[1:])
    return timings


if __name__ == "__main__":
    main()
