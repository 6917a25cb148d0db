"""Demo portfolios of three sizes, generated once and cached under benchmarks/work/.

A cached file is reused while its generation parameters and schema version match;
otherwise it is rebuilt. Generation time is recorded next to the file so that a
cached run can still report it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import casetrack_nb as ct
from casetrack_nb import demo, store

WORK = Path(__file__).resolve().parent / "work"


@dataclass(frozen=True)
class Size:
    """One benchmark size: its name and how many clients and cases the demo firm gets."""

    name: str
    n_clients: int
    n_cases: int
    seed: int = 7


SIZES = {
    "tiny": Size("tiny", 40, 1_000),
    "small": Size("small", 100, 5_000),
    "medium": Size("medium", 2_000, 100_000),
    "large": Size("large", 10_000, 1_000_000),
}


def _signature(size: Size) -> dict:
    versions = [version for version, _, _ in store.migrations()]
    return {"n_clients": size.n_clients, "n_cases": size.n_cases, "seed": size.seed,
            "schema": max(versions) if versions else 0}


def database_path(size: Size, work: Path = WORK) -> Path:
    return work / f"{size.name}.duckdb"


def ensure_database(size: Size, work: Path = WORK, *, fresh: bool = False) -> tuple[Path, float]:
    """Return (path, generation seconds) of the demo database for `size`, building it if needed."""
    work.mkdir(parents=True, exist_ok=True)
    path = database_path(size, work)
    meta_path = path.with_suffix(".json")
    if not fresh and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("signature") == _signature(size):
            return path, meta["generate_seconds"]

    for stale in (path, path.with_suffix(".duckdb.wal"), meta_path):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    started = time.perf_counter()
    db = ct.open_database(tmp, user="socia")
    demo.generate(db, n_clients=size.n_clients, n_cases=size.n_cases, seed=size.seed)
    seconds = time.perf_counter() - started
    shutil.move(tmp, path)
    meta_path.write_text(json.dumps({"signature": _signature(size), "generate_seconds": seconds}))
    return path, seconds


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or ["small", "medium", "large"]:
        built, took = ensure_database(SIZES[name])
        print(f"{name}: {built} ({took:.1f} s)")
