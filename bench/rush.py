"""Start rush and submit rush against gunicorn, then the database is checked.

    .venv/bin/python -m bench.rush --db postgres --candidates 2000
    .venv/bin/python -m bench.rush --db sqlite --candidates 2000

Start rush: the candidates sign in first (not timed: in a real sitting they sign
in over the quarter hour before), then every one of them starts the exam at a
moment drawn uniformly from a 10 s window; one in ten double-clicks (two starts at
once). Zero errors; every candidate ends with exactly one attempt and one paper,
and both of a double-click's replies name the same attempt.

Submit rush: every candidate saves an answer, then the attempts' deadlines are
moved in the database to "now + a few seconds" (rather than waiting an hour).
Around the deadline:
- half the candidates submit within ±5 s of the deadline (one in ten twice at
  once), then try one more save, which must be refused;
- the other half never submit: each saves once inside the grace window (must be
  accepted) and once after it (must be refused with attempt_closed, which also
  closes and grades the attempt), then asks for the result twice at once.
Afterwards every attempt is closed and graded exactly once, with every accepted
save stored and counted, and every reply for one attempt showing the same score.

Each candidate is one thread (a few thousand, each sleeping until its moment);
requests use the stdlib client in bench/load/client.py, one connection each.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Answer, Attempt
from bench.load import infra, seed
from bench.load.client import Client, first_choice, items_of
from bench.load.verify import Ledger, check

WINDOW = 10.0
GRACE = 10
# The last save before the deadline: this many seconds before it (a candidate's last answer).
IN_TIME = (2.0, 15.0)


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int | str) -> None:
        with self.lock:
            self.seconds.append(seconds)
            self.statuses[status] += 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:300])

    def pct(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0

    def line(self) -> str:
        return (
            f"{len(self.seconds)} requests, p50 {self.pct(0.5):.0f} / p95 {self.pct(0.95):.0f} / "
            f"p99 {self.pct(0.99):.0f} / max {self.pct(1.0):.0f} ms; statuses "
            f"{dict(self.statuses)}; {len(self.errors)} errors"
        )


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def run_threads(targets: list) -> None:
    threading.stack_size(512 * 1024)
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)


def sign_in_all(server: infra.Gunicorn, population: seed.Population, parallel: int) -> list:
    def sign_in(username: str) -> Client:
        client = Client(server.url, timeout=120)
        client.login(username, population.password)
        return client

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(sign_in, population.usernames))


def start_rush(clients: list[Client], exam_id: int, ledger: Ledger, rng: random.Random):
    timings = Timings()
    bodies: dict[str, dict] = {}
    t0 = time.time() + 2
    released = []

    def start(username: str, client: Client, moment: float, tabs: int) -> None:
        sleep_until(moment)
        released.append(time.time())

        def once() -> None:
            try:
                reply = client.api("POST", f"/api/exams/{exam_id}/attempts")
            except OSError as error:
                timings.add(0, "connection error")
                timings.error(f"{username}: {error!r}")
                return
            timings.add(reply.seconds, reply.status)
            if reply.status in (200, 201):
                body = reply.json()
                with timings.lock:
                    ledger.starts[username].append(body["id"])
                    bodies[username] = body
            else:
                timings.error(f"{username}: {reply.status} {reply.text[:200]}")

        if tabs == 1:
            once()
        else:  # a double-click: two starts at the same moment
            run_threads([once, once])

    targets = []
    for number, client in enumerate(clients, start=1):
        tabs = 2 if rng.random() < 0.1 else 1
        moment = t0 + rng.uniform(0, WINDOW)
        username = seed.username(number)
        targets.append(lambda u=username, c=client, m=moment, t=tabs: start(u, c, m, t))
    began = time.time()
    run_threads(targets)
    return timings, bodies, time.time() - began, max(released) - min(released)


def submit_rush(
    clients: list[Client],
    bodies: dict[str, dict],
    url: str,
    exam_id: int,
    ledger: Ledger,
    rng: random.Random,
) -> dict[str, Timings]:
    kinds = {k: Timings() for k in ("in-time save", "submit", "grace save", "late save")}
    unexpected: list[str] = []
    # Each candidate's first save, well before the deadline (not part of the rush).
    prepared = {}

    def prepare(pair) -> None:
        username, client = pair
        body = bodies[username]
        item = items_of(body)[0]
        reply = client.api(
            "PUT",
            f"/api/attempts/{body['id']}/answers/{item['position']}",
            {"choice": first_choice(item, rng), "seq": 1},
        )
        if reply.status == 200:
            ledger.ack(body["id"], item["position"], 1)
            prepared[username] = True

    usernames = [seed.username(n) for n in range(1, len(clients) + 1)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(prepare, zip(usernames, clients, strict=True)))

    # The deadline: a few seconds from now for every attempt, straight in the database.
    lead = 20 + len(clients) / 400
    deadline = time.time() + lead
    engine = make_engine(url)
    with Session(engine) as session:
        session.execute(
            update(Attempt)
            .where(Attempt.exam_id == exam_id)
            .values(deadline=datetime.fromtimestamp(deadline, UTC).replace(tzinfo=None))
        )
        session.commit()
    engine.dispose()

    def save(username, client, body, position_index, seq, kind, expect_ok) -> None:
        item = items_of(body)[position_index]
        path = f"/api/attempts/{body['id']}/answers/{item['position']}"
        try:
            reply = client.api("PUT", path, {"choice": first_choice(item, rng), "seq": seq})
        except OSError as error:
            kinds[kind].add(0, "connection error")
            kinds[kind].error(f"{username}: {error!r}")
            return
        kinds[kind].add(reply.seconds, reply.status)
        if reply.status == 200:
            with kinds[kind].lock:
                ledger.ack(body["id"], item["position"], seq)
        refused = reply.status == 409 and reply.json().get("error") == "attempt_closed"
        if (expect_ok and reply.status != 200) or (not expect_ok and not refused):
            unexpected.append(f"{kind} {username}: {reply.status} {reply.text[:120]}")

    def finish(username, client, body, path, kind, tabs) -> None:
        def once() -> None:
            try:
                reply = client.api("POST" if kind == "submit" else "GET", path)
            except OSError as error:
                kinds["submit"].add(0, "connection error")
                kinds["submit"].error(f"{username}: {error!r}")
                return
            kinds["submit"].add(reply.seconds, reply.status)
            if reply.status == 200:
                with kinds["submit"].lock:
                    ledger.scores[body["id"]].append(reply.json()["score"])
            else:
                unexpected.append(f"{kind} {username}: {reply.status} {reply.text[:120]}")

        run_threads([once] * tabs)

    def submitter(username, client, body) -> None:
        sleep_until(deadline - rng.uniform(*IN_TIME))
        save(username, client, body, 1, 2, "in-time save", True)
        sleep_until(deadline + rng.uniform(-5, 5))
        tabs = 2 if rng.random() < 0.1 else 1
        finish(username, client, body, f"/api/attempts/{body['id']}/submit", "submit", tabs)
        save(username, client, body, 2, 3, "late save", False)

    def lingerer(username, client, body) -> None:
        sleep_until(deadline - rng.uniform(*IN_TIME))
        save(username, client, body, 1, 2, "in-time save", True)
        sleep_until(deadline + rng.uniform(0.5, GRACE - 5))
        save(username, client, body, 2, 3, "grace save", True)
        sleep_until(deadline + GRACE + rng.uniform(2, 5))
        save(username, client, body, 3, 4, "late save", False)
        finish(username, client, body, f"/api/attempts/{body['id']}/result", "result", 2)

    targets = []
    for number, (username, client) in enumerate(zip(usernames, clients, strict=True)):
        body = bodies.get(username)
        if body is None:
            continue
        role = submitter if number % 2 == 0 else lingerer
        targets.append(lambda r=role, u=username, c=client, b=body: r(u, c, b))
    run_threads(targets)
    kinds["unexpected"] = Timings(errors=unexpected)
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description="Start rush and submit rush")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=infra.DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=infra.DEFAULT_THREADS)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ledger = Ledger()
    with infra.fresh_database(args.db) as url:
        population = seed.populate(url, args.candidates)
        server = infra.Gunicorn(
            url,
            workers=args.workers,
            threads=args.threads,
            extra_env={"SAVE_GRACE_SECONDS": str(GRACE)},
        )
        server.start()
        try:
            began = time.time()
            clients = sign_in_all(server, population, parallel=8)
            print(f"{len(clients)} candidates signed in in {time.time() - began:.0f} s", flush=True)
            starts, bodies, start_seconds, spread = start_rush(
                clients, population.exam_id, ledger, rng
            )
            print(
                f"start rush: released over {spread:.1f} s, done in {start_seconds:.1f} s; "
                f"{starts.line()}"
            )
            engine = make_engine(url)
            with Session(engine) as session:
                rows = session.execute(
                    select(Attempt.cadre_id, Attempt.paper).where(
                        Attempt.exam_id == population.exam_id
                    )
                ).all()
            per_cadre = Counter(cadre for cadre, paper in rows if paper and paper.get("sections"))
            engine.dispose()
            one_each = len(per_cadre) == args.candidates and set(per_cadre.values()) == {1}
            same_reply = all(len(set(ids)) == 1 for ids in ledger.starts.values())
            counts = dict(Counter(per_cadre.values()))
            print(
                f"start rush database: {len(per_cadre)} candidates with a paper, "
                f"attempts each {counts}; double-clicks agree: {same_reply}"
            )
            kinds = submit_rush(clients, bodies, url, population.exam_id, ledger, rng)
            for kind, timings in kinds.items():
                if kind != "unexpected":
                    print(f"submit rush {kind}: {timings.line()}")
            unexpected = kinds["unexpected"].errors
            print(f"unexpected outcomes: {len(unexpected)}")
            for text in unexpected[:10]:
                print("  ", text)
        finally:
            server.stop()
        verdict = check(url, ledger, population.exam_id)
        engine = make_engine(url)
        with Session(engine) as session:
            open_left = session.scalar(
                select(func.count()).where(
                    Attempt.exam_id == population.exam_id, Attempt.status == "in_progress"
                )
            )
            statuses = dict(
                session.execute(
                    select(Attempt.status, func.count())
                    .where(Attempt.exam_id == population.exam_id)
                    .group_by(Attempt.status)
                ).all()
            )
            answers = session.scalar(select(func.count()).select_from(Answer))
        engine.dispose()
    print("database:", verdict.summary(), f"; statuses {statuses}; {answers} answers stored")
    for problem in verdict.grading_problems[:10]:
        print("  grading:", problem)
    start_errors = sum(n for s, n in starts.statuses.items() if s not in (200, 201))
    start_met = start_errors == 0 and one_each and same_reply and not starts.errors
    grace_ok = kinds["grace save"].statuses.get(200, 0) == len(kinds["grace save"].seconds)
    late_refused = kinds["late save"].statuses.get(409, 0) == len(kinds["late save"].seconds)
    submit_met = (
        not unexpected
        and verdict.ok
        and open_left == 0
        and grace_ok
        and late_refused
        and verdict.graded == verdict.attempts
    )
    print("start rush target:", "MET" if start_met else "MISSED")
    print("submit rush target:", "MET" if submit_met else "MISSED")
    if args.no_record:
        return
    database = "SQLite (WAL)" if args.db == "sqlite" else infra.postgres_version()
    config = f"{args.workers}×{args.threads}"
    infra.record(
        "Start rush (issue: load, item 2)",
        START_INTRO,
        [
            "date",
            "machine",
            "database",
            "workers×threads",
            "candidates",
            "released over",
            "all answered in",
            "p50 / p95 / p99 / max",
            "errors",
            "attempts and papers",
            "target",
        ],
        [
            infra.now_stamp(),
            infra.machine(),
            database,
            config,
            f"{args.candidates} (+{len(starts.seconds) - args.candidates} double-clicks)",
            f"{spread:.1f} s",
            f"{start_seconds:.1f} s",
            f"{starts.pct(0.5):.0f} / {starts.pct(0.95):.0f} / {starts.pct(0.99):.0f} / "
            f"{starts.pct(1.0):.0f} ms",
            str(start_errors + len(starts.errors)),
            f"{len(per_cadre)} candidates, {dict(Counter(per_cadre.values()))} each; "
            f"double-clicks agree: {'yes' if same_reply else 'NO'}",
            "met" if start_met else "missed",
        ],
    )
    infra.record(
        "Submit rush (issue: load, item 2)",
        SUBMIT_INTRO,
        [
            "date",
            "machine",
            "database",
            "workers×threads",
            "candidates",
            "submits p50/p99",
            "grace saves accepted",
            "late saves refused",
            "graded",
            "lost saves",
            "unexpected",
            "target",
        ],
        [
            infra.now_stamp(),
            infra.machine(),
            database,
            config,
            f"{args.candidates}; last in-time saves T−{IN_TIME[1]:g}..T−{IN_TIME[0]:g} s",
            f"{kinds['submit'].pct(0.5):.0f} / {kinds['submit'].pct(0.99):.0f} ms "
            f"({len(kinds['submit'].seconds)} calls)",
            f"{kinds['grace save'].statuses.get(200, 0)} of {len(kinds['grace save'].seconds)}",
            f"{kinds['late save'].statuses.get(409, 0)} of {len(kinds['late save'].seconds)}",
            f"{verdict.graded} of {verdict.attempts} once ({statuses}); "
            f"{len(verdict.grading_problems)} problems",
            f"{len(verdict.lost)} of {verdict.positions_checked}",
            str(len(unexpected)),
            "met" if submit_met else "missed",
        ],
    )


START_INTRO = """\
`.venv/bin/python -m bench.rush --db postgres|sqlite --candidates 2000` (part of `make bench`).
The candidates sign in first (not timed); then each starts the exam at a moment drawn
uniformly from a 10 s window, one in ten with a double-click (two starts at once).
Target: zero errors, exactly one attempt with one paper per candidate, p99 recorded."""

SUBMIT_INTRO = """\
Same run, after the start rush. Each candidate saves once; the deadlines are then moved
in the database to T, ~25 s ahead (grace 10 s), and each candidate saves once more
between T−15 and T−2 s (the first rows: T−4..T−1, a burst of 2,000 saves in 3 s).
Half submit within ±5 s of the deadline (one in ten twice at once) and then try a
save, which must be refused; half never submit: one save inside the grace window (sent
0.5–5 s after T; must be accepted), one after it (must be refused with attempt_closed,
which closes and grades the attempt), then the result twice at once. Target: grace saves
accepted, later ones refused, every attempt graded exactly once with every accepted save
counted."""


if __name__ == "__main__":
    main()
