"""notebooks/portafolio.ipynb runs headless with nbclient against a temporary database."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from portfolio_sample import build_portfolio

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "portafolio.ipynb"


def run_notebook(tmp_path, monkeypatch, *, user: str, query: str) -> nbformat.NotebookNode:
    monkeypatch.setenv("CASETRACK_USER", user)
    monkeypatch.setenv("QUERY_STRING", query)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=dict(os.environ))
    return notebook


def outputs(notebook) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def test_notebook_runs_with_client_link(admin_db, tmp_path, monkeypatch):
    client_ids, _cases = build_portfolio(admin_db)
    monkeypatch.setenv("CASETRACK_DB", str(admin_db.path))
    notebook = run_notebook(tmp_path, monkeypatch, user="admin", query=f"cliente={client_ids['A']}&estado=todas")

    produced = outputs(notebook)
    assert [o for o in produced if o.output_type == "error"] == []
    assert [o for o in produced if o.output_type == "stream" and o.name == "stderr"] == []
    views = [o for o in produced if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
    states = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    texts = [state["state"].get("value", "") for state in states.values()]
    assert any("5 resultados" in str(text) for text in texts)
    assert any("Minera Ñuble S.A. ✕" == state["state"].get("description") for state in states.values())


def test_notebook_runs_for_reader_with_bad_link(admin_db, tmp_path, monkeypatch):
    build_portfolio(admin_db)
    monkeypatch.setenv("CASETRACK_DB", str(admin_db.path))
    notebook = run_notebook(tmp_path, monkeypatch, user="analista", query="cliente=abc")

    assert [o for o in outputs(notebook) if o.output_type == "error"] == []
    states = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    texts = " ".join(str(state["state"].get("value", "")) for state in states.values())
    assert "10 resultados" in texts
    assert "no es un id válido" in texts
    assert "Desactivar" not in [state["state"].get("description") for state in states.values()]
