-- 0001: the core tables: areas, departments, citizens, sources and API clients.
-- Every table that holds personal data carries the CPR, so the schema can later be
-- distributed by CPR (Citus) without changing the queries.

CREATE TABLE area (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]*$'),
    label_da    text NOT NULL,
    label_en    text NOT NULL
);
COMMENT ON TABLE area IS 'Areas of municipal and regional work (employment, social, ...). Data, not code: a new area is a new migration.';

INSERT INTO area (code, label_da, label_en) VALUES
    ('employment',       'Beskæftigelse',        'Employment'),
    ('social',           'Voksen-social',        'Adult social services'),
    ('family',           'Børn og familie',      'Children and family'),
    ('health_municipal', 'Kommunal sundhed',     'Municipal health and care'),
    ('health_regional',  'Regional sundhed',     'Regional health (hospital)');

CREATE TABLE department (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*$'),
    area        text NOT NULL REFERENCES area (code),
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
COMMENT ON TABLE department IS 'Departments that own data and to which caseworker and coordinator tokens belong.';

INSERT INTO department (id, area, name_da, name_en) VALUES
    ('job_centre',       'employment',       'Jobcenter',                   'Job centre'),
    ('social_services',  'social',           'Socialforvaltningen',         'Social services'),
    ('family',           'family',           'Børn og Familie',             'Family department'),
    ('municipal_health', 'health_municipal', 'Sundhed og Omsorg',           'Municipal health and care'),
    ('region',           'health_regional',  'Region (hospital, sundhedskoordinator)', 'Region (hospital)');

CREATE TABLE citizen (
    cpr          char(10) PRIMARY KEY CHECK (cpr ~ '^[0-9]{10}$'),
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE citizen IS 'Citizens any source has returned data for. Birth date, age and sex are derived from the CPR, never stored twice.';

CREATE TABLE source (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_-]*$'),
    kind          text NOT NULL,
    department    text NOT NULL REFERENCES department (id),
    base_url      text NOT NULL,
    enabled       boolean NOT NULL DEFAULT true,
    timeout_ms    integer NOT NULL DEFAULT 1500 CHECK (timeout_ms > 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE source IS 'Configured department systems. A source is configuration (id, kind, department, URL); its kind names the adapter code that speaks to it.';

CREATE TYPE client_role AS ENUM ('caseworker', 'coordinator', 'analyst', 'auditor', 'admin');

CREATE TABLE api_client (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    role          client_role NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    department    text REFERENCES department (id),
    default_purpose text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK (role NOT IN ('caseworker', 'coordinator') OR department IS NOT NULL)
);
COMMENT ON TABLE api_client IS 'Bearer-token clients. Only the SHA-256 of a token is stored; the token itself is shown once, at creation.';
COMMENT ON COLUMN api_client.department IS 'Required for caseworker and coordinator: their own department sees its own data in full.';
