"""Backing up and restoring the database: SQLite's online backup, pg_dump / pg_restore.

A SQLite backup is a consistent copy taken while the app keeps running (the
backup API copies pages under a read transaction, WAL included). PostgreSQL
uses the custom dump format, restored with pg_restore into an empty database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.services.errors import InvalidInput


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("backup_needs_file_database")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, list[str]]:
    """A libpq connection string for the pg tools, and the schema the URL selects (if any)."""
    schema_args: list[str] = []
    raw_options = url.query.get("options", "")
    if isinstance(raw_options, str) and "search_path=" in raw_options:
        schema = raw_options.split("search_path=", 1)[1].split()[0]
        schema_args = ["--schema", schema]
    plain = url.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schema_args


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise InvalidInput("backup_tool_missing", tool=command[0])
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise InvalidInput(
            "backup_tool_failed",
            tool=command[0],
            detail=(finished.stderr or finished.stdout).strip()[-500:],
        )


def backup(database_url: str, target: Path) -> Path:
    """Write a backup of the database at `database_url` to `target`."""
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        connection, schema_args = _libpq(url)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                *schema_args,
                "--file",
                str(target),
                connection,
            ]
        )
        return target
    raise InvalidInput("backup_unsupported", backend=url.get_backend_name())


def restore(database_url: str, source: Path) -> None:
    """Load a backup into the (empty) database at `database_url`."""
    if not source.is_file():
        raise InvalidInput("backup_missing", path=str(source))
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            raise InvalidInput("restore_target_not_empty", path=str(path))
        backup_db = sqlite3.connect(source)
        destination = sqlite3.connect(path)
        try:
            backup_db.backup(destination)
        finally:
            destination.close()
            backup_db.close()
        return
    if url.get_backend_name() == "postgresql":
        connection, _ = _libpq(url)
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", connection, str(source)])
        return
    raise InvalidInput("backup_unsupported", backend=url.get_backend_name())
