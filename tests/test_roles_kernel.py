"""Roles hold inside the kernel, the audit log has no edit path, history and trash show the right things."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import casetrack_nb as ct
from casetrack_nb import audit
from casetrack_nb.ui.base import load_context
from casetrack_nb.ui.client_form import ClientForm, ConfirmDialog
from casetrack_nb.ui.history import ClientHistory, TrashPanel

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "casetrack_nb"


def counts(path: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(path), read_only=True)
    result = tuple(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("clients", "cases", "audit_log"))
    con.close()
    return result


def casetrack(*args: str, db: Path, user: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "casetrack_nb.cli", "--db", str(db), "--user", user, *args],
        capture_output=True, text=True, cwd=str(ROOT), timeout=120,
    )


@pytest.fixture
def client(admin_db):
    return ct.add_client(admin_db, {"name": "Constructora Andes S.A.", "tax_country": "CL", "tax_id": "76.086.428-5"})


def test_usuario_handlers_change_nothing(user_db, client):
    from casetrack_nb.ui.clients import ClientsApp

    context = load_context(user_db)
    assert context.role == "usuario"
    before = counts(user_db.path)

    app = ClientsApp(context)
    assert app.add_button is None
    assert app.form is None

    # The controls a usuario does not see, built and driven anyway.
    form = ClientForm(context)
    form.open_new()
    form.fields["name"].value = "Intruso Ltda."
    form.save_button.click()
    assert "no tiene permiso" in form.notice.value
    assert "analista" in form.notice.value

    form.open_edit(ct.get_client(user_db, client["id"]))
    form.fields["notes"].value = "cambiado por un usuario"
    form.save_button.click()
    assert "no tiene permiso" in form.notice.value

    confirm = ConfirmDialog()
    confirm.ask(title="x", question="x", confirm_label="Eliminar",
                on_confirm=lambda: app._delete({**client, "version": client["version"]}))
    confirm.confirm_button.click()
    assert "no tiene permiso" in confirm.notice.value

    for handler, arguments in ((app._on_menu, (client, "edit")), (app._on_menu, (client, "delete")), (app._on_add, ())):
        app.notice.clear()
        handler(*arguments)
        assert "no tiene permiso" in app.notice.value
        assert "Traceback" not in app.notice.value

    trash = TrashPanel(context)
    assert "no tiene permiso" in trash.notice.value
    assert trash.restore_buttons == {}

    assert counts(user_db.path) == before
    stored = ct.get_client(user_db, client["id"])
    assert stored["notes"] is None
    assert stored["version"] == 1


def test_admin_cannot_restore_from_trash(admin_db, client):
    ct.delete_client(admin_db, client["id"])
    context = load_context(admin_db)
    before = counts(admin_db.path)

    trash = TrashPanel(context)
    trash.restore(client["id"])

    assert "no tiene permiso" in trash.notice.value
    assert "restaurar clientes eliminados" in trash.notice.value
    assert counts(admin_db.path) == before
    assert ct.get_client(admin_db, client["id"], include_deleted=True)["deleted_at"] is not None


def test_usuario_cannot_read_history(user_db, client):
    with pytest.raises(ct.PermissionDenied) as refusal:
        audit.history(user_db, entity="client", entity_id=client["id"])
    assert "ver el historial de cambios" in str(refusal.value)

    panel = ClientHistory(load_context(user_db), client["id"])
    assert "no tiene permiso" in panel.notice.value
    assert panel.entries == []
    assert "Constructora" not in panel.body.value


def test_history_lists_changes_escaped(admin_db, client):
    ct.update_client(admin_db, client["id"], {"notes": "<script>alert(1)</script>", "client_since": "15-03-2019"},
                     expected_version=1)
    ct.delete_client(admin_db, client["id"])

    panel = ClientHistory(load_context(admin_db), client["id"])

    assert [entry["action"] for entry in panel.entries] == ["delete", "update", "create"]
    assert all(entry["actor"] == "admin" for entry in panel.entries)
    update = panel.entries[1]
    assert ("notes", None, "<script>alert(1)</script>") in update["changes"]
    assert ("client_since", None, "2019-03-15") in update["changes"]
    html = panel.body.value
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Notas" in html
    assert "Cliente desde" in html
    assert "15-03-2019" in html
    assert "Modificación" in html
    assert "Eliminación" in html
    assert "76.086.428-5" in html
    assert "Historial de cambios de «Constructora Andes S.A.»" in panel.title.value


def test_trash_restores_and_explains_duplicate(super_db, client):
    ct.delete_client(super_db, client["id"])
    restored_names = []
    trash = TrashPanel(load_context(super_db), on_restored=lambda record: restored_names.append(record["name"]))
    assert list(trash.restore_buttons) == [client["id"]]

    # While it is in the trash, another live client takes the same RUT (after confirming
    # the warning that a deleted client has it).
    with pytest.raises(ct.ConfirmationRequired):
        ct.add_client(super_db, {"name": "Otra Empresa", "tax_country": "CL", "tax_id": "76086428-5"})
    taker = ct.add_client(super_db, {"name": "Otra Empresa", "tax_country": "CL", "tax_id": "76086428-5"},
                          confirm=True)
    before = counts(super_db.path)
    trash.restore_buttons[client["id"]].click()
    assert "No se puede restaurar «Constructora Andes S.A.»" in trash.notice.value
    assert "Otra Empresa" in trash.notice.value
    assert counts(super_db.path) == before
    assert restored_names == []

    ct.delete_client(super_db, taker["id"])
    trash.reload()
    trash.restore_buttons[client["id"]].click()
    assert "restaurado" in trash.notice.value
    assert restored_names == ["Constructora Andes S.A."]
    assert ct.get_client(super_db, client["id"])["deleted_at"] is None
    assert list(trash.restore_buttons) == [taker["id"]]


def test_audit_log_has_no_edit_path():
    public = {name for name in dir(audit) if not name.startswith("_") and callable(getattr(audit, name))
              and getattr(getattr(audit, name), "__module__", "") == audit.__name__}
    assert public == {"record", "now", "history", "changes"}

    offenders = []
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = " ".join(node.value.lower().split())
                if any(verb in text for verb in ("update audit_log", "delete from audit_log",
                                                "truncate audit_log", "drop table audit_log")):
                    offenders.append(f"{source.relative_to(ROOT)}: {node.value[:60]}")
    assert offenders == []


def test_new_database_has_no_administrator(tmp_path):
    path = tmp_path / "nueva.duckdb"

    init = casetrack("init", db=path, user="cualquiera")
    assert init.returncode == 0, init.stderr
    assert f"casetrack --db {path} users add" in init.stdout
    listing = casetrack("users", "list", db=path, user="cualquiera")
    assert "No hay usuarios." in listing.stdout
    assert ct.current_role(ct.open_database(path, user="cualquiera")) is None
    assert ct.current_role(ct.open_database(path, user="socia")) is None

    first = casetrack("users", "add", "dueña", "--role", "superadmin", db=path, user="cualquiera")
    assert first.returncode == 0, first.stderr
    assert "Usuario creado: dueña (superadmin)" in first.stdout

    # Once a superadmin exists, no other user can bootstrap another one.
    second = casetrack("users", "add", "otro", "--role", "superadmin", db=path, user="cualquiera")
    assert second.returncode == 2
    assert "no tiene permiso" in second.stderr
    by_owner = casetrack("users", "add", "colega", "--role", "admin", db=path, user="dueña")
    assert by_owner.returncode == 0, by_owner.stderr
    roles = dict(duckdb.connect(str(path), read_only=True).execute("SELECT username, role FROM users").fetchall())
    assert roles == {"dueña": "superadmin", "colega": "admin"}


def test_only_demo_database_has_demo_users(tmp_path):
    path = tmp_path / "demo.duckdb"

    result = casetrack("demo", "--clients", "5", "--cases", "10", db=path, user="cualquiera")

    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(path), read_only=True)
    roles = dict(con.execute("SELECT username, role FROM users").fetchall())
    con.close()
    assert roles["socia"] == "superadmin"
    assert roles["analista"] == "usuario"
