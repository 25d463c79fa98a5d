"""What the database must hold after a run, checked against what clients were told.

The ledger is the clients' side: every acknowledged save (attempt, position,
seq), every submit reply's score, every attempt a start returned. The database
must hold each acknowledged save with that seq or a higher one, every submitted
attempt graded once with the score its replies showed, and one attempt per
candidate.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Answer, Attempt


@dataclass
class Ledger:
    # attempt id -> position -> the highest acknowledged seq
    acks: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    ack_count: int = 0
    # attempt id -> every score a submit (or result) reply showed
    scores: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    # username -> attempt ids the start calls returned
    starts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # attempt id -> saves refused with attempt_closed (allowed only after the grace)
    refused: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def ack(self, attempt_id: int, position: int, seq: int) -> None:
        self.ack_count += 1
        known = self.acks[attempt_id].get(position, -1)
        self.acks[attempt_id][position] = max(known, seq)

    def merge(self, other: Ledger) -> None:
        self.ack_count += other.ack_count
        for attempt_id, positions in other.acks.items():
            for position, seq in positions.items():
                known = self.acks[attempt_id].get(position, -1)
                self.acks[attempt_id][position] = max(known, seq)
        for attempt_id, scores in other.scores.items():
            self.scores[attempt_id].extend(scores)
        for username, ids in other.starts.items():
            self.starts[username].extend(ids)
        for attempt_id, count in other.refused.items():
            self.refused[attempt_id] += count

    def dump(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "acks": {
                        str(a): {str(p): s for p, s in d.items()} for a, d in self.acks.items()
                    },
                    "ack_count": self.ack_count,
                    "scores": {str(a): s for a, s in self.scores.items()},
                    "starts": self.starts,
                    "refused": {str(a): n for a, n in self.refused.items()},
                }
            )
        )

    @classmethod
    def load(cls, path: Path) -> Ledger:
        data = json.loads(path.read_text())
        ledger = cls()
        ledger.ack_count = data["ack_count"]
        for a, d in data["acks"].items():
            ledger.acks[int(a)] = {int(p): s for p, s in d.items()}
        for a, s in data["scores"].items():
            ledger.scores[int(a)] = list(s)
        for u, ids in data["starts"].items():
            ledger.starts[u] = list(ids)
        for a, n in data.get("refused", {}).items():
            ledger.refused[int(a)] = n
        return ledger


@dataclass
class Verdict:
    acknowledged: int = 0  # acknowledged saves (requests)
    positions_checked: int = 0  # distinct (attempt, position) acknowledged
    lost: list[tuple[int, int, int, int | None]] = field(default_factory=list)
    submitted_checked: int = 0
    grading_problems: list[str] = field(default_factory=list)
    attempts: int = 0
    candidates_with_attempts: int = 0
    extra_attempts: int = 0  # attempts beyond one per candidate
    graded: int = 0

    @property
    def ok(self) -> bool:
        return not self.lost and not self.grading_problems and not self.extra_attempts

    def summary(self) -> str:
        return (
            f"{self.acknowledged} acknowledged saves over {self.positions_checked} answers: "
            f"{len(self.lost)} lost; {self.submitted_checked} submitted attempts: "
            f"{len(self.grading_problems)} grading problems; {self.attempts} attempts for "
            f"{self.candidates_with_attempts} candidates ({self.extra_attempts} extra); "
            f"{self.graded} graded"
        )


def check(database_url: str, ledger: Ledger, exam_id: int) -> Verdict:
    verdict = Verdict(acknowledged=ledger.ack_count)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = {
                (a, p): s
                for a, p, s in session.execute(
                    select(Answer.attempt_id, Answer.position, Answer.seq)
                    .join(Attempt, Attempt.id == Answer.attempt_id)
                    .where(Attempt.exam_id == exam_id)
                )
            }
            for attempt_id, positions in ledger.acks.items():
                for position, seq in positions.items():
                    verdict.positions_checked += 1
                    have = stored.get((attempt_id, position))
                    if have is None or have < seq:
                        verdict.lost.append((attempt_id, position, seq, have))
            attempts = {
                a.id: a for a in session.scalars(select(Attempt).where(Attempt.exam_id == exam_id))
            }
            verdict.attempts = len(attempts)
            verdict.graded = sum(1 for a in attempts.values() if a.graded_at is not None)
            per_cadre = Counter(a.cadre_id for a in attempts.values())
            verdict.candidates_with_attempts = len(per_cadre)
            verdict.extra_attempts = sum(n - 1 for n in per_cadre.values())
            for attempt_id, scores in ledger.scores.items():
                verdict.submitted_checked += 1
                attempt = attempts.get(attempt_id)
                if attempt is None:
                    verdict.grading_problems.append(f"attempt {attempt_id} is not stored")
                    continue
                problems = []
                if attempt.status == "in_progress" or attempt.graded_at is None:
                    problems.append(f"status {attempt.status}, graded_at {attempt.graded_at}")
                elif attempt.finished_at != attempt.graded_at:
                    problems.append("finished_at and graded_at differ: graded again")
                if len(set(scores)) > 1:
                    problems.append(f"replies showed different scores {sorted(set(scores))}")
                if (
                    attempt.score is not None
                    and scores
                    and float(scores[0]) != float(attempt.score)
                ):
                    problems.append(f"reply score {scores[0]} but stored {attempt.score}")
                if problems:
                    verdict.grading_problems.append(f"attempt {attempt_id}: " + "; ".join(problems))
            # Every candidate's starts returned one and the same attempt.
            for username, ids in ledger.starts.items():
                if len(set(ids)) > 1:
                    verdict.grading_problems.append(
                        f"{username}: starts returned {sorted(set(ids))}"
                    )
    finally:
        engine.dispose()
    return verdict
