-- 0003: the shared index: one row per normalised record from a department system, the
-- freshness of each source's answer per citizen, and the map from systems' own type codes to
-- the case-type taxonomy.

CREATE TABLE source_code_map (
    adapter_kind  text NOT NULL CHECK (adapter_kind ~ '^[a-z][a-z0-9-]*$'),
    source_code   text NOT NULL CHECK (source_code <> ''),
    case_type     text NOT NULL REFERENCES case_type (code),
    PRIMARY KEY (adapter_kind, source_code)
);
COMMENT ON TABLE source_code_map IS 'Maps a department system''s own type code (by adapter kind, e.g. momentum ''ressourceforloeb'', fhir-r4 ''system|code'') onto a case type. Used when a record names no legal basis the taxonomy resolves. A code found in neither place makes the record ''unclassified'', visibly. Data, not code: a new code is a new migration.';

CREATE DOMAIN record_status AS text CHECK (VALUE IN ('open', 'closed', 'planned'));

CREATE TABLE record (
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    cpr                 char(10) NOT NULL CHECK (cpr ~ '^[0-9]{10}$'),
    source_id           text NOT NULL REFERENCES source (id),
    source_ref          text NOT NULL CHECK (source_ref <> ''),
    parent_ref          text,
    area                text NOT NULL REFERENCES area (code),
    department          text NOT NULL REFERENCES department (id),
    unit                text,
    case_type           text NOT NULL REFERENCES case_type (code),
    source_code         text,
    legal_basis         text,
    legal_basis_raw     text,
    data_type           text NOT NULL REFERENCES data_type (code),
    kind                text NOT NULL CHECK (kind IN ('case', 'activity', 'document', 'encounter')),
    title               text,
    status              record_status NOT NULL,
    start_date          date,
    end_date            date,
    document_date       date,
    caseworker_name     text,
    caseworker_contact  text,
    sensitivity         sensitivity_level NOT NULL,
    source_updated      timestamptz,
    fetched_at          timestamptz NOT NULL,
    removed_at          timestamptz,
    PRIMARY KEY (cpr, source_id, source_ref),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
COMMENT ON TABLE record IS 'The shared index: one row per normalised record, keyed by (source, source reference) and carrying the CPR first so the table can be distributed by CPR (Citus) unchanged. Rows are never deleted by a lookup: a full per-CPR fetch that no longer returns a record sets removed_at.';
COMMENT ON COLUMN record.id IS 'A stable number for the record, used as evidence in recommendations.';
COMMENT ON COLUMN record.legal_basis IS 'The current legal basis (after mapping old paragraphs, e.g. SEL § 50 -> Barnets Lov § 20); legal_basis_raw keeps the source''s own spelling.';
COMMENT ON COLUMN record.sensitivity IS 'Copied from the case type when the record was indexed, so reads need no join to decide visibility.';
COMMENT ON COLUMN record.fetched_at IS 'When Glasplade last received this record from its source.';
COMMENT ON COLUMN record.removed_at IS 'Set when a complete fetch from the source no longer returned the record; cleared if it comes back.';

CREATE UNIQUE INDEX record_id_idx ON record (cpr, id);
CREATE INDEX record_live_idx ON record (cpr, area, start_date) WHERE removed_at IS NULL;

CREATE TABLE source_fetch (
    cpr          char(10) NOT NULL CHECK (cpr ~ '^[0-9]{10}$'),
    source_id    text NOT NULL REFERENCES source (id),
    fetched_at   timestamptz NOT NULL,
    status       text NOT NULL CHECK (status IN ('ok', 'timeout', 'error', 'unavailable', 'circuit_open')),
    error        text,
    latency_ms   double precision,
    last_ok_at   timestamptz,
    PRIMARY KEY (cpr, source_id)
);
COMMENT ON TABLE source_fetch IS 'The last attempt to fetch each source for each citizen, and when it last succeeded. refresh=auto serves the index while last_ok_at is younger than the TTL; an answer from the index is marked stale with this age.';
