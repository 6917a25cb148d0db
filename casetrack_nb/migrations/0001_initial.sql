-- Initial schema: clients, cases, users, the audit log and firm settings.

CREATE SEQUENCE client_id_seq START 1;
CREATE SEQUENCE case_id_seq START 1;
CREATE SEQUENCE audit_id_seq START 1;

CREATE TABLE users (
    username      VARCHAR PRIMARY KEY,
    display_name  VARCHAR,
    role          VARCHAR NOT NULL CHECK (role IN ('superadmin', 'admin', 'usuario')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    created_by    VARCHAR
);

CREATE TABLE clients (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('client_id_seq'),
    name                VARCHAR NOT NULL,
    -- Accent-, case- and legal-suffix-insensitive form used for duplicate warnings.
    name_key            VARCHAR NOT NULL,
    -- Lowercase, accent-free form used by the search box.
    search_text         VARCHAR NOT NULL,
    person_type         VARCHAR CHECK (person_type IN ('natural', 'juridica')),
    legal_name          VARCHAR,
    tax_country         VARCHAR,
    tax_kind            VARCHAR,
    tax_id              VARCHAR,
    client_group        VARCHAR,
    industry            VARCHAR,
    segment             VARCHAR,
    internal_code       VARCHAR,
    email               VARCHAR,
    phone               VARCHAR,
    address             VARCHAR,
    city                VARCHAR,
    region              VARCHAR,
    country             VARCHAR,
    contact_name        VARCHAR,
    contact_role        VARCHAR,
    contact_email       VARCHAR,
    contact_phone       VARCHAR,
    responsible_partner VARCHAR,
    client_since        DATE,
    status              VARCHAR NOT NULL DEFAULT 'vigente' CHECK (status IN ('vigente', 'no_vigente')),
    tags                VARCHAR,
    notes               VARCHAR,
    created_at          TIMESTAMP NOT NULL,
    created_by          VARCHAR,
    updated_at          TIMESTAMP NOT NULL,
    updated_by          VARCHAR,
    version             INTEGER NOT NULL DEFAULT 1,
    deleted_at          TIMESTAMP,
    deleted_by          VARCHAR
);

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY DEFAULT nextval('case_id_seq'),
    client_id          INTEGER,
    case_number        VARCHAR NOT NULL,
    -- Uppercase, separator-free form of the number for search and import matching.
    case_number_key    VARCHAR NOT NULL,
    title              VARCHAR,
    search_text        VARCHAR NOT NULL,
    court              VARCHAR,
    matter             VARCHAR,
    stage              VARCHAR,
    status             VARCHAR NOT NULL DEFAULT 'activa' CHECK (status IN ('activa', 'inactiva')),
    opened_on          DATE,
    closed_on          DATE,
    amount             DECIMAL(18, 2) CHECK (amount IS NULL OR amount >= 0),
    currency           VARCHAR,
    responsible_lawyer VARCHAR,
    counterparty       VARCHAR,
    client_side        VARCHAR CHECK (client_side IN ('demandante', 'demandado', 'tercero', 'solicitante')),
    created_at         TIMESTAMP NOT NULL,
    created_by         VARCHAR,
    updated_at         TIMESTAMP NOT NULL,
    updated_by         VARCHAR,
    version            INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    logged_at  TIMESTAMP NOT NULL,
    actor      VARCHAR,
    action     VARCHAR NOT NULL,
    entity     VARCHAR NOT NULL,
    entity_id  VARCHAR,
    before     JSON,
    after      JSON,
    source     VARCHAR
);

CREATE TABLE settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

CREATE INDEX cases_client_idx ON cases (client_id);
CREATE INDEX audit_entity_idx ON audit_log (entity, entity_id);
