"""Put N candidates and one open exam into a migrated database, fast.

The accounts are made in bulk with ONE password hash, computed once with the
production INITIAL_PASSWORD_HASH_METHOD (the method roster imports use), and
must_change_password false. Why:

- hashing 5,000 passwords one by one would cost minutes of setup that measure
  nothing; sharing one hash costs the server exactly as much per sign-in,
  because every login still verifies the password with the production method;
- a forced password change would make every API call answer 403
  password_change_required, and changing it would hash with scrypt, so the
  run would measure the password page instead of the exam.

    python -m bench.load.seed --database-url URL --users 5000
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app import create_app
from app.db import make_engine
from app.domain.people import Category, Role
from app.migrate import upgrade
from app.models import Cadre, Unit, User, UserRole
from app.services import bank_io, exams
from app.services.blueprints import get_blueprint
from app.timeutil import utcnow
from config import ProductionConfig

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"
PASSWORD = "bench-candidate-2026"
PREFIX = "LT"
BATCH = 1000


@dataclass(frozen=True)
class Population:
    exam_id: int
    usernames: list[str]
    password: str
    time_limit_minutes: int
    items: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Population:
        return cls(**json.loads(text))


def username(number: int, prefix: str = PREFIX) -> str:
    return f"{prefix}{number:05d}"


def populate(
    url: str,
    users: int,
    *,
    migrate: bool = True,
    blueprint: str = "practice",
    time_limit_minutes: int | None = None,
    hours_open: float = 6,
    prefix: str = PREFIX,
) -> Population:
    """Migrate (optionally), import the starter bank, add the candidates, open the exam."""
    engine = make_engine(url)
    try:
        if migrate:
            upgrade(engine)
        # The services use Flask's config and babel; any app over this database will do.
        app = create_app({"DATABASE_URL": url, "LOG_REQUESTS": False})
        with app.app_context(), Session(engine) as session:
            bank_io.import_bank(session, None, bank_io.read_bank([BANK_DIR]), source="bench")
            unit_id = _add_candidates(engine, session, users, prefix)
            now = utcnow()
            exam = exams.open_exam(
                session,
                None,
                exams.ExamRequest(
                    blueprint_id=blueprint,
                    title=f"压测考试 {now:%Y-%m-%d %H:%M}",
                    kind="practice",
                    opens_at=now - timedelta(minutes=5),
                    closes_at=now + timedelta(hours=hours_open),
                    rule=exams.EligibilityRule(unit_ids=(unit_id,)),
                    time_limit_minutes=time_limit_minutes,
                ),
            )
            items = get_blueprint(session, blueprint).question_count
            app.extensions["db.engine"].dispose()
            return Population(
                exam.id,
                [username(n, prefix) for n in range(1, users + 1)],
                PASSWORD,
                exam.time_limit_minutes,
                items,
            )
    finally:
        engine.dispose()


def _add_candidates(engine: Engine, session: Session, users: int, prefix: str) -> int:
    unit = Unit(name=f"压测单位{prefix}")
    session.add(unit)
    session.flush()
    unit.path = f"/{unit.id}/"
    session.commit()
    password_hash = generate_password_hash(
        PASSWORD, method=ProductionConfig.INITIAL_PASSWORD_HASH_METHOD
    )
    now = utcnow()
    for start in range(1, users + 1, BATCH):
        numbers = range(start, min(start + BATCH, users + 1))
        session.execute(
            insert(Cadre),
            [
                {
                    "staff_no": username(n, prefix),
                    "name": f"考生{n:05d}",
                    "unit_id": unit.id,
                    "category": Category.CIVIL_SERVANT.value,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in numbers
            ],
        )
        cadre_ids = dict(
            session.execute(
                select(Cadre.staff_no, Cadre.id).where(
                    Cadre.staff_no.in_([username(n, prefix) for n in numbers])
                )
            ).all()
        )
        session.execute(
            insert(User),
            [
                {
                    "username": username(n, prefix),
                    "display_name": f"考生{n:05d}",
                    "password_hash": password_hash,
                    "active": True,
                    "must_change_password": False,
                    "cadre_id": cadre_ids[username(n, prefix)],
                    "created_at": now,
                }
                for n in numbers
            ],
        )
        user_ids = session.scalars(
            select(User.id).where(User.username.in_([username(n, prefix) for n in numbers]))
        ).all()
        session.execute(
            insert(UserRole), [{"user_id": uid, "role": Role.CANDIDATE.value} for uid in user_ids]
        )
        session.commit()
    return unit.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()
    population = populate(args.database_url, args.users, migrate=not args.no_migrate)
    print(
        f"exam {population.exam_id}: {len(population.usernames)} candidates "
        f"{population.usernames[0]}..{population.usernames[-1]}, password {population.password}"
    )


if __name__ == "__main__":
    main()
