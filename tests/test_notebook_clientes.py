"""The Clientes and landing notebooks run top to bottom in a real kernel against a temporary database."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

import casetrack_nb as ct
from conftest import NOTEBOOKS

# An error box as it appears in the stored widget state (the style sheet names the class too).
ERROR_BOX = json.dumps('class="ct-notice-error"')[1:-1]


def run_notebook(name: str, db_path, user: str, monkeypatch) -> nbformat.NotebookNode:
    # nbclient starts the kernel with this process's environment.
    monkeypatch.setenv("CASETRACK_DB", str(db_path))
    monkeypatch.setenv("CASETRACK_USER", user)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def widget_state_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps(notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"],
                      ensure_ascii=False)


@pytest.mark.parametrize("user", ["admin", "analista"])
def test_clientes_notebook_runs(admin_db, monkeypatch, user):
    client = ct.add_client(admin_db, name="Núñez Hermanos")
    ct.add_case(admin_db, case_number="C-7-2024", client_id=client["id"])

    notebook = run_notebook("clientes.ipynb", admin_db.path, user, monkeypatch)

    assert [output for output in outputs(notebook) if output.output_type == "error"] == []
    assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in outputs(notebook))
    state = widget_state_text(notebook)
    assert "Núñez Hermanos" in state
    assert f"Usuario: {user}" in state
    assert ERROR_BOX not in state
    if user == "admin":
        assert "+ Agregar Cliente" in state
    else:
        assert "+ Agregar Cliente" not in state


def test_index_notebook_runs(admin_db, monkeypatch):
    notebook = run_notebook("index.ipynb", admin_db.path, "admin", monkeypatch)

    assert [output for output in outputs(notebook) if output.output_type == "error"] == []
    state = widget_state_text(notebook)
    for notebook_name in ("clientes.ipynb", "portafolio.ipynb", "importancia.ipynb"):
        assert f'href=\\"{notebook_name}\\"' in state
    assert ERROR_BOX not in state
