"""Scale-out: two gunicorn instances on two ports, one PostgreSQL, Redis for the limiter.

    .venv/bin/python -m bench.scaleout --candidates 200

Every candidate's requests alternate between the two instances (a load balancer
without sticky sessions): sign in, start, answer all 20 questions, submit on one
instance and again on the other. Afterwards every acknowledged answer must be in
the database and every attempt graded once, with both submit replies showing the
same score. The short version is tests/integration/test_scaleout.py (make test-pg).
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid

from bench.load import infra, seed
from bench.load.client import Client, first_choice, items_of
from bench.load.verify import Ledger, check


def main() -> None:
    parser = argparse.ArgumentParser(description="Two instances, one PostgreSQL")
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    ledger = Ledger()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    per_instance: dict[str, int] = {}
    secret = "scale-out-" + uuid.uuid4().hex
    with infra.fresh_database("postgres") as url:
        population = seed.populate(url, args.candidates)
        servers = [
            infra.Gunicorn(url, secret_key=secret, ratelimit_storage=infra.REDIS_URL)
            for _ in range(2)
        ]
        try:
            for server in servers:
                server.start()

            def candidate(username: str, rng: random.Random) -> None:
                client = Client([s.url for s in servers], timeout=120)
                try:
                    client.login(username, population.password)
                    body = client.expect("POST", f"/api/exams/{population.exam_id}/attempts")
                    for seq, item in enumerate(items_of(body), start=1):
                        time.sleep(rng.uniform(0, 0.2))
                        reply = client.api(
                            "PUT",
                            f"/api/attempts/{body['id']}/answers/{item['position']}",
                            {"choice": first_choice(item, rng), "seq": seq},
                        )
                        with lock:
                            latencies.append(reply.seconds)
                            per_instance[reply.base] = per_instance.get(reply.base, 0) + 1
                            if reply.status == 200:
                                ledger.ack(body["id"], item["position"], seq)
                            else:
                                errors.append(f"{username}: {reply.status} {reply.text[:100]}")
                    for _ in servers:  # submit on one instance, then again on the other
                        result = client.expect("POST", f"/api/attempts/{body['id']}/submit")
                        with lock:
                            ledger.scores[body["id"]].append(result["score"])
                except Exception as error:  # counted and reported, never hidden
                    with lock:
                        errors.append(f"{username}: {error!r}"[:200])

            rng = random.Random(11)
            threads = [
                threading.Thread(target=candidate, args=(name, random.Random(rng.random())))
                for name in population.usernames
            ]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            seconds = time.monotonic() - began
        finally:
            for server in servers:
                server.stop()
        verdict = check(url, ledger, population.exam_id)
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else float("nan")
    met = not errors and verdict.ok and verdict.graded == verdict.attempts == args.candidates
    print(
        f"{args.candidates} candidates over 2 instances in {seconds:.0f} s; saves per instance "
        f"{sorted(per_instance.values())}; save p99 {p99:.0f} ms; {len(errors)} errors"
    )
    for text in errors[:10]:
        print("  ", text)
    print("database:", verdict.summary())
    print("scale-out target:", "MET" if met else "MISSED")
    if args.no_record:
        return
    infra.record(
        "Scale-out: two instances, one PostgreSQL (issue: load, item 6)",
        SCALE_INTRO,
        [
            "date",
            "machine",
            "database",
            "instances",
            "candidates",
            "duration",
            "saves per instance",
            "save p99",
            "errors",
            "database check",
            "target",
        ],
        [
            infra.now_stamp(),
            infra.machine(),
            infra.postgres_version() + ", Redis limiter",
            f"2 × {infra.DEFAULT_WORKERS}×{infra.DEFAULT_THREADS}",
            str(args.candidates),
            f"{seconds:.0f} s",
            " / ".join(str(n) for n in sorted(per_instance.values())),
            f"{p99:.0f} ms",
            str(len(errors)),
            f"{len(verdict.lost)} of {verdict.positions_checked} lost; "
            f"{verdict.graded}/{verdict.attempts} graded once; "
            f"{len(verdict.grading_problems)} problems",
            "met" if met else "missed",
        ],
    )


SCALE_INTRO = """\
`.venv/bin/python -m bench.scaleout --candidates 200` (part of `make bench`); the short
version is `tests/integration/test_scaleout.py`, run by `make test-pg` and CI's PostgreSQL
pass. Two gunicorn instances on two loopback ports share one PostgreSQL database, one
SECRET_KEY and Redis for the sign-in limiter; each candidate's requests alternate between
them (no sticky sessions): sign in, start, 20 answers, submit on each instance. Target:
every answer stored, one grade per attempt, both submit replies the same."""


if __name__ == "__main__":
    main()
