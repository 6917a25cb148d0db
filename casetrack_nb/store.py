"""The DuckDB file: where it is, migrations, and one connection per unit of work.

DuckDB lets a single process hold a database file open, and Voilà runs one kernel
process per browser tab. So nothing here keeps the file open between calls: each read
or write attaches the file, does its work in one transaction and detaches it. When
another process holds the lock, the attach is retried with backoff for a bounded time,
after which `DatabaseBusy` is raised with a Spanish message.

The file is attached to one in-memory DuckDB instance that the process keeps. Creating
an instance with `duckdb.connect()` took about 12 ms, even in memory, while ATTACH plus
DETACH on a live instance took about 1.3 ms (DuckDB 2.0.1 on a 2-core AMD EPYC, see
docs/benchmarks.md). So the per-call open no longer dominates a dashboard query.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

from .errors import DatabaseBusy, DatabaseError

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "casetrack.duckdb"
ENV_PATH = "CASETRACK_DB"
ENV_LOCK_TIMEOUT = "CASETRACK_LOCK_TIMEOUT"

# Seconds to keep retrying a locked file. A write here takes tens of milliseconds, so
# ten seconds covers a queue of many writers; a bulk import can hold it longer.
DEFAULT_LOCK_TIMEOUT = 10.0

# "Unique file handle conflict" means a duckdb.connect(path) in this process has the file
# open. The attach waits for it as it waits for another process's lock.
_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock", "Unique file handle conflict")
_MIGRATION_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """Return the database path: the argument, else $CASETRACK_DB, else data/casetrack.duckdb."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(ENV_PATH)
    if env:
        return Path(env).expanduser()
    return DEFAULT_PATH


def current_username() -> str:
    """Return who is acting: $JUPYTERHUB_USER, else $CASETRACK_USER, else the OS login."""
    for variable in ("JUPYTERHUB_USER", "CASETRACK_USER"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "desconocido"


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return any(marker in text for marker in _LOCK_MESSAGES)


def migrations() -> list[tuple[int, str, str]]:
    """Return the numbered schema migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("casetrack_nb.migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def apply_migrations(con: duckdb.DuckDBPyConnection, path: Path | str = "") -> list[int]:
    """Apply the migrations the file has not recorded yet; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    known = migrations()
    newest_known = known[-1][0] if known else 0
    if done and max(done) > newest_known:
        from .errors import CasetrackError

        raise CasetrackError("db.newer_schema", path=str(path), found=max(done), known=newest_known)

    applied = []
    for version, name, sql in known:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in _split_sql(sql):
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, current_localtimestamp())",
                [version, name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("applied migration %04d_%s to %s", version, name, path)
        applied.append(version)
    return applied


def _split_sql(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


@dataclass
class Database:
    """A casetrack database file and the user acting on it.

    Holds no connection: `read()` and `transaction()` attach the file for one unit of
    work and detach it afterwards.
    """

    path: Path
    user: str
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    _migrated: bool = field(default=False, repr=False)

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Attach the file (retrying while another process holds its lock) and detach it after.

        The connection yielded has the file as its default catalog, so unqualified table
        names refer to it. Nested or concurrent units of work in one process share the
        attachment, which is detached when the last one ends.
        """
        key = str(self.path.resolve())
        alias = self._attach_with_retry(key)
        try:
            con = _ATTACHMENTS.cursor(alias)
            try:
                if not self._migrated:
                    apply_migrations(con, self.path)
                    self._migrated = True
                yield con
            finally:
                con.close()
        finally:
            _ATTACHMENTS.release(key)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run the block in one transaction: committed at the end, rolled back on any error."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except duckdb.Error as error:
                raise DatabaseError(detail=str(error)) from error

    # Reads also run inside a transaction so that they see one consistent snapshot.
    read = transaction

    def _attach_with_retry(self, key: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        attempts = 0
        while True:
            attempts += 1
            try:
                return _ATTACHMENTS.acquire(key)
            except duckdb.Error as error:
                if not _is_lock_error(error):
                    raise DatabaseError(detail=str(error)) from error
                if time.monotonic() >= deadline:
                    log.warning("database %s still locked after %d attempts", self.path, attempts)
                    raise DatabaseBusy(path=str(self.path)) from error
            # Jittered exponential backoff so that waiting processes do not retry in step. The
            # cap stays near the length of one unit of work (a few ms): with a longer wait, a
            # process that writes in a loop re-takes the lock before the waiter looks again,
            # and the waiter starves.
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.02)


class _Attachments:
    """The process's in-memory DuckDB instance and the database files attached to it.

    Each file is attached under its own alias while at least one unit of work uses it;
    `acquire` and `release` count the users and the last release detaches the file, which
    checkpoints it and frees its lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instance: duckdb.DuckDBPyConnection | None = None
        self._aliases: dict[str, tuple[str, int]] = {}
        self._counter = 0

    def acquire(self, key: str) -> str:
        """Attach the file `key` (an absolute path) unless attached already; return its alias."""
        with self._lock:
            if key in self._aliases:
                alias, users = self._aliases[key]
                self._aliases[key] = (alias, users + 1)
                return alias
            if self._instance is None:
                # DuckDB's allocator keeps freed memory until its next allocation, so in a
                # kernel that waits for the user, a big sort or DISTINCT left tens of MB
                # resident. Background threads hand freed pages back to the system.
                self._instance = duckdb.connect(
                    ":memory:", config={"threads": 2, "allocator_background_threads": True}
                )
            self._counter += 1
            alias = f"casetrack_{self._counter}"
            literal = "'" + key.replace("'", "''") + "'"
            self._instance.execute(f"ATTACH {literal} AS {alias}")
            self._aliases[key] = (alias, 1)
            return alias

    def cursor(self, alias: str) -> duckdb.DuckDBPyConnection:
        """Return a new connection to the instance whose default catalog is `alias`."""
        with self._lock:
            con = self._instance.cursor()
        con.execute(f"USE {alias}")
        return con

    def release(self, key: str) -> None:
        with self._lock:
            alias, users = self._aliases[key]
            if users > 1:
                self._aliases[key] = (alias, users - 1)
                return
            del self._aliases[key]
            try:
                self._instance.execute(f"DETACH {alias}")
            except duckdb.Error:
                # The file stays attached, so its lock is held until the process exits.
                log.exception("could not detach %s (%s)", key, alias)
                raise


_ATTACHMENTS = _Attachments()


def open_database(
    path: str | os.PathLike | None = None,
    *,
    user: str | None = None,
    lock_timeout: float | None = None,
    create: bool = True,
) -> Database:
    """Return a handle on the casetrack database, creating and migrating the file if needed.

    `path` defaults to $CASETRACK_DB, then data/casetrack.duckdb; `user` defaults to
    `current_username()`. The lock retry window comes from the argument, else
    $CASETRACK_LOCK_TIMEOUT (seconds), else ten seconds. With `create=False` a missing
    file raises CasetrackError instead of being created (a mistyped path stays visible).
    """
    if lock_timeout is None:
        lock_timeout = float(os.environ.get(ENV_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT))
    resolved = resolve_path(path)
    if not create and not resolved.exists():
        from .errors import CasetrackError

        raise CasetrackError("db.missing", path=str(resolved))
    database = Database(resolved, user or current_username(), lock_timeout)
    with database.connect():
        pass
    return database
