"""Scale-out: two gunicorn instances on two ports against one PostgreSQL.

One candidate's requests alternate between the instances (as a load balancer
without sticky sessions would send them): every answer is stored, the attempt
is graded once, and both instances tell the same result. With Redis at
127.0.0.1:6379 the sign-in limiter's counts are shared by the instances too.
The deployment itself is described in README.md, "Several instances".
"""

from __future__ import annotations

import os
import random
import socket
import threading
import urllib.parse
import uuid
from pathlib import Path

import pytest

from bench.load import infra, seed
from bench.load.client import Client, first_choice, items_of
from bench.load.verify import Ledger, check

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="scale-out needs one PostgreSQL shared by two instances: set TEST_DATABASE_URL "
    "to a postgresql URL (CI's second pass, make test-pg); SQLite is one machine's file",
)

REDIS = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def two_instances(app, database_url: str, tmp_path: Path):
    storage = REDIS if redis_answers() else "memory://"
    secret = "scale-out-" + uuid.uuid4().hex
    servers = [
        infra.Gunicorn(
            database_url,
            workers=2,
            threads=2,
            secret_key=secret,
            ratelimit_storage=storage,
            log_path=tmp_path / f"gunicorn-{n}.log",
            quiet=True,
        )
        for n in (1, 2)
    ]
    try:
        for server in servers:
            server.start()
        yield servers, storage
    finally:
        for server in servers:
            server.stop()


def test_one_candidate_alternating_between_instances(two_instances, database_url: str) -> None:
    servers, _storage = two_instances
    assert servers[0].port != servers[1].port
    population = seed.populate(database_url, 1, migrate=False)
    client = Client([server.url for server in servers], timeout=30)
    client.login(population.usernames[0], population.password)
    body = client.expect("POST", f"/api/exams/{population.exam_id}/attempts")
    attempt_id = body["id"]
    ledger = Ledger()
    rng = random.Random(3)
    served = set()
    # Every question, then every one changed again.
    for seq, item in enumerate(items_of(body) * 2, start=1):
        reply = client.api(
            "PUT",
            f"/api/attempts/{attempt_id}/answers/{item['position']}",
            {"choice": first_choice(item, rng), "seq": seq},
        )
        assert reply.status == 200, reply.text
        assert reply.json()["applied"] is True
        ledger.ack(attempt_id, item["position"], seq)
        served.add(reply.base)
    assert served == {server.url for server in servers}, "requests did not alternate"

    # Each instance sees every answer the other stored.
    views = [client.api("GET", f"/api/attempts/{attempt_id}") for _ in servers]
    for view in views:
        assert view.status == 200
        assert {int(p): a["seq"] for p, a in view.json()["answers"].items()} == dict(
            ledger.acks[attempt_id]
        )

    # Submits on both instances at the same moment: one grading, one result.
    barrier = threading.Barrier(4)
    replies = []

    def submit(base: str) -> None:
        barrier.wait(timeout=10)
        replies.append(
            client.request(
                "POST",
                f"/api/attempts/{attempt_id}/submit",
                headers={"X-CSRFToken": client.csrf, "Accept": "application/json"},
                base=base,
            )
        )

    threads = [threading.Thread(target=submit, args=(s.url,)) for s in servers * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status for r in replies] == [200] * 4, [r.text for r in replies]
    scores = {r.json()["score"] for r in replies}
    assert len(scores) == 1
    ledger.scores[attempt_id].extend(r.json()["score"] for r in replies)
    results = [client.expect("GET", f"/api/attempts/{attempt_id}/result") for _ in servers]
    assert results[0] == results[1]

    verdict = check(database_url, ledger, population.exam_id)
    assert verdict.lost == [], verdict.summary()
    assert verdict.grading_problems == [], verdict.grading_problems
    assert (verdict.attempts, verdict.graded) == (1, 1)


def test_sign_in_limits_are_shared_through_redis(two_instances) -> None:
    servers, storage = two_instances
    if storage != REDIS:
        pytest.skip("no Redis at 127.0.0.1:6379: each instance would count failures alone")
    client = Client([server.url for server in servers], timeout=30)
    username = "nobody-" + uuid.uuid4().hex[:12]  # a fresh key in the shared store
    statuses = []
    for _ in range(6):
        client.page("/auth/login")
        form = urllib.parse.urlencode(
            {"username": username, "password": "wrong-password", "csrf_token": client.csrf}
        ).encode()
        reply = client.request(
            "POST",
            "/auth/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        statuses.append(reply.status)
    # 5 failures per minute per username, counted across both instances: the sixth is refused.
    assert statuses[:5] == [200] * 5, statuses
    assert statuses[5] == 429, statuses
