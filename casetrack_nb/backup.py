"""Backups of the database file and restoring one, done by DuckDB itself.

`backup()` opens the live file through the store, so it waits for the lock like any
dashboard action. It then attaches the destination and runs `COPY FROM DATABASE`.
This process holds the file lock during the copy, so no other process writes and the
copy is one consistent state, sequences included. Copying the file with
`cp` while a dashboard writes can catch a half-written file plus its WAL.

`restore()` checks the backup, copies it next to the live file, keeps the current
file as `<name>.<timestamp>.bak` and swaps the new file in.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import duckdb

from .errors import CasetrackError
from .i18n import add_messages
from .store import Database, apply_migrations, open_database, resolve_path

log = logging.getLogger(__name__)

add_messages({
    "backup.exists": {
        "es": "El archivo de respaldo {path} ya existe. Elija otro nombre o bórrelo primero.",
        "en": "The backup file {path} already exists. Choose another name or delete it first.",
    },
    "backup.missing": {
        "es": "No se encontró el respaldo {path}. Revise la ruta.",
        "en": "The backup {path} was not found. Check the path.",
    },
    "backup.invalid": {
        "es": "El archivo {path} no es un respaldo de casetrack_nb válido ({detail}).",
        "en": "The file {path} is not a valid casetrack_nb backup ({detail}).",
    },
    "backup.same_file": {
        "es": "El respaldo {path} es la misma base de datos que se quiere restaurar. Use otro archivo.",
        "en": "The backup {path} is the database being restored. Use another file.",
    },
    "restore.needs_force": {
        "es": "La base de datos {path} ya existe. Para reemplazarla use --force; "
        "el archivo actual se guardará como copia .bak.",
        "en": "The database {path} already exists. Use --force to replace it; "
        "the current file will be kept as a .bak copy.",
    },
    "restore.in_use": {
        "es": "La base de datos {path} está siendo modificada por otro proceso (existe {wal}). "
        "Detenga los tableros y vuelva a intentarlo.",
        "en": "The database {path} is being changed by another process ({wal} exists). "
        "Stop the dashboards and try again.",
    },
})

# Tables a casetrack database must contain; restore refuses a file without them.
REQUIRED_TABLES = ("schema_migrations", "users", "clients", "cases", "audit_log", "settings")

_BACKUP_ALIAS = "casetrack_backup_target"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _attach_literal(path: Path) -> str:
    """Return `path` as a SQL string literal; ATTACH takes no bound parameters."""
    return "'" + str(path).replace("'", "''") + "'"


def _current_catalog(con: duckdb.DuckDBPyConnection) -> str:
    """Return the quoted catalog name DuckDB gave the open file (its name without suffix)."""
    return _quote(con.execute("SELECT current_database()").fetchone()[0])


def _copy_into(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy the database `con` has open into the new file `target`, then detach it."""
    con.execute(f"ATTACH {_attach_literal(target)} AS {_BACKUP_ALIAS}")
    try:
        con.execute(f"COPY FROM DATABASE {_current_catalog(con)} TO {_BACKUP_ALIAS}")
    finally:
        con.execute(f"DETACH {_BACKUP_ALIAS}")


def backup(db: Database, destination: str | os.PathLike) -> Path:
    """Write a consistent copy of `db` to `destination`, a file that must not exist yet.

    Returns the destination path. Raises CasetrackError if the file exists and
    DatabaseBusy if the live file stays locked for the store's retry window.
    """
    target = Path(destination).expanduser().resolve()
    if target.exists():
        raise CasetrackError("backup.exists", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)

    try:
        with db.connect() as con:
            _copy_into(con, target)
    except BaseException:
        _remove_database_file(target)
        raise
    log.info("backed up %s to %s", db.path, target)
    return target


def check_backup(path: str | os.PathLike) -> dict[str, int]:
    """Open a backup read-only and return its row counts per table; raise if it is not one."""
    source = Path(path).expanduser().resolve()
    if not source.is_file():
        raise CasetrackError("backup.missing", path=str(source))
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as error:
        raise CasetrackError("backup.invalid", path=str(source), detail=str(error).splitlines()[0]) from error
    try:
        present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        missing = [name for name in REQUIRED_TABLES if name not in present]
        if missing:
            raise CasetrackError("backup.invalid", path=str(source), detail="faltan tablas: " + ", ".join(missing))
        return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in REQUIRED_TABLES}
    finally:
        con.close()


def restore(
    source: str | os.PathLike,
    path: str | os.PathLike | None = None,
    *,
    force: bool = False,
    user: str | None = None,
) -> Path | None:
    """Replace the database at `path` (default: the configured one) with the backup `source`.

    An existing database is only replaced with `force=True`. It is first copied, under
    its lock, to `<name>.<YYYYmmdd-HHMMSS>.bak`, and that path is returned. The return
    value is None when there was no database. The backup is migrated to this version's schema.
    """
    target = resolve_path(path).expanduser().resolve()
    origin = Path(source).expanduser().resolve()
    if origin == target:
        raise CasetrackError("backup.same_file", path=str(origin))
    check_backup(origin)
    if target.exists() and not force:
        raise CasetrackError("restore.needs_force", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)

    # Build the new file beside the target, so the final swap is a rename on one filesystem.
    staging = target.with_name(target.name + ".restoring")
    _remove_database_file(staging)
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(f"ATTACH {_attach_literal(origin)} AS casetrack_backup_source (READ_ONLY)")
            con.execute(f"COPY FROM DATABASE casetrack_backup_source TO {_current_catalog(con)}")
            con.execute("DETACH casetrack_backup_source")
            apply_migrations(con, staging)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        _remove_database_file(staging)
        raise

    previous_copy = None
    if target.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        previous_copy = target.with_name(f"{target.name}.{stamp}.bak")
        current = open_database(target, user=user or "restore")
        with current.connect() as con:
            _copy_into(con, previous_copy)
            con.execute("CHECKPOINT")
        # NOTE: a process that opens the old file between this close and the rename
        # below writes to the replaced file; restore with the dashboards stopped.
        wal = Path(str(target) + ".wal")
        if wal.exists():
            _remove_database_file(staging)
            raise CasetrackError("restore.in_use", path=str(target), wal=str(wal))

    os.replace(staging, target)
    log.info("restored %s from %s (previous file kept as %s)", target, origin, previous_copy)
    return previous_copy


def _remove_database_file(path: Path) -> None:
    for leftover in (path, Path(str(path) + ".wal")):
        if leftover.exists():
            leftover.unlink()
