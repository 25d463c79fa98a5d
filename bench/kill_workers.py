"""Killed workers: SIGKILL a gunicorn worker every second under a save load.

    .venv/bin/python -m bench.kill_workers --db postgres --seconds 60
    .venv/bin/python -m bench.kill_workers --db sqlite --seconds 60

Two runs, the same load and the same killing:
1. the real build (APP_ENV=production): every acknowledged save must be in the
   database afterwards, and every attempt graded once;
2. the negative control: the same app with LAWEXAM_FAULT_ACK_BEFORE_COMMIT=1
   (honoured only outside production; the save replies, then commits 100 ms
   later, like a write-behind buffer). It must show lost acknowledged saves,
   which proves the check can fail.

Each candidate is a thread saving answers one after another (a new seq each);
on a connection error (the worker died under it) it retries the same body, same
seq, until it gets an answer. Only a 200 counts as acknowledged. After the load
every candidate submits; then the server stops and the database is checked.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field

from bench.load import infra, seed
from bench.load.client import Client, first_choice, items_of
from bench.load.verify import Ledger, Verdict, check

FAULT_ENV = "LAWEXAM_FAULT_ACK_BEFORE_COMMIT"


@dataclass
class Outcome:
    label: str
    seconds: float
    kills: int = 0
    acknowledged: int = 0
    retries: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)
    fault_seen: bool = False

    def line(self) -> str:
        return (
            f"{self.label}: {self.seconds:.0f} s, {self.kills} workers killed, "
            f"{self.acknowledged} saves acknowledged after {self.retries} retries; "
            f"{len(self.verdict.lost)} acknowledged saves lost; "
            f"{self.verdict.graded}/{self.verdict.attempts} graded; "
            f"{len(self.verdict.grading_problems)} grading problems; {len(self.errors)} errors"
        )


def run(
    url: str,
    population: seed.Population,
    *,
    control: bool,
    seconds: float,
    candidates: int,
    kill_every: float = 1.0,
    workers: int = infra.DEFAULT_WORKERS,
    threads: int = infra.DEFAULT_THREADS,
    first: int = 0,
    max_saves: int | None = None,
    pause: float = 0.0,
    stop_on_loss: bool = False,
    rng_seed: int = 7,
) -> Outcome:
    """One load run with a worker killed every `kill_every` seconds; the database checked.

    Uses population.usernames[first:first + candidates], so that two runs on one
    database use different candidates. Each candidate waits `pause` seconds between
    two saves and all stop after `max_saves` saves. With `stop_on_loss` the run ends at
    the first kill that lost an acknowledged save (checked a kill interval later, when
    every surviving worker has committed): the short negative control in the tests."""
    label = "negative control (ack before commit)" if control else "real build"
    extra = {FAULT_ENV: "1"} if control else {}
    server = infra.Gunicorn(
        url,
        workers=workers,
        threads=threads,
        app_env="development" if control else "production",
        extra_env=extra,
        quiet=True,
    )
    ledger = Ledger()
    outcome = Outcome(label, seconds)
    lock = threading.Lock()
    stop = threading.Event()
    budget = [max_saves if max_saves is not None else 10**9]
    server.start()
    try:
        names = population.usernames[first : first + candidates]
        sessions = []
        for username in names:
            client = Client(server.url, timeout=30)
            client.login(username, population.password)
            body = client.expect("POST", f"/api/exams/{population.exam_id}/attempts")
            sessions.append((client, body))

        def candidate(client: Client, body: dict, rng: random.Random) -> None:
            items = items_of(body)
            seq = 0
            while not stop.is_set():
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                item = rng.choice(items)
                seq += 1
                payload = {"choice": first_choice(item, rng), "seq": seq}
                path = f"/api/attempts/{body['id']}/answers/{item['position']}"
                for attempt in range(200):
                    try:
                        reply = client.api("PUT", path, payload)
                    except (OSError, http.client.HTTPException):
                        with lock:
                            outcome.retries += 1
                        time.sleep(0.02 * min(attempt + 1, 10))
                        continue
                    if reply.status == 200:
                        with lock:
                            ledger.ack(body["id"], item["position"], seq)
                            outcome.acknowledged += 1
                            outcome.fault_seen |= "x-fault-injected" in reply.headers
                    else:
                        with lock:
                            outcome.errors.append(f"{reply.status} {reply.text[:150]}")
                    break
                else:
                    with lock:
                        outcome.gave_up += 1
                if pause:
                    stop.wait(pause)

        def killer() -> None:
            snapshot = None
            while not stop.wait(kill_every):
                if snapshot is not None and check(url, snapshot, population.exam_id).lost:
                    stop.set()  # the previous kill lost an acknowledged save
                    return
                pids = server.worker_pids()
                if pids:
                    try:
                        os.kill(random.choice(pids), signal.SIGKILL)
                        outcome.kills += 1
                    except ProcessLookupError:
                        pass
                if stop_on_loss:
                    snapshot = Ledger()
                    with lock:
                        snapshot.merge(ledger)  # what was acknowledged when the worker died

        rng = random.Random(rng_seed)
        load = [
            threading.Thread(target=candidate, args=(c, b, random.Random(rng.random())))
            for c, b in sessions
        ]
        kill_thread = threading.Thread(target=killer)
        began = time.monotonic()
        for thread in load:
            thread.start()
        kill_thread.start()
        deadline = began + seconds
        while time.monotonic() < deadline and any(t.is_alive() for t in load):
            time.sleep(0.05)
        stop.set()
        kill_thread.join()
        for thread in load:
            thread.join(timeout=60)
        outcome.seconds = time.monotonic() - began
        # Let the master replace the last killed worker before the submits.
        server.wait_ready(30)
        for client, body in sessions:
            for _ in range(3):
                try:
                    reply = client.api("POST", f"/api/attempts/{body['id']}/submit")
                except (OSError, http.client.HTTPException):
                    continue
                if reply.status == 200:
                    ledger.scores[body["id"]].append(reply.json()["score"])
                else:
                    outcome.errors.append(f"submit {reply.status} {reply.text[:150]}")
                break
    finally:
        server.stop()
    outcome.verdict = check(url, ledger, population.exam_id)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description="SIGKILL a gunicorn worker every second")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--no-control", action="store_true", help="skip the negative control")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    outcomes = []
    with infra.fresh_database(args.db) as url:
        population = seed.populate(url, args.candidates * 2)
        outcomes.append(
            run(url, population, control=False, seconds=args.seconds, candidates=args.candidates)
        )
        print(outcomes[-1].line(), flush=True)
        if not args.no_control:
            outcomes.append(
                run(
                    url,
                    population,
                    control=True,
                    seconds=args.seconds,
                    candidates=args.candidates,
                    first=args.candidates,
                )
            )
            print(outcomes[-1].line(), flush=True)
    real = outcomes[0]
    real_met = (
        not real.verdict.lost
        and not real.verdict.grading_problems
        and not real.errors
        and real.kills >= int(args.seconds) - 2
        and real.acknowledged > 0
    )
    control_met = len(outcomes) < 2 or (outcomes[1].fault_seen and bool(outcomes[1].verdict.lost))
    print("real build: nothing lost:", "MET" if real_met else "MISSED")
    if len(outcomes) > 1:
        print("negative control shows losses:", "yes" if control_met else "NO: the test is blind")
    if args.no_record:
        return
    database = "SQLite (WAL)" if args.db == "sqlite" else infra.postgres_version()
    for outcome in outcomes:
        control = outcome is not real
        infra.record(
            "Killed workers (issue: load, item 3)",
            KILL_INTRO,
            [
                "date",
                "machine",
                "database",
                "build",
                "duration",
                "workers killed",
                "saves acknowledged",
                "retries",
                "acknowledged saves lost",
                "graded once",
                "expected",
                "result",
            ],
            [
                infra.now_stamp(),
                infra.machine(),
                database,
                outcome.label,
                f"{outcome.seconds:.0f} s",
                str(outcome.kills),
                str(outcome.acknowledged),
                str(outcome.retries),
                f"{len(outcome.verdict.lost)} of {outcome.verdict.positions_checked} answers",
                f"{outcome.verdict.submitted_checked - len(outcome.verdict.grading_problems)}"
                f"/{outcome.verdict.submitted_checked}",
                "losses" if control else "none lost",
                ("as expected" if control_met else "NOT SEEN")
                if control
                else ("met" if real_met else "missed"),
            ],
        )


KILL_INTRO = """\
`.venv/bin/python -m bench.kill_workers --db postgres|sqlite --seconds 60` (part of
`make bench`; `tests/integration/test_fault_short.py` runs a 6 s version in `make test`).
40 candidates save answers back to back while a gunicorn worker (3 gthread workers × 4
threads) is killed with SIGKILL every second; a save that meets a dead connection is
retried with the same seq. Then every candidate submits and the database is checked.
The negative control runs the same load against a build that acknowledges before it
commits (LAWEXAM_FAULT_ACK_BEFORE_COMMIT=1, never honoured in production): it must
lose acknowledged saves, or the test could not fail."""


if __name__ == "__main__":
    main()
