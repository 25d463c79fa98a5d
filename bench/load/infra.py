"""What every load, race and fault run needs: a fresh database, gunicorn, the results file.

Everything binds to 127.0.0.1 and is stopped in `finally` blocks: a run leaves
no server and no database behind, even when it fails.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET_KEY = "bench-secret-key-" + uuid.uuid4().hex

# 3 gthread workers x 4 threads on 2 cores. A save is ~5 ms of Python and seven database
# round trips plus a commit (PostgreSQL waits for its WAL flush), so a process spends much
# of a save waiting: threads overlap those waits, and a third process keeps both cores busy
# while the GIL of another is held. gthread also keeps client connections alive. Measured
# on this machine with 40 clients and no think time (autosaves/s, PostgreSQL / SQLite):
# 5 sync workers 100-150 / 207, 9 sync 158 / 173, 3x4 gthread 171 / 285, 4x8 gthread
# 176 / 290 (p50 higher). A killed worker loses its in-flight requests (at most 4).
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(kind: str, server_url: str = PG_SERVER_URL) -> Iterator[str]:
    """A new empty database, dropped afterwards: a SQLite file in a temporary
    directory, or a PostgreSQL database created on the server and dropped WITH (FORCE)."""
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="lawexam-bench-")
        try:
            yield f"sqlite:///{directory}/bench.sqlite3"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}: sqlite or postgres")
    name = f"lawexam_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def http_get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Gunicorn:
    """One gunicorn instance serving wsgi:app on a loopback port, as in production.

    APP_ENV=production with DATABASE_URL and SECRET_KEY; COOKIE_SECURE=0 only because
    the load reaches it over plain HTTP on loopback (production sits behind TLS).
    """

    def __init__(
        self,
        database_url: str,
        *,
        port: int | None = None,
        workers: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS,
        app_env: str = "production",
        secret_key: str = SECRET_KEY,
        ratelimit_storage: str = "memory://",
        extra_env: dict[str, str] | None = None,
        log_path: Path | None = None,
        preload: bool = True,
        quiet: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.workers = workers
        self.threads = threads
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LAWEXAM_FAULT_", "APP_ENV", "COOKIE_SECURE"))
        } | {
            "APP_ENV": app_env,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "COOKIE_SECURE": "0",
            "RATELIMIT_STORAGE_URI": ratelimit_storage,
            "PYTHONUNBUFFERED": "1",
        }
        if quiet:
            # Request logs to /dev/null would still cost the JSON; only the tests turn them off.
            self.env["GUNICORN_CMD_ARGS"] = "--log-level warning"
        self.env |= extra_env or {}
        self.preload = preload
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--backlog",
            "4096",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
        ]
        if self.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.threads)]
        if self.preload:
            # The app is imported once in the master: a worker replaced after a crash
            # forks in milliseconds instead of importing Flask again for a second.
            command.append("--preload")
        return [*command, "wsgi:app"]

    def start(self, ready_timeout: float = 60) -> Gunicorn:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.tail()}"
                )
            if http_get(self.url + "/readyz") == 200 and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn on {self.url} not ready after {timeout} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] not in ("Z", "X"):
                pids.append(int(entry.name))
        return sorted(pids)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of the given processes and their reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def cpu_snapshot() -> dict[int, tuple[str, float]]:
    """pid -> (command name, CPU seconds so far) for every process on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    snapshot = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        snapshot[int(entry.name)] = (name, sum(int(v) for v in fields[11:13]) / ticks)
    return snapshot


def cpu_split(
    before: dict[int, tuple[str, float]],
    after: dict[int, tuple[str, float]],
    server_pids: set[int],
) -> dict[str, float]:
    """CPU seconds spent between two snapshots by gunicorn, PostgreSQL and everything else
    (other jobs on the machine). Processes that ended in between are not seen."""
    split = {"gunicorn": 0.0, "postgres": 0.0, "other": 0.0}
    for pid, (name, seconds) in after.items():
        spent = seconds - before.get(pid, (name, 0.0))[1]
        if pid in server_pids:
            split["gunicorn"] += spent
        elif name.startswith("postgres"):
            split["postgres"] += spent
        elif pid != os.getpid():
            split["other"] += spent
    return split


def machine() -> str:
    """The machine, as the results table names it."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )


def postgres_version(server_url: str = PG_SERVER_URL) -> str:
    engine = make_engine(server_url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def now_stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def record(section: str, intro: str, header: Sequence[str], row: Sequence[object]) -> None:
    """Append a row to the table under `## section` in bench/RESULTS.md (made if missing)."""
    text_ = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    line = "| " + " | ".join(str(cell) for cell in row) + " |"
    heading = f"## {section}"
    lines = text_.rstrip("\n").split("\n")
    if heading not in lines:
        lines += [
            "",
            heading,
            "",
            *intro.strip().split("\n"),
            "",
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
            line,
        ]
    else:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        table = [i for i in range(start, end) if lines[i].startswith("|")]
        at = (table[-1] + 1) if table else end
        lines.insert(at, line)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
