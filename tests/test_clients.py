"""Client rules: who may write, validation, duplicates, conflicts, delete and restore, the list."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

import casetrack_nb as ct
from casetrack_nb.i18n import set_language


def count(db, table: str) -> int:
    with duckdb.connect(str(db.path)) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_admin_adds_name_only_client(admin_db):
    client = ct.add_client(admin_db, name="  Compañía Minera   Ñuble S.A. ")

    assert client["name"] == "Compañía Minera Ñuble S.A."
    assert client["status"] == "vigente"
    assert client["version"] == 1
    assert client["created_by"] == "admin"
    assert client["tax_id"] is None
    assert ct.get_client(admin_db, client["id"])["name"] == "Compañía Minera Ñuble S.A."


def test_usuario_cannot_add_and_nothing_is_written(user_db):
    with pytest.raises(ct.PermissionDenied) as caught:
        ct.add_client(user_db, name="Cliente Nuevo")

    assert "analista" in str(caught.value)
    assert "no tiene permiso" in str(caught.value)
    assert count(user_db, "clients") == 0
    assert count(user_db, "audit_log") == 3  # only the three user creations


def test_unknown_user_is_read_only(admin_db):
    stranger = ct.open_database(admin_db.path, user="desconocida")
    ct.add_client(admin_db, name="Visible")

    assert ct.current_role(stranger) is None
    assert ct.list_clients(stranger).total == 1
    with pytest.raises(ct.PermissionDenied):
        ct.add_client(stranger, name="Otra")


@pytest.mark.parametrize("name", ["", "   ", None, float("nan")])
def test_blank_name_is_rejected(admin_db, name):
    with pytest.raises(ct.ValidationError) as caught:
        ct.add_client(admin_db, name=name)

    assert caught.value.errors == {"name": "El campo «Nombre» es obligatorio."}
    assert count(admin_db, "clients") == 0


def test_name_too_long_names_the_limit(admin_db):
    with pytest.raises(ct.ValidationError) as caught:
        ct.add_client(admin_db, name="x" * 201)

    assert "201 caracteres" in caught.value.errors["name"]
    assert "200" in caught.value.errors["name"]


@pytest.mark.parametrize(
    "name",
    [
        "O'Higgins & Cía. \"Ltda.\"",
        "Robert'); DROP TABLE clients;--",
        "<img src=x onerror=alert(1)>",
        "=HYPERLINK(\"http://x\")",
        "Peñalolén 🏛️ Abogados",
    ],
)
def test_odd_names_are_stored_verbatim(admin_db, name):
    client = ct.add_client(admin_db, name=name)

    assert ct.get_client(admin_db, client["id"])["name"] == name
    assert count(admin_db, "clients") == 1


def test_nan_from_pandas_is_stored_as_null(admin_db):
    row = pd.DataFrame({"name": ["Cliente Uno"], "email": [None], "notes": [float("nan")]}).iloc[0].to_dict()

    client = ct.add_client(admin_db, row)

    assert client["email"] is None
    assert client["notes"] is None
    with duckdb.connect(str(admin_db.path)) as con:
        assert con.execute("SELECT count(*) FROM clients WHERE notes = 'nan' OR email = 'nan'").fetchone()[0] == 0


def test_decomposed_accents_are_stored_composed(admin_db):
    client = ct.add_client(admin_db, name="Nun\u0303ez")

    assert client["name"] == "Ñuñez".replace("Ñ", "N")  # 'Nuñez' with a composed ñ
    assert len(client["name"]) == 5
    assert ct.list_clients(admin_db, search="nunez").total == 1


@pytest.mark.parametrize(
    ("typed", "country", "stored", "shown"),
    [
        ("7.654.302-k", "CL", "7654302K", "7.654.302-K"),
        ("7654302K", "CL", "7654302K", "7.654.302-K"),
        ("76.123.456\u22120", "CL", "761234560", "76.123.456-0"),
        ("76 123 456\u20130", "CL", "761234560", "76.123.456-0"),
        ("76.123.456\u00a0-\u00a00", "CL", "761234560", "76.123.456-0"),
        ("900.123.456-8", "CO", "9001234568", "900.123.456-8"),
        ("30-50000074-7", "AR", "30500000747", "30-50000074-7"),
        ("20100000009", "PE", "20100000009", "20100000009"),
    ],
)
def test_tax_id_spellings_are_normalised(admin_db, typed, country, stored, shown):
    client = ct.add_client(admin_db, name="Cliente", tax_country=country, tax_id=typed)

    assert client["tax_id"] == stored
    assert client["tax_country"] == country
    assert client["tax_id_formatted"] == shown


def test_tax_id_country_defaults_to_firm_setting(super_db):
    client = ct.add_client(super_db, name="Chilena", tax_id="7.654.302-k")
    assert client["tax_country"] == "CL"

    ct.set_setting(super_db, "default_country", "CO")
    colombian = ct.add_client(super_db, name="Colombiana", tax_id="900.123.456-8")
    assert (colombian["tax_country"], colombian["tax_kind"]) == ("CO", "NIT")


@pytest.mark.parametrize(
    ("country", "typed"),
    [("CL", "7.654.302-5"), ("CO", "900.123.456-1"), ("AR", "30-50000074-1"), ("PE", "20100000001")],
)
def test_wrong_check_digit_rejected_where_authoritative(admin_db, country, typed):
    with pytest.raises(ct.ValidationError) as caught:
        ct.add_client(admin_db, name="Cliente", tax_country=country, tax_id=typed)

    assert "dígito verificador" in caught.value.errors["tax_id"]
    assert typed in caught.value.errors["tax_id"]
    assert count(admin_db, "clients") == 0


@pytest.mark.parametrize(("country", "typed"), [("CL", "12-3"), ("CO", "abc"), ("MX", "XYZ"), ("EC", "12")])
def test_malformed_tax_id_rejected(admin_db, country, typed):
    with pytest.raises(ct.ValidationError) as caught:
        ct.add_client(admin_db, name="Cliente", tax_country=country, tax_id=typed)

    assert "formato válido" in caught.value.errors["tax_id"]


@pytest.mark.parametrize(("country", "typed"), [("MX", "GODE561231GR9"), ("EC", "1790011675001")])
def test_check_digit_only_warns_for_mx_and_ec(admin_db, country, typed):
    with pytest.raises(ct.ConfirmationRequired) as caught:
        ct.add_client(admin_db, name="Cliente", tax_country=country, tax_id=typed)
    assert "dígito verificador" in caught.value.warnings["tax_id"]
    assert count(admin_db, "clients") == 0

    client = ct.add_client(admin_db, name="Cliente", tax_country=country, tax_id=typed, confirm=True)
    assert client["tax_id"] == typed


def test_taken_tax_id_rejected(admin_db):
    first = ct.add_client(admin_db, name="Viña del Maule SpA", tax_id="76.123.456-0")

    with pytest.raises(ct.DuplicateTaxId) as caught:
        ct.add_client(admin_db, name="Otra", tax_id="761234560")

    assert caught.value.other_id == first["id"]
    assert "Viña del Maule SpA" in caught.value.errors["tax_id"]
    assert "76.123.456-0" in caught.value.errors["tax_id"]


def test_tax_id_of_deleted_client_warns_then_reuses(admin_db):
    first = ct.add_client(admin_db, name="Antigua", tax_id="76.123.456-0")
    ct.delete_client(admin_db, first["id"])

    with pytest.raises(ct.ConfirmationRequired) as caught:
        ct.add_client(admin_db, name="Nueva", tax_id="76.123.456-0")
    assert "cliente eliminado «Antigua»" in caught.value.warnings["tax_id"]
    assert "restaurarlo" in caught.value.warnings["tax_id"]

    second = ct.add_client(admin_db, name="Nueva", tax_id="76.123.456-0", confirm=True)

    assert second["tax_id"] == "761234560"


@pytest.mark.parametrize(
    "variant",
    ["MINERA NUBLE SA", "Minera Ñuble S. A.", "minera  ñuble sociedad anónima", "Minera Ñuble S A", "Minera Ñuble"],
)
def test_equivalent_name_warns_and_needs_confirmation(admin_db, variant):
    first = ct.add_client(admin_db, name="Minera Ñuble S.A.")

    with pytest.raises(ct.ConfirmationRequired) as caught:
        ct.add_client(admin_db, name=variant)

    assert "Minera Ñuble S.A." in caught.value.warnings["name"]
    assert f"id {first['id']}" in caught.value.warnings["name"]
    assert count(admin_db, "clients") == 1

    ct.add_client(admin_db, name=variant, confirm=True)
    assert count(admin_db, "clients") == 2


@pytest.mark.parametrize(("first", "second"), [("Austral SpA", "Austral S.p.A."), ("Sur Ltda.", "Sur Limitada")])
def test_legal_suffix_spellings_match(admin_db, first, second):
    ct.add_client(admin_db, name=first)

    with pytest.raises(ct.ConfirmationRequired):
        ct.add_client(admin_db, name=second)


def test_update_changes_fields_and_bumps_version(admin_db):
    client = ct.add_client(admin_db, name="Cliente", industry="Minería")

    updated = ct.update_client(admin_db, client["id"], {"industry": "Retail", "email": "legal@cliente.cl"},
                               expected_version=1)

    assert updated["industry"] == "Retail"
    assert updated["email"] == "legal@cliente.cl"
    assert updated["version"] == 2
    history = ct.audit.history(admin_db, entity="client", entity_id=client["id"])
    assert list(history["action"]) == ["update", "create"]


def test_stale_update_raises_conflict_and_keeps_newer_data(admin_db, super_db):
    client = ct.add_client(admin_db, name="Cliente")
    ct.update_client(super_db, client["id"], {"industry": "Banca"}, expected_version=1)

    with pytest.raises(ct.Conflict) as caught:
        ct.update_client(admin_db, client["id"], {"industry": "Retail"}, expected_version=1)

    assert "socia" in str(caught.value)
    assert "no se guardaron" in str(caught.value)
    assert ct.get_client(admin_db, client["id"])["industry"] == "Banca"


def test_update_rejects_unknown_field(admin_db):
    client = ct.add_client(admin_db, name="Cliente")

    with pytest.raises(ct.ValidationError) as caught:
        ct.update_client(admin_db, client["id"], {"deleted_at": None}, expected_version=1)

    assert "deleted_at" in caught.value.errors


def test_delete_refused_when_client_has_cases(admin_db):
    client = ct.add_client(admin_db, name="Con Causas")
    ct.add_case(admin_db, case_number="C-1-2024", client_id=client["id"])
    ct.add_case(admin_db, case_number="C-2-2024", client_id=client["id"], status="inactiva")

    with pytest.raises(ct.ClientHasCases) as caught:
        ct.delete_client(admin_db, client["id"])

    message = str(caught.value)
    assert "Con Causas" in message
    assert "2" in message
    assert "Vincule esos registros a otro cliente" in message
    assert "no vigente" in message
    assert ct.get_client(admin_db, client["id"])["deleted_at"] is None


def test_delete_soft_deletes_and_superadmin_restores(admin_db, super_db):
    client = ct.add_client(admin_db, name="Sin Causas")

    ct.delete_client(admin_db, client["id"])

    assert ct.list_clients(admin_db).total == 0
    with pytest.raises(ct.ClientNotFound):
        ct.get_client(admin_db, client["id"])
    assert ct.get_client(admin_db, client["id"], include_deleted=True)["deleted_by"] == "admin"
    assert ct.list_clients(admin_db, deleted=True).total == 1

    with pytest.raises(ct.PermissionDenied):
        ct.restore_client(admin_db, client["id"])
    restored = ct.restore_client(super_db, client["id"])

    assert restored["deleted_at"] is None
    assert ct.list_clients(admin_db).total == 1
    actions = list(ct.audit.history(super_db, entity="client", entity_id=client["id"])["action"])
    assert actions == ["restore", "delete", "create"]


def test_audit_entry_has_before_and_after(admin_db):
    import json

    client = ct.add_client(admin_db, name="Antes")
    ct.update_client(admin_db, client["id"], {"name": "Después"}, expected_version=1)

    entry = ct.audit.history(admin_db, entity="client", entity_id=client["id"]).iloc[0]

    assert entry["actor"] == "admin"
    assert json.loads(entry["before"])["name"] == "Antes"
    assert json.loads(entry["after"])["name"] == "Después"


@pytest.mark.parametrize(("query", "expected"), [("nunez", "Núñez"), ("penalolen", "Peñalolén"), ("NÚÑEZ", "Núñez")])
def test_search_ignores_case_and_accents(admin_db, query, expected):
    for name in ("Núñez", "Peñalolén", "Oso"):
        ct.add_client(admin_db, name=name, confirm=True)

    names = list(ct.list_clients(admin_db, search=query).rows["name"])

    assert names == [expected]


def test_search_by_tax_id_as_typed(admin_db):
    ct.add_client(admin_db, name="Con RUT", tax_id="76.123.456-0")
    ct.add_client(admin_db, name="Sin RUT")

    assert list(ct.list_clients(admin_db, search="76.123.456").rows["name"]) == ["Con RUT"]
    assert list(ct.list_clients(admin_db, search="761234560").rows["name"]) == ["Con RUT"]


def test_search_treats_like_wildcards_as_text(admin_db):
    ct.add_client(admin_db, name="100% Legal")
    ct.add_client(admin_db, name="Otro")

    assert list(ct.list_clients(admin_db, search="%").rows["name"]) == ["100% Legal"]
    assert ct.list_clients(admin_db, search="_").total == 0


def test_list_sorts_the_spanish_way(admin_db):
    for name in ("Oso", "Ñandú", "Núñez", "Álvarez", "Zapata", "nico"):
        ct.add_client(admin_db, name=name, confirm=True)

    names = list(ct.list_clients(admin_db).rows["name"])

    assert names == ["Álvarez", "nico", "Núñez", "Ñandú", "Oso", "Zapata"]


def test_list_pages_and_counts_cases(admin_db):
    clients = [ct.add_client(admin_db, name=f"Cliente {i:02d}") for i in range(30)]
    big = clients[3]
    for number in range(4):
        ct.add_case(admin_db, case_number=f"A-{number}", client_id=big["id"])
    ct.add_case(admin_db, case_number="I-1", client_id=big["id"], status="inactiva")
    ct.add_case(admin_db, case_number="SIN-CLIENTE")

    first = ct.list_clients(admin_db, page=1, page_size=25)
    second = ct.list_clients(admin_db, page=2, page_size=25)

    assert first.total == 30
    assert first.pages == 2
    assert len(first.rows) == 25
    assert len(second.rows) == 5
    row = first.rows.set_index("name").loc["Cliente 03"]
    assert (row["active_cases"], row["inactive_cases"], row["total_cases"]) == (4, 1, 5)
    assert first.rows.set_index("name").loc["Cliente 00", "total_cases"] == 0

    by_count = ct.list_clients(admin_db, sort="total_cases", descending=True, page_size=1)
    assert by_count.rows["name"].iloc[0] == "Cliente 03"


def test_list_rejects_unknown_sort(admin_db):
    with pytest.raises(ValueError):
        ct.list_clients(admin_db, sort="name; DROP TABLE clients")


def test_messages_switch_to_english(admin_db):
    set_language("en")

    with pytest.raises(ct.ValidationError) as caught:
        ct.add_client(admin_db, name="")

    assert caught.value.errors["name"] == "The field 'Name' is required."


def test_generic_mexican_rfc_may_be_shared(admin_db, tmp_path):
    from casetrack_nb import importing

    parsed = ct.parse_tax_id("XEXX-010101-000", country="MX")
    assert (parsed.compact, parsed.warning) == ("XEXX010101000", None)

    first = ct.add_client(admin_db, name="Acme Corp.", tax_country="MX", tax_id="XEXX010101000")
    second = ct.add_client(admin_db, name="Globex GmbH", tax_country="MX", tax_id="xexx010101000")
    assert first["tax_id"] == second["tax_id"] == "XEXX010101000"

    # An import matches neither by the shared RFC: each row is its own client.
    path = tmp_path / "clientes.csv"
    path.write_text("Nombre;RFC\nInitech LLC;XEXX010101000\nUmbrella Ltd.;XEXX010101000\nAcme Corp.;XEXX010101000\n",
                    encoding="utf-8")
    report = importing.import_file(admin_db, "clientes", path)

    assert report.imported, report.to_frame().to_string()
    assert report.errors == []
    assert (report.inserted, report.updated + report.unchanged) == (2, 1)
    names = ct.list_clients(admin_db, search="XEXX").rows["name"].tolist()
    assert sorted(names) == ["Acme Corp.", "Globex GmbH", "Initech LLC", "Umbrella Ltd."]
