"""Simulated candidates for locust (run headless by bench/load/run.py).

Candidate: signs in through the form, lists its exams, starts the attempt,
answers every question with think time (autosave: one PUT per answer, a
monotonic seq per attempt), and submits. Every acknowledged save and every
submit's score goes into a ledger that run.py checks against the database.

HealthzHammer / SaveHammer: no think time, for the saturation phase: the bare
/healthz endpoint against the autosave endpoint of the same server.

Settings come from the environment (run.py sets them):
LOAD_PREFIX, LOAD_FIRST, LOAD_COUNT  the accounts to use (LT00001 ...)
LOAD_PASSWORD, LOAD_EXAM_ID
LOAD_THINK                           mean seconds between two answers (30)
LOAD_LEDGER                          where the ledger is written at the end
LOAD_TIMINGS                         where save timings are written (start time, ms)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from bench.load.verify import Ledger

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PREFIX = os.environ.get("LOAD_PREFIX", "LT")
FIRST = int(os.environ.get("LOAD_FIRST", "1"))
COUNT = int(os.environ.get("LOAD_COUNT", "100"))
PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-candidate-2026")
EXAM_ID = int(os.environ.get("LOAD_EXAM_ID", "1"))
THINK = float(os.environ.get("LOAD_THINK", "30"))
SAVE_NAME = "PUT /api/attempts/[id]/answers/[position]"

numbers = itertools.count(FIRST)
ledger = Ledger()
save_timings: list[tuple[float, float, bool]] = []  # (start, ms, ok)
finished = 0
started_at: list[float] = []  # when each attempt was started
submitted_at: list[float] = []  # when each submit was sent
failures_seen: list[str] = []


def note_failure(text: str) -> None:
    if len(failures_seen) < 50:
        failures_seen.append(text[:300])


class SignedIn(FastHttpUser):
    abstract = True
    # Loopback: the server may queue requests for seconds at the start; never give up early.
    network_timeout = 120.0
    connection_timeout = 120.0

    def sign_in(self) -> None:
        number = next(numbers)
        if number >= FIRST + COUNT:
            raise StopUser()
        self.username = f"{PREFIX}{number:05d}"
        page = self.client.get("/auth/login", name="GET /auth/login")
        token = CSRF_META.search(page.text or "").group(1)
        with self.client.post(
            "/auth/login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": token},
            name="POST /auth/login (+ landing page)",
            catch_response=True,
        ) as reply:
            match = CSRF_META.search(reply.text or "")
            if reply.status_code != 200 or "/candidate" not in (reply.url or ""):
                reply.failure(f"login landed on {reply.url} with {reply.status_code}")
                raise StopUser()
        self.headers = {"X-CSRFToken": match.group(1), "Accept": "application/json"}

    def begin_attempt(self) -> dict:
        exams = self.client.get("/api/exams", headers=self.headers, name="GET /api/exams")
        if not any(row["id"] == EXAM_ID for row in exams.json()):
            note_failure(f"{self.username}: exam {EXAM_ID} not listed")
        with self.client.post(
            f"/api/exams/{EXAM_ID}/attempts",
            headers=self.headers,
            name="POST /api/exams/[id]/attempts",
            catch_response=True,
        ) as reply:
            if reply.status_code not in (200, 201):
                reply.failure(f"start: {reply.status_code} {reply.text[:200]}")
                raise StopUser()
            body = reply.json()
        ledger.starts[self.username].append(body["id"])
        started_at.append(time.time())
        self.seq = 0
        return body

    def save(self, attempt_id: int, item: dict) -> bool:
        keys = [option["key"] for option in item["options"]]
        choice = (
            sorted(random.sample(keys, 2)) if item["type"] == "multiple" else [random.choice(keys)]
        )
        self.seq += 1
        started = time.time()
        with self.client.put(
            f"/api/attempts/{attempt_id}/answers/{item['position']}",
            json={"choice": choice, "seq": self.seq},
            headers=self.headers,
            name=SAVE_NAME,
            catch_response=True,
        ) as reply:
            ok = reply.status_code == 200
            if ok:
                ledger.ack(attempt_id, item["position"], self.seq)
            else:
                reply.failure(f"save: {reply.status_code} {(reply.text or '')[:200]}")
                note_failure(f"save {attempt_id}/{item['position']}: {reply.status_code}")
            save_timings.append((started, (time.time() - started) * 1000, ok))
            return ok

    def submit(self, attempt_id: int) -> None:
        submitted_at.append(time.time())
        with self.client.post(
            f"/api/attempts/{attempt_id}/submit",
            headers=self.headers,
            name="POST /api/attempts/[id]/submit",
            catch_response=True,
        ) as reply:
            if reply.status_code != 200:
                reply.failure(f"submit: {reply.status_code} {(reply.text or '')[:200]}")
                return
            ledger.scores[attempt_id].append(reply.json()["score"])


class Candidate(SignedIn):
    """Sign in, start, answer every question with think time, submit; then stop."""

    wait_time = constant(0)

    @task
    def sit_the_exam(self) -> None:
        global finished
        self.sign_in()
        body = self.begin_attempt()
        items = [item for section in body["sections"] for item in section["items"]]
        # Reading the first question: candidates do not all answer at the same second.
        gevent.sleep(random.uniform(0, THINK))
        for item in items:
            self.save(body["id"], item)
            gevent.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))
        self.submit(body["id"])
        finished += 1
        if finished >= COUNT:
            # A second for the last replies to reach the statistics before locust stops.
            gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser()


class HealthzHammer(FastHttpUser):
    """The bare endpoint: no session, no database."""

    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="GET /healthz")


class SaveHammer(SignedIn):
    """Saves with no think time, each with a higher seq, over the whole paper."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.sign_in()
        body = self.begin_attempt()
        self.attempt_id = body["id"]
        self.items = [item for section in body["sections"] for item in section["items"]]

    @task
    def save_again(self) -> None:
        self.save(self.attempt_id, random.choice(self.items))


@events.quitting.add_listener
def write_ledger(environment, **_kwargs) -> None:
    if os.environ.get("LOAD_LEDGER"):
        ledger.dump(Path(os.environ["LOAD_LEDGER"]))
    if os.environ.get("LOAD_TIMINGS"):
        Path(os.environ["LOAD_TIMINGS"]).write_text(
            json.dumps(
                {
                    "saves": save_timings,
                    "failures": failures_seen,
                    "finished": finished,
                    "started_at": started_at,
                    "submitted_at": submitted_at,
                }
            )
        )
