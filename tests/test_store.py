"""The database file: where it is, migrations, one connection per call, the busy error."""

from __future__ import annotations

import multiprocessing
import time

import duckdb
import pytest

import casetrack_nb as ct
from casetrack_nb import store


def test_path_from_argument_then_env_then_default(tmp_path, monkeypatch):
    monkeypatch.delenv("CASETRACK_DB", raising=False)
    assert store.resolve_path() == store.DEFAULT_PATH
    assert store.DEFAULT_PATH.parts[-2:] == ("data", "casetrack.duckdb")

    monkeypatch.setenv("CASETRACK_DB", str(tmp_path / "env.duckdb"))
    assert store.resolve_path() == tmp_path / "env.duckdb"
    assert store.resolve_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_user_from_hub_then_env_then_login(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    monkeypatch.setenv("CASETRACK_USER", "env-user")
    assert store.current_username() == "hub-user"

    monkeypatch.delenv("JUPYTERHUB_USER")
    assert store.current_username() == "env-user"

    monkeypatch.delenv("CASETRACK_USER")
    assert store.current_username()  # the OS login, whatever it is here


def test_new_file_gets_every_migration_once(db_path):
    ct.open_database(db_path)
    ct.open_database(db_path)

    with duckdb.connect(str(db_path)) as con:
        versions = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    assert versions == [number for number, _, _ in store.migrations()]
    assert {"clients", "cases", "users", "audit_log", "settings"} <= tables


def test_migration_run_twice_changes_nothing(db_path):
    database = ct.open_database(db_path, user="x")
    with duckdb.connect(str(db_path)) as con:
        before = con.execute("SELECT * FROM schema_migrations").fetchall()
        assert store.apply_migrations(con) == []
        after = con.execute("SELECT * FROM schema_migrations").fetchall()

    assert before == after
    assert database.path == db_path


def test_existing_file_upgrades_in_place(db_path):
    # A file from before the first migration, with data of its own.
    with duckdb.connect(str(db_path)) as con:
        con.execute("CREATE TABLE legacy_notes (note VARCHAR)")
        con.execute("INSERT INTO legacy_notes VALUES ('kept')")

    ct.open_database(db_path)

    with duckdb.connect(str(db_path)) as con:
        assert con.execute("SELECT note FROM legacy_notes").fetchall() == [("kept",)]
        recorded = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert recorded == [number for number, _, _ in store.migrations()]


def test_newer_schema_is_refused(db_path):
    ct.open_database(db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")

    with pytest.raises(ct.CasetrackError) as caught:
        ct.open_database(db_path)

    assert "más nueva" in str(caught.value)


def test_no_connection_stays_open_between_calls(admin_db):
    ct.add_client(admin_db, name="Uno")

    # Another connection in this process can open the file for writing right away.
    with duckdb.connect(str(admin_db.path)) as con:
        con.execute("UPDATE clients SET notes = 'x'")


def test_failed_write_rolls_back_everything(admin_db):
    with pytest.raises(RuntimeError):
        with admin_db.transaction() as con:
            con.execute("INSERT INTO settings VALUES ('language', 'en')")
            raise RuntimeError("boom")

    assert ct.get_settings(admin_db)["language"] == "es"


def _hold_lock(path: str, seconds: float, ready) -> None:
    con = duckdb.connect(path)
    ready.set()
    time.sleep(seconds)
    con.close()


def test_lock_held_too_long_raises_spanish_busy_error(admin_db):
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_lock, args=(str(admin_db.path), 4.0, ready))
    holder.start()
    try:
        assert ready.wait(30)
        database = store.Database(admin_db.path, "admin", lock_timeout=0.5)

        with pytest.raises(ct.DatabaseBusy) as caught:
            ct.list_clients(database)

        assert "ocupada" in str(caught.value)
        assert str(admin_db.path) in str(caught.value)
    finally:
        holder.join(30)


def test_lock_released_within_window_is_waited_for(admin_db):
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_lock, args=(str(admin_db.path), 1.0, ready))
    holder.start()
    try:
        assert ready.wait(30)
        database = store.Database(admin_db.path, "admin", lock_timeout=20)

        client = ct.add_client(database, name="Esperó su turno")

        assert client["id"] == 1
    finally:
        holder.join(30)
