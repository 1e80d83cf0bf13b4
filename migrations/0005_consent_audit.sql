-- 0005: consents, blocks (negative consent), break-glass overrides, the per-citizen consent
-- revision, and the append-only, hash-chained audit log.
--
-- Nothing in this migration is ever deleted. Consents and blocks are withdrawn by setting
-- withdrawn_at once; every recording and withdrawal is also written, by trigger, to an event
-- table, and bumps consent_revision in the same transaction. Every table with personal data
-- carries the CPR first in its primary key, so it can be distributed by CPR (Citus) unchanged;
-- the audit log is the exception (see its COMMENT).
--
-- Function bodies are dollar-quoted: the migration is sent to the server whole.

-- ---------------------------------------------------------------------------------------------
-- Shared helpers.

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION forbid_change() IS 'Trigger body for append-only tables: any UPDATE, DELETE or TRUNCATE raises insufficient_privilege (42501).';

CREATE TABLE consent_revision (
    cpr         char(10) PRIMARY KEY CHECK (cpr ~ '^[0-9]{10}$'),
    revision    bigint NOT NULL CHECK (revision > 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE consent_revision IS 'A per-citizen counter, bumped (by trigger) in the same transaction as any change to the citizen''s consents, blocks or break-glass overrides. Anything cached about what a caller may see is keyed by (cpr, revision), so a withdrawal takes effect on the very next request. No row means revision 0. Override expiry is time-based and does not bump it: the policy asks override_active per request.';

CREATE FUNCTION consent_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO consent_revision AS r (cpr, revision) VALUES (NEW.cpr, 1)
        ON CONFLICT (cpr) DO UPDATE SET revision = r.revision + 1, updated_at = now();
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Consents.

CREATE TABLE consent (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    cpr              char(10) NOT NULL CHECK (cpr ~ '^[0-9]{10}$'),
    purpose          text NOT NULL CHECK (purpose IN ('rehabilitation', 'coordinated_effort',
                                                      'target_group_identification', 'own_case')),
    areas            text[] NOT NULL CHECK (cardinality(areas) > 0
                                            AND array_position(areas, NULL) IS NULL),
    departments      text[] NOT NULL DEFAULT '{}' CHECK (array_position(departments, NULL) IS NULL),
    form             text NOT NULL CHECK (form IN ('written', 'oral', 'digital')),
    valid_from       date NOT NULL,
    valid_until      date CHECK (valid_until IS NULL OR valid_until >= valid_from),
    recorded_by      bigint NOT NULL REFERENCES api_client (id),
    evidence_ref     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at     timestamptz,
    withdrawn_by     bigint REFERENCES api_client (id),
    withdraw_reason  text,
    PRIMARY KEY (cpr, id),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK (withdrawn_at IS NOT NULL OR withdraw_reason IS NULL)
);
CREATE INDEX consent_id ON consent (id);
COMMENT ON TABLE consent IS 'A citizen''s consent to share data for one purpose, scoped to areas (and optionally departments), valid from valid_from to valid_until inclusive (NULL: until withdrawn). No FK to citizen: consent may precede any data. Never deleted or edited: a withdrawal sets withdrawn_at/by/reason once (enforced by trigger), and consent_event keeps the history.';
COMMENT ON COLUMN consent.areas IS 'Area codes (table area) the consent covers; non-empty. Checked against area by trigger, as an array cannot carry a foreign key.';
COMMENT ON COLUMN consent.departments IS 'When non-empty, the consent covers only these departments (table department) within the areas; empty means every department of the areas.';
COMMENT ON COLUMN consent.form IS 'How consent was given: written, oral (noted by the caseworker) or digital (self-service).';
COMMENT ON COLUMN consent.evidence_ref IS 'Where the consent itself is kept, e.g. a document id in the case system.';

CREATE TABLE consent_event (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    consent_id  bigint NOT NULL,
    cpr         char(10) NOT NULL,
    event       text NOT NULL CHECK (event IN ('recorded', 'withdrawn')),
    at          timestamptz NOT NULL DEFAULT now(),
    by_client   bigint NOT NULL REFERENCES api_client (id),
    reason      text,
    PRIMARY KEY (cpr, id),
    FOREIGN KEY (cpr, consent_id) REFERENCES consent (cpr, id)
);
COMMENT ON TABLE consent_event IS 'History of every consent: one row when it is recorded and one when it is withdrawn, written by trigger on consent so no code path can change a consent without a trace. Append-only. Blocks have their own block_event with the same shape rather than a shared table, so that each event keeps a real foreign key to its consent or block.';

CREATE FUNCTION consent_scope_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.areas) a WHERE a NOT IN (SELECT code FROM area)) THEN
        RAISE EXCEPTION 'consent names an unknown area: %', NEW.areas
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(NEW.departments) d
               WHERE d NOT IN (SELECT id FROM department)) THEN
        RAISE EXCEPTION 'consent names an unknown department: %', NEW.departments
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

-- A consent or block may change in one way only: from active to withdrawn, once.
CREATE FUNCTION withdraw_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION '% on % is not allowed: withdraw instead', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.withdrawn_at IS NOT NULL OR NEW.withdrawn_at IS NULL
       OR (to_jsonb(OLD) - ARRAY['withdrawn_at', 'withdrawn_by', 'withdraw_reason'])
          IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['withdrawn_at', 'withdrawn_by', 'withdraw_reason'])
    THEN
        RAISE EXCEPTION 'a % can only be withdrawn, once', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION consent_log_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO consent_event (consent_id, cpr, event, at, by_client, reason)
            VALUES (NEW.id, NEW.cpr, 'recorded', NEW.created_at, NEW.recorded_by, NULL);
    ELSE
        INSERT INTO consent_event (consent_id, cpr, event, at, by_client, reason)
            VALUES (NEW.id, NEW.cpr, 'withdrawn', NEW.withdrawn_at, NEW.withdrawn_by,
                    NEW.withdraw_reason);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER consent_scope BEFORE INSERT ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_scope_check();
CREATE TRIGGER consent_withdraw_only BEFORE UPDATE OR DELETE ON consent
    FOR EACH ROW EXECUTE FUNCTION withdraw_only();
CREATE TRIGGER consent_no_truncate BEFORE TRUNCATE ON consent
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER consent_event AFTER INSERT OR UPDATE ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_log_event();
CREATE TRIGGER consent_revision AFTER INSERT OR UPDATE ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_revision_bump();
CREATE TRIGGER consent_event_append_only BEFORE UPDATE OR DELETE ON consent_event
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER consent_event_no_truncate BEFORE TRUNCATE ON consent_event
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- ---------------------------------------------------------------------------------------------
-- Blocks.

CREATE TABLE citizen_block (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    cpr              char(10) NOT NULL CHECK (cpr ~ '^[0-9]{10}$'),
    scope_kind       text NOT NULL CHECK (scope_kind IN ('area', 'department', 'case_type')),
    scope_value      text NOT NULL,
    valid_from       date NOT NULL,
    valid_until      date CHECK (valid_until IS NULL OR valid_until >= valid_from),
    recorded_by      bigint NOT NULL REFERENCES api_client (id),
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at     timestamptz,
    withdrawn_by     bigint REFERENCES api_client (id),
    withdraw_reason  text,
    PRIMARY KEY (cpr, id),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK (withdrawn_at IS NOT NULL OR withdraw_reason IS NULL)
);
CREATE INDEX citizen_block_id ON citizen_block (id);
COMMENT ON TABLE citizen_block IS 'A citizen''s block (negative consent, as sundhed.dk''s MinSpærring): data of one area, department or case type is not shared across departments from valid_from to valid_until inclusive (NULL: until withdrawn), whatever consents say; only a break-glass override passes it. Never deleted or edited: withdrawal sets withdrawn_at/by/reason once; block_event keeps the history.';
COMMENT ON COLUMN citizen_block.scope_value IS 'An area code, department id or case-type code according to scope_kind, checked against its table by trigger.';
COMMENT ON COLUMN citizen_block.reason IS 'The citizen''s reason, if given (optional: a citizen need not explain a block).';

CREATE TABLE block_event (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    block_id    bigint NOT NULL,
    cpr         char(10) NOT NULL,
    event       text NOT NULL CHECK (event IN ('recorded', 'withdrawn')),
    at          timestamptz NOT NULL DEFAULT now(),
    by_client   bigint NOT NULL REFERENCES api_client (id),
    reason      text,
    PRIMARY KEY (cpr, id),
    FOREIGN KEY (cpr, block_id) REFERENCES citizen_block (cpr, id)
);
COMMENT ON TABLE block_event IS 'History of every block, the same shape as consent_event and written the same way (by trigger). Separate from consent_event so each event keeps a real foreign key. Append-only.';

CREATE FUNCTION block_scope_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    known boolean;
BEGIN
    known := CASE NEW.scope_kind
        WHEN 'area' THEN EXISTS (SELECT 1 FROM area WHERE code = NEW.scope_value)
        WHEN 'department' THEN EXISTS (SELECT 1 FROM department WHERE id = NEW.scope_value)
        WHEN 'case_type' THEN EXISTS (SELECT 1 FROM case_type WHERE code = NEW.scope_value)
        ELSE true END; -- an unknown kind is left to the CHECK on scope_kind
    IF NOT known THEN
        RAISE EXCEPTION 'block names an unknown %: %', NEW.scope_kind, NEW.scope_value
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION block_log_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO block_event (block_id, cpr, event, at, by_client, reason)
            VALUES (NEW.id, NEW.cpr, 'recorded', NEW.created_at, NEW.recorded_by, NEW.reason);
    ELSE
        INSERT INTO block_event (block_id, cpr, event, at, by_client, reason)
            VALUES (NEW.id, NEW.cpr, 'withdrawn', NEW.withdrawn_at, NEW.withdrawn_by,
                    NEW.withdraw_reason);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER citizen_block_scope BEFORE INSERT ON citizen_block
    FOR EACH ROW EXECUTE FUNCTION block_scope_check();
CREATE TRIGGER citizen_block_withdraw_only BEFORE UPDATE OR DELETE ON citizen_block
    FOR EACH ROW EXECUTE FUNCTION withdraw_only();
CREATE TRIGGER citizen_block_no_truncate BEFORE TRUNCATE ON citizen_block
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER citizen_block_event AFTER INSERT OR UPDATE ON citizen_block
    FOR EACH ROW EXECUTE FUNCTION block_log_event();
CREATE TRIGGER citizen_block_revision AFTER INSERT OR UPDATE ON citizen_block
    FOR EACH ROW EXECUTE FUNCTION consent_revision_bump();
CREATE TRIGGER block_event_append_only BEFORE UPDATE OR DELETE ON block_event
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER block_event_no_truncate BEFORE TRUNCATE ON block_event
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- ---------------------------------------------------------------------------------------------
-- Break-glass overrides.

CREATE TABLE break_glass (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    cpr          char(10) NOT NULL CHECK (cpr ~ '^[0-9]{10}$'),
    client_id    bigint NOT NULL REFERENCES api_client (id),
    reason_code  text NOT NULL CHECK (reason_code IN ('acute_risk', 'child_welfare',
                                                      'legal_obligation')),
    note         text NOT NULL CHECK (btrim(note) <> ''),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (cpr, id),
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '60 minutes')
);
CREATE INDEX break_glass_active ON break_glass (cpr, client_id, expires_at);
COMMENT ON TABLE break_glass IS 'Break-glass overrides: one client may see past a citizen''s blocks (and missing consent) for at most 60 minutes (CHECK), for a stated reason. Append-only; never extended: a new need is a new row. Each one is also flagged in the audit log and shows in the citizen''s access log.';
COMMENT ON COLUMN break_glass.reason_code IS 'acute_risk: danger to the citizen''s or others'' life or health now (Forvaltningslovens § 28 stk. 2, vital interests). child_welfare: concern for a child''s welfare that the authority must act on (Barnets Lov, duty to act on underretning). legal_obligation: another law requires the authority to process the data (e.g. a court order or a statutory duty of disclosure).';
COMMENT ON COLUMN break_glass.note IS 'The caller''s own explanation; required and non-blank, for the audit.';

CREATE TRIGGER break_glass_append_only BEFORE UPDATE OR DELETE ON break_glass
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER break_glass_no_truncate BEFORE TRUNCATE ON break_glass
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER break_glass_revision AFTER INSERT ON break_glass
    FOR EACH ROW EXECUTE FUNCTION consent_revision_bump();

-- ---------------------------------------------------------------------------------------------
-- The audit log.

CREATE TABLE audit_log (
    id                bigint PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    client_id         bigint,
    client_name       text NOT NULL,
    role              text NOT NULL,
    department        text,
    purpose           text,
    legal_basis       text,
    cpr               char(10) CHECK (cpr ~ '^[0-9]{10}$'),
    action            text NOT NULL CHECK (action IN ('read', 'consent', 'block', 'override',
                                                      'search')),
    route             text NOT NULL,
    sources_asked     text[] NOT NULL DEFAULT '{}',
    sources_answered  text[] NOT NULL DEFAULT '{}',
    visibility        text,
    override_used     boolean NOT NULL DEFAULT false,
    request_id        text,
    details           jsonb,
    prev_hash         bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    row_hash          bytea NOT NULL CHECK (octet_length(row_hash) = 32)
);
CREATE INDEX audit_log_cpr ON audit_log (cpr, id) WHERE cpr IS NOT NULL;
CREATE INDEX audit_log_client ON audit_log (client_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
COMMENT ON TABLE audit_log IS 'One row per read of personal data and per consent, block or override change, written in the same transaction as what it records. Append-only: a trigger rejects UPDATE, DELETE and TRUNCATE, and those privileges are revoked from PUBLIC and from the owning (service) role. Hash-chained: row_hash = sha256(prev_hash || convert_to(audit_canonical(row), ''UTF8'')), prev_hash = the previous row''s row_hash (32 zero bytes for the first), computed in SQL by the insert trigger, so tampering shows in audit_verify(). Not distributed by CPR: the chain is one global order (searches have no CPR), so this table stays on one node.';
COMMENT ON COLUMN audit_log.id IS 'Gapless and in chain order: assigned by the insert trigger as audit_head.last_id + 1 while the head is locked. Not an identity column on purpose: an identity value is drawn before the append lock, so concurrent appends would get ids out of chain order, and a deleted row would not show as a gap. Any value given is overwritten.';
COMMENT ON COLUMN audit_log.at IS 'Server time of the append, set by the insert trigger (clock_timestamp() after taking the append lock, so it never decreases along the chain). Any value given is overwritten.';
COMMENT ON COLUMN audit_log.cpr IS 'The citizen whose data was read or whose consent changed; NULL for searches across citizens (their criteria are in details).';
COMMENT ON COLUMN audit_log.visibility IS 'A summary of what was returned, e.g. ''full,existence'': the distinct visibility levels of the records in the answer.';
COMMENT ON COLUMN audit_log.legal_basis IS 'The legal basis of the stated purpose as text (lib/purpose.c), recorded as it was at the time of the read.';

CREATE TABLE audit_head (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id    bigint NOT NULL,
    last_hash  bytea NOT NULL CHECK (octet_length(last_hash) = 32)
);
INSERT INTO audit_head (one, last_id, last_hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));
COMMENT ON TABLE audit_head IS 'The single row naming the end of the audit chain. The insert trigger locks it FOR UPDATE, so appends from concurrent transactions are serialised into one chain in commit order (the lock is held to the end of the appending transaction: append the audit row last). It also lets audit_verify() notice rows cut from the end. Its initial last_hash, 32 zero bytes, is the genesis value.';

CREATE FUNCTION audit_canonical(a audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(
        a.id,
        to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        a.client_id, a.client_name, a.role, a.department, a.purpose, a.legal_basis, a.cpr,
        a.action, a.route, a.sources_asked, a.sources_answered, a.visibility, a.override_used,
        a.request_id, a.details)::text
$$;
COMMENT ON FUNCTION audit_canonical(audit_log) IS 'The canonical text of an audit row that its hash covers: a JSON array of every field but the hashes, in column order. JSON quoting makes it unambiguous (no field can imitate a separator; NULL is null, distinct from ""), arrays stay arrays, details is jsonb so its text form is normalised, and the timestamp is written in UTC to the microsecond, independent of the session''s TimeZone and DateStyle. prev_hash is always 32 bytes, so prev_hash || text is unambiguous too.';

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_head;
BEGIN
    SELECT * INTO head FROM audit_head WHERE one FOR UPDATE;
    NEW.id := head.last_id + 1;
    NEW.at := clock_timestamp();
    NEW.prev_hash := head.last_hash;
    NEW.row_hash := sha256(NEW.prev_hash || convert_to(audit_canonical(NEW), 'UTF8'));
    UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.row_hash WHERE one;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION audit_chain() IS 'Insert trigger of audit_log: takes the append lock (audit_head FOR UPDATE), assigns id and at, links the row to the chain and computes its hash. Whatever the inserting statement gave for id, at, prev_hash or row_hash is overwritten.';

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_chain();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The service runs as the owning role. The trigger above is the real guard (it binds the owner
-- too, who could grant itself the privileges back); revoking makes the intent visible in \dp
-- and makes an UPDATE or DELETE fail with "permission denied" before the trigger runs.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
REVOKE UPDATE, DELETE, TRUNCATE ON consent_event, block_event, break_glass FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON consent_event, block_event, break_glass FROM CURRENT_USER;

CREATE FUNCTION audit_verify(OUT bad_id bigint, OUT problem text) RETURNS SETOF record
LANGUAGE plpgsql STABLE AS $$
DECLARE
    head audit_head;
    a audit_log;
    expect_id bigint := 1;
    expect_prev bytea := decode(repeat('00', 32), 'hex');
BEGIN
    -- The head first: rows appended after this snapshot are left for the next check.
    SELECT * INTO head FROM audit_head WHERE one;
    FOR a IN SELECT * FROM audit_log WHERE id <= head.last_id ORDER BY id LOOP
        IF a.id <> expect_id THEN
            bad_id := expect_id;
            problem := format('row missing (prev link broken at row %s)', a.id);
            RETURN NEXT;
            RETURN;
        END IF;
        IF a.prev_hash <> expect_prev THEN
            bad_id := a.id;
            problem := 'prev link broken';
            RETURN NEXT;
            RETURN;
        END IF;
        IF a.row_hash <> sha256(a.prev_hash || convert_to(audit_canonical(a), 'UTF8')) THEN
            bad_id := a.id;
            problem := 'hash mismatch';
            RETURN NEXT;
            RETURN;
        END IF;
        expect_id := a.id + 1;
        expect_prev := a.row_hash;
    END LOOP;
    IF expect_id <> head.last_id + 1 OR expect_prev <> head.last_hash THEN
        bad_id := expect_id;
        problem := format('row missing (chain ends before the head''s row %s)', head.last_id);
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION audit_verify() IS 'Walks the audit chain in id order and returns the first broken row with the reason (hash mismatch: the row was changed; prev link broken: it does not follow its predecessor; row missing: a row was removed from the middle or the end), or no row when the chain is intact up to the head. It detects changes by anyone who cannot rewrite the whole chain and the head; to detect even that, record audit_head.last_hash outside the database from time to time.';
