"""The load test: N simulated candidates against gunicorn, then the database is checked.

    .venv/bin/python -m bench.load.run --db sqlite --users 5000
    .venv/bin/python -m bench.load.run --db postgres --users 5000

1. a fresh database (SQLite file in a temporary directory, or a new PostgreSQL
   database, dropped at the end), migrated, with N candidates and an open
   practice exam (20 questions; see seed.py for the accounts);
2. gunicorn serving wsgi:app with APP_ENV=production (infra.Gunicorn);
3. locust, headless: N candidates sign in (spawned at --spawn-rate a second),
   start, answer every question with --think seconds on average between two
   answers (an autosave each), and submit;
4. the saturation phase, same server: --hammer-users clients with no think time
   on GET /healthz for --hammer-seconds, then on the autosave endpoint;
5. the server is stopped and the database checked: every acknowledged save
   stored with its seq or a higher one, every submitted attempt graded once with
   the score its reply showed, one attempt per candidate;
6. a summary is printed and a dated row appended to bench/RESULTS.md.

The run with 5,000 candidates and 30 s of think time takes about 15 minutes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import infra, seed
from bench.load.locustfile import SAVE_NAME
from bench.load.verify import Ledger, Verdict, check

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class EndpointStats:
    name: str
    count: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float


@dataclass
class Phase:
    stats: dict[str, EndpointStats]
    seconds: float
    machine_busy: float  # share of both cores busy, 0..1
    server_cpu: float  # cores used by gunicorn (master + workers)
    cores: dict[str, float] = field(default_factory=dict)  # who used the CPU, in cores
    saves: list[tuple[float, float, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    finished: int = 0
    started_at: list[float] = field(default_factory=list)
    submitted_at: list[float] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_locust(
    server: infra.Gunicorn,
    user_class: str,
    users: int,
    spawn_rate: float,
    seconds: int,
    env: dict[str, str],
    out: Path,
    tag: str,
) -> Phase:
    prefix = out / tag
    ledger_path = out / f"{tag}-ledger.json"
    timings_path = out / f"{tag}-timings.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        server.url,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "5",
        user_class,
    ]
    busy0, total0 = cpu_busy()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    snapshot0 = infra.cpu_snapshot()
    workers0 = server.worker_pids()
    server_cpu0 = infra.cpu_seconds([server.process.pid, *workers0])
    started = time.monotonic()
    with (out / f"{tag}-locust.log").open("wb") as log:
        subprocess.run(
            command,
            cwd=infra.ROOT,
            env=os.environ
            | env
            | {
                "LOAD_LEDGER": str(ledger_path),
                "LOAD_TIMINGS": str(timings_path),
                "PYTHONPATH": str(infra.ROOT),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds_taken = time.monotonic() - started
    busy1, total1 = cpu_busy()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    snapshot1 = infra.cpu_snapshot()
    workers1 = server.worker_pids()
    # Workers that lived through the phase: their CPU at the end less at the start.
    server_cpu1 = infra.cpu_seconds([server.process.pid, *workers1])
    phase = Phase(
        read_stats(Path(f"{prefix}_stats.csv")),
        seconds_taken,
        (busy1 - busy0) / max(1, total1 - total0),
        (server_cpu1 - server_cpu0) / seconds_taken if workers0 == workers1 else float("nan"),
    )
    split = infra.cpu_split(snapshot0, snapshot1, {server.process.pid, *workers1})
    split["locust"] = (children1.ru_utime + children1.ru_stime) - (
        children0.ru_utime + children0.ru_stime
    )
    phase.cores = {name: seconds / seconds_taken for name, seconds in split.items()}
    # Whatever else kept the cores busy (other jobs on the machine, processes that ended
    # during the phase): the machine's busy time less what is accounted for above.
    busy_cores = phase.machine_busy * (os.cpu_count() or 1)
    phase.cores.pop("other", None)
    phase.cores["other jobs"] = max(0.0, busy_cores - sum(phase.cores.values()))
    if timings_path.exists():
        data = json.loads(timings_path.read_text())
        phase.saves = [tuple(row) for row in data["saves"]]
        phase.failures = data["failures"]
        phase.finished = data["finished"]
        phase.started_at = data.get("started_at", [])
        phase.submitted_at = data.get("submitted_at", [])
    phase.ledger = Ledger.load(ledger_path) if ledger_path.exists() else Ledger()
    return phase


def read_stats(path: Path) -> dict[str, EndpointStats]:
    stats = {}
    if not path.exists():
        return stats
    with path.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] else "all"
            if row["Name"] == "Aggregated":
                name = "all"
            stats[name] = EndpointStats(
                name,
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["Requests/s"]),
                float(row["50%"] if row["50%"] != "N/A" else 0),
                float(row["95%"] if row["95%"] != "N/A" else 0),
                float(row["99%"] if row["99%"] != "N/A" else 0),
                float(row["Max Response Time"]),
            )
    return stats


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def peak_rate(starts: list[float], window: float = 60) -> float:
    """The highest number of saves per second over any `window` seconds."""
    starts = sorted(starts)
    best, left = 0, 0
    for right, moment in enumerate(starts):
        while moment - starts[left] > window:
            left += 1
        best = max(best, right - left + 1)
    return best / window


def steady_rate(saves: list[tuple[float, float, bool]], skip: float = 3) -> float:
    """Saves per second once every hammer is signed in: from `skip` s after the first save."""
    starts = sorted(row[0] for row in saves)
    if len(starts) < 2:
        return 0.0
    window = [s for s in starts if s >= starts[0] + skip]
    return len(window) / max(1e-9, window[-1] - window[0])


def steady_window(phase: Phase, think: float) -> tuple[float, float]:
    """From one think time after the last candidate started (every candidate signed in and
    answering) to the first submit: the exam in full swing, no sign-ins, no submits."""
    if not phase.started_at or not phase.submitted_at:
        return (0.0, 0.0)
    return (max(phase.started_at) + think, min(phase.submitted_at))


def fmt_ms(value: float) -> str:
    return f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Load test: locust against gunicorn, verified")
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--think", type=float, default=30, help="mean seconds between answers")
    parser.add_argument("--spawn-rate", type=float, default=15, help="candidates signing in /s")
    parser.add_argument("--workers", type=int, default=infra.DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=infra.DEFAULT_THREADS)
    parser.add_argument("--hammer-users", type=int, default=40)
    parser.add_argument("--hammer-seconds", type=int, default=30)
    parser.add_argument("--skip-hammer", action="store_true")
    parser.add_argument("--max-minutes", type=float, default=40, help="hard stop for locust")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--keep", help="directory for locust CSVs and logs (default: temporary)")
    args = parser.parse_args()

    out = Path(args.keep or tempfile.mkdtemp(prefix="lawexam-load-"))
    out.mkdir(parents=True, exist_ok=True)
    hammer_users = 0 if args.skip_hammer else args.hammer_users
    with infra.fresh_database(args.db) as url:
        print(f"[{infra.now_stamp()}] seeding {args.users} + {hammer_users} candidates", flush=True)
        population = seed.populate(url, args.users + hammer_users)
        common = {
            "LOAD_PREFIX": seed.PREFIX,
            "LOAD_PASSWORD": population.password,
            "LOAD_EXAM_ID": str(population.exam_id),
            "LOAD_THINK": str(args.think),
        }
        server = infra.Gunicorn(
            url, workers=args.workers, threads=args.threads, log_path=out / "gunicorn.log"
        )
        server.start()
        print(f"gunicorn on {server.url}: {server.command[3:-1]}", flush=True)
        try:
            print(f"[{infra.now_stamp()}] phase 1: {args.users} candidates", flush=True)
            exam = run_locust(
                server,
                "Candidate",
                args.users,
                args.spawn_rate,
                int(args.max_minutes * 60),
                common | {"LOAD_FIRST": "1", "LOAD_COUNT": str(args.users)},
                out,
                "exam",
            )
            hammer_health = hammer_save = None
            if hammer_users:
                print(f"[{infra.now_stamp()}] phase 2: saturation, /healthz", flush=True)
                hammer_health = run_locust(
                    server,
                    "HealthzHammer",
                    hammer_users,
                    hammer_users,
                    args.hammer_seconds,
                    common,
                    out,
                    "healthz",
                )
                print(f"[{infra.now_stamp()}] phase 3: saturation, autosave", flush=True)
                hammer_save = run_locust(
                    server,
                    "SaveHammer",
                    hammer_users,
                    hammer_users,
                    args.hammer_seconds,
                    common | {"LOAD_FIRST": str(args.users + 1), "LOAD_COUNT": str(hammer_users)},
                    out,
                    "save",
                )
        finally:
            server.stop()
        ledger = exam.ledger
        if hammer_save is not None:
            ledger.merge(hammer_save.ledger)
        verdict = check(url, ledger, population.exam_id)
    report(args, population, exam, hammer_health, hammer_save, verdict, out)


def report(
    args,
    population,
    exam: Phase,
    health: Phase | None,
    save: Phase | None,
    verdict: Verdict,
    out: Path,
) -> None:
    print()
    print(
        f"== {args.db}: {args.users} candidates, think {args.think:g} s, "
        f"{args.workers} workers x {args.threads} threads; {exam.seconds:.0f} s =="
    )
    print(
        f"{'endpoint':48} {'count':>7} {'fail':>5} {'rps':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'max':>7}"
    )
    for stats in exam.stats.values():
        print(
            f"{stats.name:48} {stats.count:7} {stats.failures:5} {stats.rps:7.1f} "
            f"{stats.p50:6.0f} {stats.p95:6.0f} {stats.p99:6.0f} {stats.max:7.0f}"
        )
    save_ms = [ms for _start, ms, _ok in exam.saves]
    peak = peak_rate([start for start, _ms, _ok in exam.saves])
    all_stats = exam.stats.get("all")
    errors = all_stats.failures if all_stats else -1
    print(
        f"autosave: {len(save_ms)} saves, peak {peak:.1f}/s over 60 s, "
        f"p99 {percentile(save_ms, 0.99):.0f} ms (exact), finished {exam.finished}"
    )
    low, high = steady_window(exam, args.think)
    steady = [(start, ms, ok) for start, ms, ok in exam.saves if low <= start <= high]
    steady_ms = [ms for _start, ms, _ok in steady]
    steady_p99 = percentile(steady_ms, 0.99)
    steady_rps = len(steady) / (high - low) if high > low else 0.0
    steady_errors = sum(1 for _s, _ms, ok in steady if not ok)
    steady_text = (
        f"{len(steady)} saves in {high - low:.0f} s, {steady_rps:.0f}/s, "
        f"p50 {percentile(steady_ms, 0.5):.0f} / p95 {percentile(steady_ms, 0.95):.0f} / "
        f"p99 {steady_p99:.0f} ms, {steady_errors} errors"
        if steady
        else "none (the ramp outlasted the first submit)"
    )
    print(f"autosave in steady state (all candidates answering): {steady_text}")
    cores = ", ".join(f"{name} {used:.2f}" for name, used in exam.cores.items())
    print(f"machine busy {exam.machine_busy:.0%} of 2 cores; cores used: {cores}")
    for failure in exam.failures[:10]:
        print("  failure:", failure)
    ratio = ""
    if health and save:
        health_rps = health.stats["GET /healthz"].rps if "GET /healthz" in health.stats else 0
        save_rps = steady_rate(save.saves)
        save_p50 = percentile([ms for _s, ms, _ok in save.saves], 0.5)
        ratio = (
            f"{save_rps:.0f} saves/s vs {health_rps:.0f} /healthz/s ({save_rps / health_rps:.2f})"
        )
        print(
            f"saturation ({args.hammer_users} clients, no think time): {ratio}; "
            f"save p50 at saturation {save_p50:.0f} ms"
        )
    print("database:", verdict.summary())
    for lost in verdict.lost[:10]:
        print("  lost (attempt, position, acked seq, stored seq):", lost)
    for problem in verdict.grading_problems[:10]:
        print("  grading:", problem)
    met = (
        errors == 0
        and steady_p99 < 250
        and steady_rps >= 0.95 * args.users / args.think
        and verdict.ok
        and exam.finished == args.users
        and verdict.attempts == args.users + (args.hammer_users if save else 0)
    )
    print(
        "target (zero errors, steady autosave rate and p99 < 250 ms, nothing lost, graded once):",
        "MET" if met else "MISSED",
    )
    print(f"locust CSVs and logs: {out}")
    if args.no_record:
        return
    database = "SQLite (WAL)" if args.db == "sqlite" else infra.postgres_version()
    stats_cells = []
    for name in (
        "POST /auth/login (+ landing page)",
        "POST /api/exams/[id]/attempts",
        SAVE_NAME,
        "POST /api/attempts/[id]/submit",
    ):
        s = exam.stats.get(name)
        stats_cells.append(f"{fmt_ms(s.p50)} / {fmt_ms(s.p95)} / {fmt_ms(s.p99)}" if s else "n/a")
    stamp = infra.now_stamp()
    infra.record(
        "Load test: candidates through the JSON API (issue: load, item 1)",
        LOAD_INTRO,
        LOAD_HEADER,
        [
            stamp,
            infra.machine(),
            database,
            f"{args.workers}×{args.threads}",
            f"{args.users} / {args.think:g} s / {args.spawn_rate:g} per s",
            f"{exam.seconds:.0f} s",
            f"{all_stats.count if all_stats else 0} req, {all_stats.rps if all_stats else 0:.1f}/s",
            f"{peak:.0f}/s",
            *stats_cells,
            steady_text,
            str(errors),
            f"{len(verdict.lost)} of {verdict.positions_checked} lost; "
            f"{verdict.submitted_checked} submitted, {verdict.graded} graded once, "
            f"{len(verdict.grading_problems)} problems (+{verdict.attempts - verdict.graded} "
            f"saturation attempts left open); {verdict.extra_attempts} extra attempts",
            ratio or "not run",
            f"{exam.machine_busy:.0%}: " + cores,
            "met" if met else "missed",
        ],
    )
    record_endpoints(stamp, database, exam.stats)


def record_endpoints(stamp: str, database: str, stats: dict[str, EndpointStats]) -> None:
    """One row per endpoint of the candidates' phase, under its own heading."""
    for endpoint in stats.values():
        infra.record(
            "Load test: every endpoint (issue: load, item 1)",
            "The same runs as above, per endpoint over the whole run (sign-in ramp included);\n"
            "milliseconds as locust reports them.",
            [
                "run",
                "database",
                "endpoint",
                "requests",
                "failures",
                "req/s",
                "p50",
                "p95",
                "p99",
                "max",
            ],
            [
                stamp,
                database,
                endpoint.name,
                str(endpoint.count),
                str(endpoint.failures),
                f"{endpoint.rps:.1f}",
                fmt_ms(endpoint.p50),
                fmt_ms(endpoint.p95),
                fmt_ms(endpoint.p99),
                fmt_ms(endpoint.max),
            ],
        )


LOAD_INTRO = """\
`.venv/bin/python -m bench.load.run --db sqlite|postgres --users 5000` (part of `make bench`).
Candidates sign in, start, answer all 20 questions of a practice paper with a think time
of 0.5–1.5 × the mean between answers (each answer one autosave PUT), and submit; locust
(FastHttpUser, one process) runs on the same 2 cores as gunicorn and the database.
Times are milliseconds, p50 / p95 / p99 per endpoint over the whole run, sign-in ramp
included (locust rounds times above 100 ms to 10 ms). *Steady state* is from one think
time after the last candidate started to the first submit: everyone answering, nobody
signing in (exact percentiles of the saves started in it). *Peak saves* is the busiest
60 s. *Saturation* is the same server right after, 40 clients with no think time:
autosaves/s against GET /healthz/s (the clients share the 2 cores).
Target: 5,000 candidates autosaving every 30 s (~170 saves/s), autosave p99 < 250 ms,
zero errors, nothing lost, every attempt graded once (judged on the steady state).
Candidates / think / spawn: how many, mean seconds between answers, sign-ins per second."""

LOAD_HEADER = [
    "date",
    "machine",
    "database",
    "workers×threads",
    "candidates / think",
    "duration",
    "requests",
    "peak saves",
    "login",
    "start",
    "autosave",
    "submit",
    "autosave in steady state",
    "errors",
    "database check",
    "saturation: saves vs /healthz",
    "CPU busy",
    "target",
]


if __name__ == "__main__":
    main()
