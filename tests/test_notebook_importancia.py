"""The Importancia notebook runs top to bottom in a real kernel, on a demo database and on an empty one."""

from __future__ import annotations

import json

import nbformat
from nbclient import NotebookClient

from casetrack_nb import demo

from conftest import NOTEBOOKS

ERROR_BOX = json.dumps('class="ct-notice-error"')[1:-1]


def run_notebook(db_path, user: str, monkeypatch) -> nbformat.NotebookNode:
    # nbclient starts the kernel with this process's environment.
    monkeypatch.setenv("CASETRACK_DB", str(db_path))
    monkeypatch.setenv("CASETRACK_USER", user)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    notebook = nbformat.read(NOTEBOOKS / "importancia.ipynb", as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def widget_state_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps(notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"],
                      ensure_ascii=False)


def test_notebook_runs_on_demo_data(demo_db, monkeypatch):
    notebook = run_notebook(demo_db.path, "analista", monkeypatch)

    assert [output for output in outputs(notebook) if output.output_type == "error"] == []
    state = widget_state_text(notebook)
    assert "Importancia de los clientes" in state
    assert "Clientes con causas/procesos/casos/expediente en estado Activa" in state
    assert "Participación acumulada" in state
    assert ERROR_BOX not in state
    ranking_html = [output["data"].get("text/html", "") for output in notebook.cells[6].outputs]
    assert any("active_cases" in html for html in ranking_html)


def test_notebook_runs_on_empty_database(admin_db, monkeypatch):
    notebook = run_notebook(admin_db.path, "admin", monkeypatch)

    assert [output for output in outputs(notebook) if output.output_type == "error"] == []
    state = widget_state_text(notebook)
    assert "Aún no hay registros de causas/procesos/casos/expediente" in state
    assert ERROR_BOX not in state


def test_title_cell_hidden_in_voila():
    notebook = nbformat.read(NOTEBOOKS / "importancia.ipynb", as_version=4)
    title = notebook.cells[0]

    assert title.cell_type == "markdown"
    assert title.source.startswith("# Importancia de los clientes")
    assert title.metadata["transient"] == {"remove_source": True}  # Voilà skips it; JupyterLab shows it
    assert "Quiénes sostienen" not in title.source  # the localized intro lives in ImportanceApp
