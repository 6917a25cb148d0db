"""The `casetrack` command line, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb


def run(*args, db, user="root-login", check=True):
    env = {**os.environ, "CASETRACK_USER": user}
    env.pop("JUPYTERHUB_USER", None)
    result = subprocess.run([sys.executable, "-m", "casetrack_nb.cli", "--db", str(db), *args],
                            capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_init_creates_no_administrator(db_path):
    out = run("init", db=db_path).stdout

    assert "creada" in out
    assert f"casetrack --db {db_path} users add" in out
    with duckdb.connect(str(db_path)) as con:
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_first_superadmin_then_roles(db_path):
    run("init", db=db_path)
    run("users", "add", "socia", "--role", "superadmin", db=db_path)

    refused = run("users", "add", "intrusa", "--role", "superadmin", db=db_path, user="nadie", check=False)
    assert refused.returncode == 2
    assert "no tiene permiso" in refused.stderr

    run("users", "add", "pedro", "--role", "usuario", db=db_path, user="socia")
    run("users", "set-role", "pedro", "--role", "admin", db=db_path, user="socia")
    listing = run("users", "list", db=db_path).stdout
    assert "pedro" in listing
    assert "admin" in listing

    last = run("users", "set-role", "socia", "--role", "usuario", db=db_path, user="socia", check=False)
    assert last.returncode == 2
    assert "único superadministrador" in last.stderr


def test_settings_read_and_change(db_path):
    run("init", db=db_path)
    run("users", "add", "socia", "--role", "superadmin", db=db_path)

    assert run("settings", "case_label", db=db_path).stdout.strip() == "Causas/Procesos/Casos/Expediente"
    assert run("settings", "case_label", "CO", db=db_path, user="socia").stdout.strip() == "case_label = Procesos"
    bad = run("settings", "language", "fr", db=db_path, user="socia", check=False)
    assert bad.returncode == 2
    assert "fr" in bad.stderr


def test_demo_of_given_size(db_path):
    out = run("demo", "--clients", "15", "--cases", "200", db=db_path).stdout

    assert "15 clientes, 200 causas" in out
    with duckdb.connect(str(db_path)) as con:
        roles = dict(con.execute("SELECT username, role FROM users").fetchall())
    assert roles == {"socia": "superadmin", "admin": "admin", "analista": "usuario"}


def test_options_after_the_subcommand(db_path):
    run("init", db=db_path)
    env = {**os.environ, "CASETRACK_USER": "x"}
    result = subprocess.run([sys.executable, "-m", "casetrack_nb.cli", "settings", "case_label", "--db", str(db_path)],
                            capture_output=True, text=True, env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Causas/Procesos/Casos/Expediente"


def test_mistyped_database_path_is_not_created(tmp_path):
    missing = tmp_path / "noexiste" / "firma.duckdb"

    result = run("settings", db=missing, check=False)

    assert result.returncode == 2
    assert "No existe la base de datos" in result.stderr
    assert str(missing) in result.stderr
    assert not missing.exists()
    assert not missing.parent.exists()


def test_permission_error_names_the_required_role(db_path):
    run("init", db=db_path)
    run("users", "add", "socia", "--role", "superadmin", db=db_path)
    run("users", "add", "pedro", "--role", "admin", db=db_path, user="socia")

    refused = run("settings", "language", "en", db=db_path, user="pedro", check=False)

    assert refused.returncode == 2
    assert "rol: admin" in refused.stderr
    assert "se requiere el rol superadmin." in refused.stderr


def test_score_weights_setting(db_path):
    run("init", db=db_path)
    run("users", "add", "socia", "--role", "superadmin", db=db_path)

    assert run("settings", "score_weights", "4;3;2;1", db=db_path, user="socia").stdout.strip() == \
        "score_weights = 40,30,20,10"
    bad = run("settings", "score_weights", "1,2", db=db_path, user="socia", check=False)
    assert bad.returncode == 2
    assert "«1,2»" in bad.stderr
    assert "cuatro números" in bad.stderr


def test_serve_refuses_a_mistyped_database(tmp_path):
    missing = tmp_path / "frima.duckdb"

    result = run("serve", "--port", "1", db=missing, check=False)

    assert result.returncode == 2
    assert "No existe la base de datos" in result.stderr
    assert not missing.exists()


def test_demo_superadmins_are_login_and_actor(monkeypatch):
    import getpass

    from casetrack_nb import cli

    monkeypatch.setattr(getpass, "getuser", lambda: "pedro")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("CASETRACK_USER", raising=False)
    assert cli._demo_superadmins() == ("pedro",)

    monkeypatch.setenv("CASETRACK_USER", "maria")
    assert cli._demo_superadmins() == ("pedro", "maria")

    # A demo user keeps its demo role, so the read-only view stays read-only.
    monkeypatch.setenv("CASETRACK_USER", "analista")
    assert cli._demo_superadmins() == ("pedro",)
    monkeypatch.setattr(getpass, "getuser", lambda: "socia")
    assert cli._demo_superadmins() == ()
