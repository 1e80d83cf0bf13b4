-- 0014: audit log v2. Appending takes no global lock; a sealer links committed rows into the
-- hash chain afterwards, in id order; signed checkpoints of the chain are kept (table
-- audit_checkpoint, and a file outside the database); and the service connects as a role that
-- may only read and append the history, owns nothing and cannot disable triggers.
--
-- v1 (0005) hashed every row in its insert trigger under the one row lock of audit_head, held
-- to the end of the appending transaction: audited transactions committed one at a time. Now an
-- audited transaction inserts its row with an id from a sequence and the id of its own
-- transaction; audit_seal() (run by one `glasplade serve` at a time, or `glasplade audit seal`)
-- hashes committed rows into audit_chain, only up to ids that no transaction still running can
-- hold, so that a row with a smaller id that commits late is never skipped.
--
-- The rows and hashes of v1 stay valid as they are: the hash of a row is computed exactly as
-- before (audit_canonical is unchanged), and v1's chain is copied into audit_chain.

-- ---------------------------------------------------------------------------------------------
-- The service's role. A group role, so that the login role's name is the operator's choice
-- (scripts/pg creates glasplade_app; the tests their own). Roles belong to the cluster, not to
-- the database: it is created here when missing and the migrating role may create roles;
-- otherwise a superuser creates it first.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'glasplade_service') THEN
        BEGIN
            CREATE ROLE glasplade_service NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by a migration of another database
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role glasplade_service does not exist and % may not create it',
                    current_user
                    USING HINT = 'as a superuser: CREATE ROLE glasplade_service NOLOGIN';
        END;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Appending: no lock, an id from a sequence, the id of the inserting transaction.

DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_chain();

-- CACHE 1, and it must stay so: audit_seal() takes the sequence's last value as the highest id
-- handed out so far, which a per-session cache would make untrue.
CREATE SEQUENCE audit_log_id_seq AS bigint CACHE 1 OWNED BY audit_log.id;
SELECT setval('audit_log_id_seq', greatest(last_id, 1), last_id > 0) FROM audit_head;

-- The transaction's id first, then the row's: audit_seal() relies on every transaction that
-- draws an id having had its own transaction id assigned before (CASE evaluates in order).
CREATE FUNCTION audit_next_id() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN pg_current_xact_id() IS NULL THEN NULL
                ELSE nextval('public.audit_log_id_seq') END
$$;
COMMENT ON FUNCTION audit_next_id() IS 'The default of audit_log.id: assigns the inserting transaction its id (pg_current_xact_id()) before drawing the row''s id from audit_log_id_seq, which audit_seal() relies on.';

ALTER TABLE audit_log ADD COLUMN txid xid8;
-- Defaults rather than a trigger (v1's audit_chain() trigger is gone): they cost next to
-- nothing, and the service's role may insert only the other columns (column privileges below),
-- so it cannot choose id, time or txid.
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT audit_next_id(),
                      ALTER COLUMN at SET DEFAULT clock_timestamp(),
                      ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN audit_log.txid IS 'The top-level transaction that inserted the row (pg_current_xact_id()), assigned before its id was drawn. NULL for the rows of v1 (migration 0005), which were chained as they were inserted. For diagnosis: sealing does not trust it, see audit_seal().';
COMMENT ON COLUMN audit_log.id IS 'From audit_log_id_seq (CACHE 1) by the default audit_next_id(), after the transaction has its id: unique and increasing in the order the ids were drawn, not in commit order, and with gaps where a transaction rolled back. The chain (audit_chain) links the committed rows in id order. The service''s role cannot set it (column privileges).';
COMMENT ON COLUMN audit_log.at IS 'Server time of the insert (default clock_timestamp(); the service''s role cannot set it). Not the commit time: along the chain it may decrease slightly.';

-- ---------------------------------------------------------------------------------------------
-- The chain.

CREATE TABLE audit_chain (
    seq        bigint PRIMARY KEY CHECK (seq > 0),
    id         bigint NOT NULL UNIQUE,
    prev_hash  bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    row_hash   bytea NOT NULL CHECK (octet_length(row_hash) = 32),
    sealed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE audit_chain IS 'The hash chain over audit_log, one entry per committed audit row, in id order: seq is the gapless position (1, 2, ...), id the row''s audit_log.id, row_hash = sha256(prev_hash || convert_to(audit_canonical(row), ''UTF8'')), prev_hash the previous entry''s row_hash (32 zero bytes for the first). Written only by audit_seal(); append-only. A row is in the chain within the promised delay of its commit (GLASPLADE_AUDIT_SEAL_DELAY_MS).';

INSERT INTO audit_chain (seq, id, prev_hash, row_hash, sealed_at)
    SELECT row_number() OVER (ORDER BY id), id, prev_hash, row_hash, at FROM audit_log;
ALTER TABLE audit_log DROP COLUMN prev_hash, DROP COLUMN row_hash;
COMMENT ON TABLE audit_log IS 'One row per read of personal data and per consent, block or override change, written in the same transaction as what it records, without any lock another audited transaction waits for. Append-only: triggers reject UPDATE, DELETE and TRUNCATE, and the service''s role (glasplade_service) may only INSERT and SELECT. Hash-chained after commit by audit_seal() into audit_chain, and the chain head is signed now and then (audit_checkpoint). Not distributed by CPR: the chain is one global order (searches have no CPR), so this table stays on one node.';

ALTER TABLE audit_head
    ADD COLUMN last_seq bigint NOT NULL DEFAULT 0,
    ADD COLUMN sealed_through bigint NOT NULL DEFAULT 0,
    ADD COLUMN pending_hi bigint,
    ADD COLUMN pending_xid xid8,
    ADD COLUMN sealed_at timestamptz,
    ADD CHECK ((pending_hi IS NULL) = (pending_xid IS NULL));
UPDATE audit_head SET last_seq = (SELECT count(*) FROM audit_chain), sealed_through = last_id;
COMMENT ON TABLE audit_head IS 'The single row naming the end of the audit chain: the last sealed row (last_id, its position last_seq and its hash last_hash; 0, 0 and 32 zero bytes, the genesis, when none), sealed_through (every id up to it is settled: sealed, or never to be committed), and the sealer''s pending step (pending_hi, pending_xid; see audit_seal()). Written only by audit_seal().';

CREATE FUNCTION audit_seal(max_rows integer DEFAULT 10000, OUT sealed integer,
                           OUT last_id bigint, OUT last_seq bigint, OUT last_hash bytea,
                           OUT sealed_through bigint, OUT pending boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    -- Every transaction whose id is below horizon has ended (committed or rolled back). Taken
    -- first, before this transaction has an id of its own.
    horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
    hi bigint := coalesce(pg_sequence_last_value('public.audit_log_id_seq'), 0);
    h public.audit_head;
    ids bigint[];
    texts bytea[];
    prevs bytea[];
    hashes bytea[];
    prev bytea;
    n bigint;
BEGIN
    sealed := 0;
    SELECT * INTO h FROM public.audit_head WHERE one;
    IF (h.pending_xid IS NULL AND hi > h.sealed_through)
       OR (h.pending_xid IS NOT NULL AND horizon >= h.pending_xid) THEN
        -- Work to do: lock the head (a second sealer waits here, then sees this one's result),
        -- which gives this transaction its id, after hi was read.
        SELECT * INTO h FROM public.audit_head WHERE one FOR UPDATE;
        IF h.pending_xid IS NOT NULL AND horizon >= h.pending_xid THEN
            -- Every transaction that drew an id up to pending_hi drew it before the pass that
            -- recorded pending_hi read the sequence, so had its transaction id before that pass
            -- had pending_xid: it has ended, and its row, if committed, is visible now.
            -- The rows' canonical texts in one set-based read, the chain folded over them, and
            -- the entries written in one statement.
            SELECT array_agg(l.id ORDER BY l.id),
                   array_agg(convert_to(public.audit_canonical(l), 'UTF8') ORDER BY l.id)
              INTO ids, texts
              FROM (SELECT * FROM public.audit_log
                     WHERE id > h.sealed_through AND id <= h.pending_hi
                     ORDER BY id LIMIT max_rows) l;
            sealed := coalesce(array_length(ids, 1), 0);
            prev := h.last_hash;
            FOR i IN 1 .. sealed LOOP
                prevs[i] := prev;
                prev := sha256(prev || texts[i]);
                hashes[i] := prev;
            END LOOP;
            n := h.last_seq;
            IF sealed > 0 THEN
                INSERT INTO public.audit_chain (seq, id, prev_hash, row_hash)
                    SELECT n + u.o, u.id, u.prev_hash, u.row_hash
                      FROM unnest(ids, prevs, hashes) WITH ORDINALITY
                           AS u(id, prev_hash, row_hash, o);
                n := n + sealed;
                h.last_id := ids[sealed];
            END IF;
            h.last_seq := n;
            h.last_hash := prev;
            IF sealed = max_rows THEN
                h.sealed_through := h.last_id; -- more next time; the step stays pending
            ELSE
                h.sealed_through := h.pending_hi;
                h.pending_hi := NULL;
                h.pending_xid := NULL;
            END IF;
            IF sealed > 0 THEN
                h.sealed_at := clock_timestamp();
            END IF;
        END IF;
        IF h.pending_xid IS NULL AND hi > h.sealed_through THEN
            -- Record the next step: ids up to hi, once every transaction older than this one
            -- has ended.
            h.pending_hi := hi;
            h.pending_xid := pg_current_xact_id();
        END IF;
        UPDATE public.audit_head
           SET last_id = h.last_id, last_hash = h.last_hash, last_seq = h.last_seq,
               sealed_through = h.sealed_through, pending_hi = h.pending_hi,
               pending_xid = h.pending_xid, sealed_at = h.sealed_at
         WHERE one;
    END IF;
    last_id := h.last_id;
    last_seq := h.last_seq;
    last_hash := h.last_hash;
    sealed_through := h.sealed_through;
    pending := h.pending_xid IS NOT NULL;
END
$$;
COMMENT ON FUNCTION audit_seal(integer) IS 'One pass of the sealer: links committed audit rows into audit_chain in id order, at most max_rows of them. Each pass first records the highest id handed out so far with its own transaction id (pending_hi, pending_xid); a later pass, once every transaction older than pending_xid has ended, seals every committed row up to pending_hi. So a row is sealed at the second pass after its commit, and a row whose transaction is still running holds back every row with a greater id, never skipped. Safe to call from several sessions at once (they serialise on audit_head); glasplade runs it from one process at a time (advisory lock), every GLASPLADE_AUDIT_SEAL_DELAY_MS / 4. Runs as the owner (SECURITY DEFINER): the service''s role may call it but cannot write the chain itself.';
REVOKE ALL ON FUNCTION audit_seal(integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit_verify(OUT bad_id bigint, OUT problem text) RETURNS SETOF record
LANGUAGE plpgsql STABLE AS $$
DECLARE
    head audit_head;
    r record;
    expect_seq bigint := 1;
    expect_prev bytea := decode(repeat('00', 32), 'hex');
    prev_id bigint := 0;
    stray bigint;
BEGIN
    -- The head first: rows sealed after this snapshot are left for the next check.
    SELECT * INTO head FROM audit_head WHERE one;
    -- A committed row at or below sealed_through that is not in the chain: inserted afterwards
    -- with a forged id, or (a bug) skipped. Reported if it comes before any other break.
    SELECT min(l.id) INTO stray FROM audit_log l
     WHERE l.id <= head.sealed_through
       AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.id = l.id);
    FOR r IN SELECT c.seq, c.id, c.prev_hash, c.row_hash, l AS logged, l.id IS NULL AS gone
               FROM audit_chain c LEFT JOIN audit_log l ON l.id = c.id
              WHERE c.seq <= head.last_seq ORDER BY c.seq LOOP
        IF stray IS NOT NULL AND stray < r.id THEN
            EXIT;
        END IF;
        IF r.seq <> expect_seq THEN
            bad_id := r.id;
            problem := format('chain entry missing (position %s follows %s)', r.seq,
                              expect_seq - 1);
        ELSIF r.id <= prev_id THEN
            bad_id := r.id;
            problem := 'chain out of order';
        ELSIF r.prev_hash <> expect_prev THEN
            bad_id := r.id;
            problem := 'prev link broken';
        ELSIF r.gone THEN
            bad_id := r.id;
            problem := 'row missing';
        ELSIF r.row_hash <> sha256(r.prev_hash || convert_to(audit_canonical(r.logged), 'UTF8')) THEN
            bad_id := r.id;
            problem := 'hash mismatch';
        END IF;
        IF bad_id IS NOT NULL THEN
            RETURN NEXT;
            RETURN;
        END IF;
        expect_seq := r.seq + 1;
        expect_prev := r.row_hash;
        prev_id := r.id;
    END LOOP;
    IF stray IS NOT NULL THEN
        bad_id := stray;
        problem := 'row not in chain';
        RETURN NEXT;
        RETURN;
    END IF;
    IF expect_seq <> head.last_seq + 1 OR expect_prev <> head.last_hash
       OR prev_id <> head.last_id THEN
        bad_id := coalesce((SELECT min(l.id) FROM audit_log l WHERE l.id > prev_id),
                           head.last_id);
        problem := format('row missing (chain ends before the head''s row %s)', head.last_id);
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION audit_verify() IS 'Walks the audit chain (audit_chain joined to audit_log) in order and returns the first broken row with the reason (hash mismatch: the row was changed; prev link broken: the entry does not follow its predecessor; row missing: the row was removed, or the chain ends before its head; row not in chain: a row below the sealed end that the chain does not hold; chain entry missing: a position was removed), or no row when the chain is intact up to the head. It cannot see a rewrite of the whole chain and its head: the signed checkpoints (audit_checkpoint, and the file outside the database) are for that — glasplade audit verify and GET /v1/audit/verify check them.';

-- ---------------------------------------------------------------------------------------------
-- Signed checkpoints.

CREATE TABLE audit_checkpoint (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    last_id      bigint NOT NULL,
    last_seq     bigint NOT NULL CHECK (last_seq > 0),
    chain_hash   bytea NOT NULL CHECK (octet_length(chain_hash) = 32),
    from_seq     bigint NOT NULL CHECK (from_seq >= 0 AND from_seq < last_seq),
    rows         text NOT NULL,
    rows_sha256  bytea NOT NULL CHECK (octet_length(rows_sha256) = 32),
    signed_at    timestamptz NOT NULL,
    public_key   bytea NOT NULL CHECK (octet_length(public_key) = 32),
    signature    bytea NOT NULL CHECK (octet_length(signature) = 64)
);
CREATE INDEX audit_checkpoint_seq ON audit_checkpoint (last_seq);
COMMENT ON TABLE audit_checkpoint IS 'Checkpoints of the audit chain signed with Ed25519 by the sealer (lib/sharing/audit_key.c), every GLASPLADE_AUDIT_CHECKPOINT_ROWS rows or GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S seconds; each is also appended to a file outside the database (GLASPLADE_AUDIT_CHECKPOINT_FILE). The signature covers last_id, last_seq, chain_hash (the chain entry''s row_hash at last_seq), from_seq, rows_sha256 and signed_at. rows lists the entries (from_seq, last_seq] as id:first-16-hex-of-row_hash, comma-separated, so that a verifier names the first rewritten row, not only the first checkpoint that no longer matches. Append-only.';

CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- ---------------------------------------------------------------------------------------------
-- Privileges. The migrating role owns everything; glasplade_service reads and writes the
-- working tables, but the history only reads and appends, and the chain only reads (it seals
-- through audit_seal()). Being no owner, it cannot disable a trigger; being no superuser, it
-- cannot set session_replication_role. Tables that later migrations create get the same
-- default privileges: a new history table must revoke UPDATE, DELETE and TRUNCATE itself.

GRANT USAGE ON SCHEMA public TO glasplade_service;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public
    TO glasplade_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO glasplade_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO glasplade_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO glasplade_service;

REVOKE UPDATE, DELETE, TRUNCATE
    ON audit_log, audit_checkpoint, consent_event, block_event, break_glass
    FROM glasplade_service;
-- An audit row's id, time and transaction come from their defaults only.
REVOKE INSERT ON audit_log FROM glasplade_service;
GRANT INSERT (client_id, client_name, role, department, purpose, legal_basis, cpr, action, route,
              sources_asked, sources_answered, visibility, override_used, request_id, details)
    ON audit_log TO glasplade_service;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain, audit_head, schema_migration
    FROM glasplade_service;
REVOKE DELETE, TRUNCATE ON consent, citizen_block FROM glasplade_service;
GRANT EXECUTE ON FUNCTION audit_seal(integer) TO glasplade_service;
-- PUBLIC has no business with the history either; and, as for audit_log in 0005, the owner's
-- own UPDATE, DELETE and TRUNCATE are revoked to make the intent visible (it could grant them
-- back: the triggers, and above all the signed checkpoints, are the real guard).
REVOKE ALL ON audit_chain, audit_head, audit_checkpoint FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_chain, audit_checkpoint FROM CURRENT_USER;
