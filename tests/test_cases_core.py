"""Case writes: validation, linking, status changes and a client's cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import casetrack_nb as ct


@pytest.fixture
def client(admin_db):
    return ct.add_client(admin_db, name="Cliente Causas")


def test_case_without_client_is_allowed(admin_db):
    case = ct.add_case(admin_db, case_number=" C-1234-2024 ", title="Pérez con Fisco")

    assert case["client_id"] is None
    assert case["case_number"] == "C-1234-2024"
    assert case["status"] == "activa"


def test_amount_is_decimal_with_currency(admin_db, client):
    case = ct.add_case(admin_db, case_number="R-1", client_id=client["id"], amount="1.234.567,89", currency="clp")

    assert case["amount"] == Decimal("1234567.89")
    assert case["currency"] == "CLP"


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"case_number": ""}, "case_number", "obligatorio"),
        ({"case_number": "X", "status": "suspendida"}, "status", "activa, inactiva"),
        ({"case_number": "X", "amount": "-5"}, "amount", "negativo"),
        ({"case_number": "X", "amount": "mucho"}, "amount", "no es un número"),
        ({"case_number": "X", "amount": 10, "currency": "XYZ"}, "currency", "ISO 4217"),
        ({"case_number": "X", "opened_on": "31-02-2024"}, "opened_on", "31-02-2024"),
        ({"case_number": "X", "opened_on": "2024-03-01", "closed_on": "2024-02-01"}, "closed_on", "anterior"),
    ],
)
def test_invalid_case_is_rejected_naming_the_field(admin_db, fields, field, fragment):
    with pytest.raises(ct.ValidationError) as caught:
        ct.add_case(admin_db, **fields)

    assert fragment in caught.value.errors[field]
    assert ct.search_cases(admin_db, ct.CaseFilter(status=None)).total == 0


def test_case_for_missing_client_is_rejected(admin_db):
    with pytest.raises(ct.ClientNotFound):
        ct.add_case(admin_db, case_number="X", client_id=999)


def test_usuario_cannot_write_cases(admin_db, user_db, client):
    case = ct.add_case(admin_db, case_number="X", client_id=client["id"])

    with pytest.raises(ct.PermissionDenied):
        ct.add_case(user_db, case_number="Y")
    with pytest.raises(ct.PermissionDenied):
        ct.set_case_status(user_db, case["id"], "inactiva")
    assert ct.get_case(admin_db, case["id"])["status"] == "activa"


def test_link_unlink_and_status_are_audited(admin_db, client):
    case = ct.add_case(admin_db, case_number="X")

    ct.link_case(admin_db, case["id"], client["id"])
    closed = ct.set_case_status(admin_db, case["id"], "inactiva", closed_on=dt.date(2025, 1, 31))
    reopened = ct.set_case_status(admin_db, case["id"], "activa")
    unlinked = ct.link_case(admin_db, case["id"], None)

    assert closed["status"] == "inactiva"
    assert closed["closed_on"] == dt.date(2025, 1, 31)
    assert reopened["status"] == "activa"
    assert reopened["closed_on"] is None
    assert unlinked["client_id"] is None
    actions = list(ct.audit.history(admin_db, entity="case", entity_id=case["id"])["action"])
    assert actions == ["unlink", "reactivate", "deactivate", "link", "create"]


def test_stale_case_update_conflicts(admin_db):
    case = ct.add_case(admin_db, case_number="X")
    ct.update_case(admin_db, case["id"], {"stage": "Prueba"}, expected_version=1)

    with pytest.raises(ct.Conflict):
        ct.update_case(admin_db, case["id"], {"stage": "Sentencia"}, expected_version=1)


def test_client_cases_active_inactive_or_both(admin_db, client):
    ct.add_case(admin_db, case_number="A-1", client_id=client["id"])
    ct.add_case(admin_db, case_number="A-2", client_id=client["id"])
    ct.add_case(admin_db, case_number="I-1", client_id=client["id"], status="inactiva")
    ct.add_case(admin_db, case_number="OTRO")

    active = ct.client_cases(admin_db, client["id"], status="activa")
    inactive = ct.client_cases(admin_db, client["id"], status="inactiva")
    both = ct.client_cases(admin_db, client["id"])

    assert sorted(active.rows["case_number"]) == ["A-1", "A-2"]
    assert list(inactive.rows["case_number"]) == ["I-1"]
    assert both.total == 3
    assert ct.client_counts(admin_db, client["id"]) == {"active": 2, "inactive": 1, "total": 3}


@pytest.mark.parametrize("typed, stored", [
    ("Activa", "activa"), ("activo", "activa"), ("En trámite", "activa"), ("VIGENTE", "activa"),
    ("Inactivo", "inactiva"), ("Terminado", "inactiva"), ("archivada", "inactiva"), ("Cerrado", "inactiva"),
])
def test_status_words_firms_use(admin_db, typed, stored):
    case = ct.add_case(admin_db, case_number=f"C-{typed}", status=typed)

    assert case["status"] == stored


def test_unknown_status_is_rejected(admin_db):
    with pytest.raises(ct.ValidationError) as raised:
        ct.add_case(admin_db, case_number="C-1", status="suspendida")

    assert "suspendida" in raised.value.errors["status"]
