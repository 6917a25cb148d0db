"""A deterministic demo firm: clients from six countries with valid tax ids, and their cases.

Clients (at most tens of thousands) are built with a seeded NumPy generator and inserted
in one statement from a DataFrame; cases (up to millions) are generated inside DuckDB
from `range()` with `hash()` as the random source, so the same seed always gives the
same database.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from stdnum.ar import cuit
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.ec import ci as ec_ci
from stdnum.mx import rfc
from stdnum.pe import ruc

from . import audit, case_counts
from .identifiers import format_tax_id
from .values import name_key, search_key

DEMO_USERS = (
    ("socia", "María José Peña (socia)", "superadmin"),
    ("admin", "Administración", "admin"),
    ("analista", "Tomás Núñez (analista)", "usuario"),
)

COUNTRIES = {
    "CL": {"kind": "RUT", "currency": "CLP", "suffixes": ("S.A.", "SpA", "Ltda.", "S.A.", "Limitada"),
           "cities": ("Santiago", "Peñalolén", "Ñuñoa", "Concepción", "Valparaíso", "Chillán", "Temuco")},
    "CO": {"kind": "NIT", "currency": "COP", "suffixes": ("S.A.S.", "S.A.", "Ltda."),
           "cities": ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena")},
    "MX": {"kind": "RFC", "currency": "MXN", "suffixes": ("S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V."),
           "cities": ("Ciudad de México", "Monterrey", "Guadalajara", "Querétaro", "Mérida")},
    "PE": {"kind": "RUC", "currency": "PEN", "suffixes": ("S.A.C.", "S.A.A.", "E.I.R.L.", "S.R.L."),
           "cities": ("Lima", "Arequipa", "Cusco", "Trujillo", "Piura")},
    "EC": {"kind": "RUC", "currency": "USD", "suffixes": ("Cía. Ltda.", "S.A."),
           "cities": ("Quito", "Guayaquil", "Cuenca", "Manta")},
    "AR": {"kind": "CUIT", "currency": "ARS", "suffixes": ("S.A.", "S.R.L.", "S.A.U."),
           "cities": ("Buenos Aires", "Córdoba", "Rosario", "Mendoza", "Neuquén")},
}
COUNTRY_WEIGHTS = {"CL": 0.35, "CO": 0.2, "MX": 0.15, "PE": 0.12, "EC": 0.08, "AR": 0.10}

COMPANY_WORDS = (
    "Inversiones", "Comercial", "Constructora", "Minera", "Agrícola", "Transportes", "Inmobiliaria",
    "Servicios", "Distribuidora", "Pesquera", "Viña", "Laboratorios", "Textil", "Importadora",
    "Consultora", "Energía", "Forestal", "Logística", "Alimentos", "Clínica",
)
PLACE_WORDS = (
    "Ñuble", "Los Andes", "del Pacífico", "Peñalolén", "Araucanía", "Cordillera", "San Martín",
    "Antioquia", "Jalisco", "Arequipa", "Guayas", "Patagonia", "Atacama", "del Sur", "Austral",
    "Caribe", "Altiplano", "Magallanes", "Bío-Bío", "Orinoco", "Sierra Madre", "La Pampa", "Maule",
    "Amazonas", "Tolima", "Chiloé", "Titicaca", "Yucatán", "Cuyo", "Valdivia",
)
FIRST_NAMES = ("José", "María", "Inés", "Andrés", "Sofía", "Martín", "Begoña", "Iñaki", "Lucía", "Raúl",
               "Verónica", "Ramón", "Camila", "Sebastián", "Ángela", "Joaquín", "Mónica", "Héctor")
SURNAMES = ("Núñez", "Peña", "Muñoz", "González", "Ibáñez", "Rodríguez", "Pérez", "Castañeda", "Ordóñez",
            "Fernández", "López", "Martínez", "Sánchez", "Gómez", "Díaz", "Álvarez", "Ramírez", "Zúñiga")
GROUPS = ("Grupo Andino", "Holding del Pacífico", "Grupo Cordillera", "Corporación Austral", "Grupo Caribe")
INDUSTRIES = ("Minería", "Retail", "Banca y seguros", "Construcción", "Agroindustria", "Energía",
              "Salud", "Transporte", "Tecnología", "Inmobiliario", "Manufactura")
SEGMENTS = ("Corporativo", "Empresa", "PyME", "Persona")
PARTNERS = ("Carolina Ibáñez", "Rodrigo Peña", "Valentina Ordóñez", "Felipe Muñoz")
LAWYERS = ("Ana Castañeda", "Bruno Zúñiga", "Daniela Núñez", "Esteban Ramírez", "Fernanda Gómez",
           "Gonzalo Pérez", "Isidora Sánchez", "Javier Ordóñez", "Lorena Díaz", "Matías Álvarez")
COURTS = {
    "CL": ("1° Juzgado Civil de Santiago", "2° Juzgado de Letras del Trabajo de Santiago", "Corte de Apelaciones de Santiago",
           "Juzgado de Letras de Chillán", "Corte Suprema"),
    "CO": ("Juzgado 3 Civil del Circuito de Bogotá", "Tribunal Superior de Medellín", "Juzgado 12 Laboral de Cali",
           "Consejo de Estado"),
    "MX": ("Juzgado Tercero de lo Civil CDMX", "Tribunal Federal de Justicia Administrativa", "Junta Local de Conciliación y Arbitraje"),
    "PE": ("1° Juzgado Civil de Lima", "Sala Laboral de Arequipa", "Juzgado Comercial de Lima"),
    "EC": ("Unidad Judicial Civil de Quito", "Tribunal Contencioso Tributario de Guayaquil"),
    "AR": ("Juzgado Nacional en lo Comercial N° 8", "Cámara Nacional del Trabajo", "Juzgado Civil y Comercial de Córdoba"),
}
MATTERS = ("Civil", "Laboral", "Tributario", "Comercial", "Cobranza", "Familia", "Penal", "Libre competencia", "Ambiental")
STAGES = ("Discusión", "Prueba", "Sentencia", "Recurso", "Ejecución", "Cumplimiento", "Archivada")


def _tax_id(rng: np.random.Generator, country: str, company: bool, name: str) -> str:
    if country == "CL":
        body = str(rng.integers(76_000_000, 78_000_000) if company else rng.integers(5_000_000, 25_000_000))
        return body + rut.calc_check_digit(body)
    if country == "CO":
        body = str(rng.integers(800_000_000, 999_999_999) if company else rng.integers(10_000_000, 99_999_999))
        return body + nit.calc_check_digit(body)
    if country == "AR":
        while True:
            body = ("30" if company else rng.choice(["20", "27"])) + f"{rng.integers(10_000_000, 99_999_999)}"
            digit = cuit.calc_check_digit(body)
            if digit != "10" and len(digit) == 1:
                return body + digit
    if country == "PE":
        body = ("20" if company else "10") + f"{rng.integers(10_000_000, 99_999_999)}"
        return body + ruc.calc_check_digit(body)
    if country == "MX":
        width = 3 if company else 4
        alphabetic = "".join(c for c in search_key(name).upper() if c.isalpha())
        letters = alphabetic[:width].ljust(width, "X")
        born = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 20_000)))
        while True:
            homoclave = str(rng.choice(list("123456789ABCDEFGHJKLMNPRSTUV"))) + str(rng.choice(list("123456789ABCDEFGHJKLMNPRSTUVWXYZ")))
            body = letters + born.strftime("%y%m%d") + homoclave
            number = body + rfc.calc_check_digit(body)
            if rfc.is_valid(number, validate_check_digits=True):
                return number
            letters = letters[:-1] + str(rng.choice(list("ABCDEGHILMNPRSTV")))
    if country == "EC":
        while True:
            body = f"{rng.integers(1, 24):02d}{rng.integers(0, 6)}{rng.integers(100_000, 999_999)}"
            for digit in "0123456789":
                if ec_ci.is_valid(body + digit):
                    return body + digit + "001"
    raise ValueError(country)


def build_clients(n_clients: int, *, seed: int = 7, actor: str = "demo") -> pd.DataFrame:
    """Return `n_clients` realistic, distinct demo clients as a DataFrame (not yet stored)."""
    rng = np.random.default_rng(seed)
    countries = list(COUNTRY_WEIGHTS)
    weights = np.array(list(COUNTRY_WEIGHTS.values()))
    rows, seen_keys, seen_ids = [], set(), set()
    created = dt.datetime(2024, 1, 2, 9, 0)
    attempt = 0
    while len(rows) < n_clients:
        attempt += 1
        country = countries[rng.choice(len(countries), p=weights)]
        spec = COUNTRIES[country]
        company = rng.random() < 0.8
        if company:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(PLACE_WORDS)} {rng.choice(spec['suffixes'])}"
            if attempt > 200:
                name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(SURNAMES)} {rng.choice(PLACE_WORDS)} {rng.choice(spec['suffixes'])}"
            if attempt > 1500:
                name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(SURNAMES)} y {rng.choice(SURNAMES)} {rng.choice(PLACE_WORDS)} {rng.choice(spec['suffixes'])}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
            if attempt > 300:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        key = name_key(name)
        if key in seen_keys:
            if attempt > 50 * n_clients + 5000:
                name = f"{name} {len(rows) + 1}"
                key = name_key(name)
            else:
                continue
        tax_id = _tax_id(rng, country, company, name)
        if tax_id in seen_ids:
            continue
        seen_keys.add(key)
        seen_ids.add(tax_id)
        city = str(rng.choice(spec["cities"]))
        group = str(rng.choice(GROUPS)) if company and rng.random() < 0.12 else None
        kind = spec["kind"] if (country != "MX" or company) else "RFC"
        formatted = format_tax_id(country, kind, tax_id)
        rows.append({
            "name": name,
            "name_key": key,
            "search_text": " | ".join(search_key(p) for p in (name, tax_id, formatted, group) if p),
            "person_type": "juridica" if company else "natural",
            "legal_name": name if company else None,
            "tax_country": country,
            "tax_kind": kind,
            "tax_id": tax_id,
            "client_group": group,
            "industry": str(rng.choice(INDUSTRIES)) if company else None,
            "segment": str(rng.choice(SEGMENTS[:3])) if company else "Persona",
            "internal_code": f"CLI-{len(rows) + 1:05d}",
            "email": None,
            "city": city,
            "country": country,
            "responsible_partner": str(rng.choice(PARTNERS)),
            "client_since": dt.date(2005, 1, 1) + dt.timedelta(days=int(rng.integers(0, 7000))),
            "status": "vigente" if rng.random() < 0.93 else "no_vigente",
            "created_at": created,
            "created_by": actor,
            "updated_at": created,
            "updated_by": actor,
        })
    return pd.DataFrame(rows)


CASES_SQL = """
INSERT INTO cases (client_id, case_number, case_number_key, title, search_text, court, matter, stage, status,
                   opened_on, closed_on, amount, currency, responsible_lawyer, counterparty, client_side,
                   created_at, created_by, updated_at, updated_by)
WITH draws AS (
    SELECT i,
           (hash(i, $seed, 1) % 1000000) / 1000000.0 AS u_unassigned,
           (hash(i, $seed, 2) % 1000000) / 1000000.0 AS u_client,
           CAST(hash(i, $seed, 3) % 1000000007 AS BIGINT) AS h3,
           CAST(hash(i, $seed, 4) % 1000000007 AS BIGINT) AS h4,
           (hash(i, $seed, 5) % 1000000) / 1000000.0 AS u_status,
           (hash(i, $seed, 6) % 1000000) / 1000000.0 AS u_amount,
           CAST(hash(i, $seed, 7) % 1000000007 AS BIGINT) AS h7
    FROM range($n_cases) t(i)
),
picked AS (
    SELECT d.*,
           CASE WHEN d.u_unassigned < $unassigned THEN NULL
                ELSE 1 + CAST(floor(pow(d.u_client, $skew) * $n_with_cases) AS BIGINT) END AS client_rank
    FROM draws d
),
shaped AS (
    SELECT p.*, a.client_id,
           coalesce(a.country, ['CL', 'CO', 'MX', 'PE', 'EC', 'AR'][1 + p.h3 % 6]) AS country,
           DATE '2012-01-01' + CAST(p.h4 % (DATE '2026-11-30' - DATE '2012-01-01') AS INTEGER) AS opened_on,
           CAST(2012 + (p.h4 % 5400) / 365 AS INTEGER) AS year,
           p.u_status < 0.38 AS inactive
    FROM picked p LEFT JOIN _demo_ranks a ON a.rank = p.client_rank
),
numbered AS (
    SELECT s.*,
           CASE s.country
               WHEN 'CL' THEN 'C-' || (1 + s.h7 % 29999) || '-' || year(s.opened_on)
               WHEN 'CO' THEN '11001' || lpad(CAST(s.h7 % 100 AS VARCHAR), 2, '0') || '03' || '001' || year(s.opened_on)
                              || lpad(CAST(s.i % 100000 AS VARCHAR), 5, '0') || '00'
               WHEN 'MX' THEN (1 + s.h7 % 9999) || '/' || year(s.opened_on)
               WHEN 'PE' THEN lpad(CAST(s.h7 % 99999 AS VARCHAR), 5, '0') || '-' || year(s.opened_on) || '-0-1801-JR-CI-'
                              || lpad(CAST(1 + s.h3 % 15 AS VARCHAR), 2, '0')
               WHEN 'EC' THEN lpad(CAST(s.h7 % 99999 AS VARCHAR), 5, '0') || '-' || year(s.opened_on) || '-'
                              || lpad(CAST(s.i % 99999 AS VARCHAR), 5, '0')
               ELSE 'COM ' || lpad(CAST(s.h7 % 999999 AS VARCHAR), 6, '0') || '/' || year(s.opened_on)
           END AS case_number,
           $matters[1 + s.h3 % len($matters)] AS matter,
           $counterparties[1 + s.h7 % len($counterparties)] AS counterparty
    FROM shaped s
)
SELECT client_id,
       case_number,
       regexp_replace(upper(case_number), '[^0-9A-Z]', '', 'g') AS case_number_key,
       matter || ' / ' || counterparty AS title,
       lower(strip_accents(case_number || ' | ' || matter || ' / ' || counterparty)) AS search_text,
       CASE country
           WHEN 'CL' THEN $courts_cl[1 + h4 % len($courts_cl)]
           WHEN 'CO' THEN $courts_co[1 + h4 % len($courts_co)]
           WHEN 'MX' THEN $courts_mx[1 + h4 % len($courts_mx)]
           WHEN 'PE' THEN $courts_pe[1 + h4 % len($courts_pe)]
           WHEN 'EC' THEN $courts_ec[1 + h4 % len($courts_ec)]
           ELSE $courts_ar[1 + h4 % len($courts_ar)]
       END AS court,
       matter,
       CASE WHEN inactive THEN 'Archivada' ELSE $stages[1 + h3 % (len($stages) - 1)] END AS stage,
       CASE WHEN inactive THEN 'inactiva' ELSE 'activa' END AS status,
       opened_on,
       CASE WHEN inactive THEN least(opened_on + CAST(30 + h7 % 1500 AS INTEGER), DATE '2026-11-30') END AS closed_on,
       CASE WHEN u_amount < 0.15 THEN NULL
            ELSE CAST(round(exp(13 + 4 * u_amount) * CASE country WHEN 'CL' THEN 1 WHEN 'CO' THEN 4 WHEN 'MX' THEN 0.02
                  WHEN 'PE' THEN 0.004 WHEN 'EC' THEN 0.001 ELSE 1 END, 0) AS DECIMAL(18, 2)) END AS amount,
       CASE WHEN u_amount < 0.15 THEN NULL
            WHEN u_amount > 0.93 THEN 'USD'
            ELSE CASE country WHEN 'CL' THEN 'CLP' WHEN 'CO' THEN 'COP' WHEN 'MX' THEN 'MXN' WHEN 'PE' THEN 'PEN'
                              WHEN 'EC' THEN 'USD' ELSE 'ARS' END END AS currency,
       $lawyers[1 + h3 % len($lawyers)] AS responsible_lawyer,
       counterparty,
       CASE WHEN h7 % 3 = 0 THEN 'demandado' ELSE 'demandante' END AS client_side,
       $created_at, $actor, $created_at, $actor
FROM numbered
ORDER BY i
"""

COUNTERPARTIES = ("Fisco de Chile", "Banco del Estado", "Servicio de Impuestos Internos", "DIAN", "SAT",
                  "SUNAT", "AFIP", "Municipalidad de Peñalolén", "Compañía de Seguros La Andina",
                  "Inmobiliaria Los Robles", "Juan Pérez Soto", "Sindicato de Trabajadores N° 1",
                  "Constructora Aconcagua", "Distribuidora Ñandú")


def generate(db, *, n_clients: int = 120, n_cases: int = 3000, seed: int = 7,
             users: bool = True, superadmins: tuple[str, ...] = ()) -> dict:
    """Fill an empty database with a demo firm; returns the counts written.

    About 8 % of the clients get no cases, 3 % of cases have no client, and case
    ownership is skewed (a few clients own most cases). Demo users are the three
    in DEMO_USERS plus `superadmins` (e.g. the OS login of the person starting the server).
    """
    frame = build_clients(n_clients, seed=seed)
    n_with_cases = max(1, int(round(n_clients * 0.92)))
    now = audit.now()
    with db.transaction() as con:
        existing = con.execute("SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM cases)").fetchone()[0]
        if existing:
            raise ValueError("the demo generator only fills an empty database")
        if users:
            for username, display_name, role in DEMO_USERS:
                con.execute("INSERT INTO users (username, display_name, role, active, created_at, created_by)"
                            " VALUES (?, ?, ?, TRUE, ?, 'demo') ON CONFLICT DO NOTHING",
                            [username, display_name, role, now])
        for username in superadmins:
            con.execute("INSERT INTO users (username, display_name, role, active, created_at, created_by)"
                        " VALUES (?, ?, 'superadmin', TRUE, ?, 'demo') ON CONFLICT DO NOTHING",
                        [username, username, now])

        con.register("_demo_clients", frame)
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO clients ({columns}) SELECT {columns} FROM _demo_clients")
        con.unregister("_demo_clients")

        # Rank the clients that get cases in a shuffled but seeded order, so the biggest
        # clients are spread across countries and names.
        con.execute(
            "CREATE TEMP TABLE _demo_ranks AS SELECT row_number() OVER (ORDER BY hash(id, ?)) AS rank, id AS client_id,"
            " tax_country AS country FROM clients",
            [seed],
        )
        con.execute("DELETE FROM _demo_ranks WHERE rank > ?", [n_with_cases])
        con.execute(CASES_SQL, {
            "seed": seed, "n_cases": n_cases, "n_with_cases": n_with_cases, "unassigned": 0.03, "skew": 3.5,
            "matters": list(MATTERS), "stages": list(STAGES), "lawyers": list(LAWYERS),
            "counterparties": list(COUNTERPARTIES),
            "courts_cl": list(COURTS["CL"]), "courts_co": list(COURTS["CO"]), "courts_mx": list(COURTS["MX"]),
            "courts_pe": list(COURTS["PE"]), "courts_ec": list(COURTS["EC"]), "courts_ar": list(COURTS["AR"]),
            "created_at": now, "actor": "demo",
        })
        con.execute("DROP TABLE _demo_ranks")
        case_counts.refresh(con)
        counts = dict(zip(("clients", "cases"), con.execute(
            "SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM cases)").fetchone()))
        audit.record(con, actor=db.user, action="demo", entity="database", entity_id=None, before=None,
                     after={**counts, "seed": seed}, at=now)
    return counts
