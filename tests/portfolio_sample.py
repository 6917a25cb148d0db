"""A small hand-made portfolio shared by the case-list tests: 4 clients and 15 cases.

Active cases: 1, 2, 3, 5, 7, 10, 11, 12, 13, 14 (by their position in CASES, from 1).
Inactive cases: 4, 6, 8, 9, 15. Cases 7, 8 and 12 have no client.
"""

from __future__ import annotations

import datetime as dt

from casetrack_nb import add_case, add_client

CLIENTS = {
    "A": "Minera Ñuble S.A.",
    "B": "Constructora Núñez SpA",
    "C": "Pérez y Cía Ltda.",
    "D": "Sin Causas Ltda.",
}

CIVIL_1 = "1° Juzgado Civil de Santiago"
CIVIL_2 = "2° Juzgado Civil de Santiago"
LABOR_1 = "1° Juzgado de Letras del Trabajo"

# (case number, title, client key, court, matter, stage, status, opened on, amount, currency, lawyer)
CASES = (
    ("C-100-2023", "Minera Ñuble con Fisco", "A", CIVIL_1, "Civil", "Discusión", "activa", "2023-01-10", 1_000_000, "CLP", "Ana Rojas"),
    ("C-101-2023", "Minera Ñuble con Aguas Andinas", "A", CIVIL_2, "Civil", "Prueba", "activa", "2023-03-05", 250_000_000, "CLP", "Ana Rojas"),
    ("L-200-2023", "Núñez con Constructora", "B", LABOR_1, "Laboral", "Sentencia", "activa", "2023-06-20", 5_000, "USD", "Bruno Díaz"),
    ("L-201-2024", "Sindicato con Constructora Núñez", "B", LABOR_1, "Laboral", "Discusión", "inactiva", "2024-01-15", 12_000, "USD", "Bruno Díaz"),
    ("C-102-2024", "Pérez con Banco", "C", CIVIL_1, "Civil", "Discusión", "activa", "2024-02-01", None, None, "Ana Rojas"),
    ("T-300-2024", "Tributario Pérez", "C", "Tribunal Tributario", "Tributaria", "Prueba", "inactiva", "2024-04-10", 800_000, "CLP", "Carla Soto"),
    ("C-103-2024", "Reclamo de aguas", None, CIVIL_2, "Civil", "Prueba", "activa", "2024-05-05", 3_000_000, "CLP", "Carla Soto"),
    ("F-400-2024", "Familia Ñandú", None, "Juzgado de Familia", "Familia", "Sentencia", "inactiva", "2024-07-07", None, None, "Ana Rojas"),
    ("C-104-2024", "Minera Ñuble con SMA", "A", "Tribunal Ambiental", "Ambiental", "Discusión", "inactiva", "2024-08-08", 50_000_000, "CLP", "Bruno Díaz"),
    ("L-202-2025", "Despido Constructora Núñez", "B", "2° Juzgado de Letras del Trabajo", "Laboral", "Prueba", "activa", "2025-01-20", 7_500_000, "CLP", "Carla Soto"),
    ("C-105-2025", "Cobro de pagaré", "A", CIVIL_1, "Civil", "Sentencia", "activa", "2025-02-14", 15_000, "USD", "Ana Rojas"),
    ("A-500-2025", "Recurso de protección", None, "Corte de Apelaciones de Santiago", "Constitucional", "Discusión", "activa", "2025-03-03", None, None, "Bruno Díaz"),
    ("C-106-2025", "=cmd() demanda", "C", CIVIL_1, "Civil", "Discusión", "activa", "2025-04-01", 100_000, "CLP", "Carla Soto"),
    ("C-107-2025", "Indemnización perjuicios", "A", "3° Juzgado Civil de Santiago", "Civil", "Prueba", "activa", "2025-05-15", 20_000_000, "CLP", "Ana Rojas"),
    ("P-600-2025", "Querella estafa", "B", "Juzgado de Garantía", "Penal", "Discusión", "inactiva", "2025-06-01", None, None, "Carla Soto"),
)


def build_portfolio(db) -> tuple[dict[str, int], dict[int, int]]:
    """Create the sample through the package as an admin; return client ids by key and case ids by position."""
    client_ids = {key: add_client(db, name=name)["id"] for key, name in CLIENTS.items()}
    case_ids = {}
    for position, row in enumerate(CASES, start=1):
        number, title, client, court, matter, stage, status, opened, amount, currency, lawyer = row
        case = add_case(
            db, case_number=number, title=title, client_id=client_ids[client] if client else None, court=court,
            matter=matter, stage=stage, status=status, opened_on=opened, amount=amount, currency=currency,
            responsible_lawyer=lawyer, closed_on=dt.date(2025, 12, 31) if status == "inactiva" else None,
        )
        case_ids[position] = case["id"]
    return client_ids, case_ids
