-- 0020: a summary per citizen of the areas and departments their live services are in, so
-- that the CPR list (lib/insight/target_group.c) walks citizens instead of records and a rare
-- criteria set no longer reads every service of every citizen it passes.
--
-- The search walks citizens in CPR order from its cursor and stops when a page is full. Before,
-- it walked the services themselves (record_target_group_open_idx) and grouped them per
-- citizen: a criteria set that one citizen in 5,000 meets read about 120,000 citizens' services
-- for a page (bench/README-topology.md). Now it walks this table in CPR order, skips every
-- citizen whose summary shows they cannot qualify, and applies the exact rule (types, blocks,
-- status, the criteria's areas and exclusions) to the others only, by CPR.
--
-- The summary is a SUPERSET of what the exact rule counts: it holds every area and department
-- of the citizen's live services (removed_at IS NULL, kind <> 'document'), and of the open ones
-- among them, whatever their case type, blocks or the criteria's exclusions — all of which can
-- only take records away. So a citizen it rules out cannot qualify, and pruning never changes a
-- result. It must never hold LESS than the records: it is kept exact by the triggers below, in
-- the transaction of every statement that writes record (a press, a sync page, the end of a
-- sync pass, anything else), and backfilled here.

CREATE TABLE citizen_summary (
    cpr               char(10) NOT NULL,
    areas             text[] NOT NULL,
    departments       text[] NOT NULL,
    open_areas        text[] NOT NULL,
    open_departments  text[] NOT NULL,
    -- The walk reads every column from the index alone (index-only scan in CPR order).
    PRIMARY KEY (cpr) INCLUDE (areas, departments, open_areas, open_departments)
);
COMMENT ON TABLE citizen_summary IS 'Per citizen with at least one live service (a record with removed_at NULL and kind other than document): the distinct areas and departments of those services (sorted), and of the open ones among them. Derived from record by its triggers (citizen_summary_refresh), never written otherwise; a superset of what the CPR list''s exact rule counts, which it uses to skip citizens who cannot qualify (migration 0020).';
COMMENT ON COLUMN citizen_summary.open_areas IS 'Areas of the live services with status open (the CPR list''s default, ongoing_only); may be empty.';

-- ---------------------------------------------------------------------------------------------
-- Recomputing the summary of some citizens from record.
--
-- Concurrency: two transactions writing records of one citizen (a press and a sync page, say)
-- must not each compute the summary from a snapshot without the other's records and store the
-- older one last. So writers of one citizen's summary take turns: a transaction-scoped advisory
-- lock per CPR (taken in key order, so two writers never wait on each other in a circle, and
-- held to the commit), and only then one statement reads record and writes the summary. Under
-- READ COMMITTED that statement's snapshot is taken after the locks were granted: it sees the
-- records of every transaction that held them before and committed; one that comes later waits
-- for this one to commit and then sees its records. Every writer of record in lib/ runs under
-- READ COMMITTED; under REPEATABLE READ or SERIALIZABLE the snapshot would be the
-- transaction's, older than the lock, so a write to record in such a transaction is refused.
--
-- A statement that touches more than 500 citizens (a bulk load, the end of a sync pass that
-- removes many records) takes one lock on the whole summary instead (the lock table holds a
-- few thousand locks in all); writers of a few citizens take a lock that conflicts with it
-- before theirs, so the two kinds take turns too.
--
-- One write per citizen whose summary changed (an insert, an update, or a delete when no live
-- service is left), none for the others.
CREATE FUNCTION citizen_summary_refresh(p_cprs char(10)[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
-- Custom plans: PL/pgSQL would switch to a generic plan after five calls, in which
-- `cpr = ANY (p_cprs)` of unknown length is a scan of all of record (minutes for a sync).
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'record is written under READ COMMITTED only (the summary of migration 0020 is computed after its locks), not %',
            current_setting('transaction_isolation')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF cardinality(p_cprs) > 500 THEN
        LOCK TABLE citizen_summary IN SHARE ROW EXCLUSIVE MODE;
    ELSE
        LOCK TABLE citizen_summary IN ROW EXCLUSIVE MODE;
        PERFORM pg_advisory_xact_lock(20, k)
           FROM (SELECT DISTINCT hashtext(c) AS k FROM unnest(p_cprs) c) x ORDER BY k;
    END IF;
    WITH fresh AS (
        SELECT r.cpr,
               array_agg(DISTINCT r.area ORDER BY r.area) AS areas,
               array_agg(DISTINCT r.department ORDER BY r.department) AS departments,
               coalesce(array_agg(DISTINCT r.area ORDER BY r.area)
                        FILTER (WHERE r.status = 'open'), '{}') AS open_areas,
               coalesce(array_agg(DISTINCT r.department ORDER BY r.department)
                        FILTER (WHERE r.status = 'open'), '{}') AS open_departments
          FROM record r
         WHERE r.cpr = ANY (p_cprs) AND r.removed_at IS NULL AND r.kind <> 'document'
         GROUP BY r.cpr
    ), stored AS (
        INSERT INTO citizen_summary AS s (cpr, areas, departments, open_areas, open_departments)
        SELECT * FROM fresh ORDER BY cpr
        ON CONFLICT (cpr) DO UPDATE
           SET areas = EXCLUDED.areas, departments = EXCLUDED.departments,
               open_areas = EXCLUDED.open_areas, open_departments = EXCLUDED.open_departments
         WHERE (s.areas, s.departments, s.open_areas, s.open_departments)
               IS DISTINCT FROM (EXCLUDED.areas, EXCLUDED.departments, EXCLUDED.open_areas,
                                 EXCLUDED.open_departments)
        RETURNING 1
    )
    DELETE FROM citizen_summary s
     WHERE s.cpr = ANY (p_cprs) AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.cpr = s.cpr);
END
$$;
COMMENT ON FUNCTION citizen_summary_refresh(char(10)[]) IS 'Recomputes citizen_summary for these CPRs from record (a row for each with a live service, none for the others), after a transaction-scoped advisory lock per CPR (key 20, hashtext(cpr)), or a SHARE ROW EXCLUSIVE lock on the summary for more than 500, so that concurrent writers of one citizen take turns. READ COMMITTED only. Called by the triggers on record; runs as the owner (SECURITY DEFINER): the service''s role may read the summary but not write it.';
REVOKE ALL ON FUNCTION citizen_summary_refresh(char(10)[]) FROM PUBLIC;

-- The triggers: once per statement, with the rows it changed (transition tables), recomputing
-- only the citizens whose summary can have changed: rows that are or were live services, and
-- for an update only when a column the summary reads changed (a sync or a press rewrites
-- titles, dates and caseworkers far more often than areas).
CREATE FUNCTION record_summary_trigger() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_cprs char(10)[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.cpr) INTO v_cprs
          FROM summary_new n WHERE n.removed_at IS NULL AND n.kind <> 'document';
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.cpr) INTO v_cprs
          FROM summary_old o WHERE o.removed_at IS NULL AND o.kind <> 'document';
    ELSE
        SELECT array_agg(DISTINCT x.cpr) INTO v_cprs
          FROM summary_old o JOIN summary_new n ON n.id = o.id
         CROSS JOIN LATERAL (VALUES (o.cpr), (n.cpr)) x (cpr)
         WHERE ((o.removed_at IS NULL AND o.kind <> 'document')
                OR (n.removed_at IS NULL AND n.kind <> 'document'))
           AND (o.cpr, o.area, o.department, o.kind, o.status, o.removed_at IS NULL)
               IS DISTINCT FROM (n.cpr, n.area, n.department, n.kind, n.status,
                                 n.removed_at IS NULL);
    END IF;
    IF v_cprs IS NOT NULL THEN
        PERFORM citizen_summary_refresh(v_cprs);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION record_summary_trigger() IS 'After each statement on record: recomputes citizen_summary for the citizens whose live services it inserted, deleted, or changed in a column the summary reads (cpr, area, department, kind, status, removed or not).';
REVOKE ALL ON FUNCTION record_summary_trigger() FROM PUBLIC;

CREATE TRIGGER record_summary_insert AFTER INSERT ON record
    REFERENCING NEW TABLE AS summary_new
    FOR EACH STATEMENT EXECUTE FUNCTION record_summary_trigger();
CREATE TRIGGER record_summary_update AFTER UPDATE ON record
    REFERENCING OLD TABLE AS summary_old NEW TABLE AS summary_new
    FOR EACH STATEMENT EXECUTE FUNCTION record_summary_trigger();
CREATE TRIGGER record_summary_delete AFTER DELETE ON record
    REFERENCING OLD TABLE AS summary_old
    FOR EACH STATEMENT EXECUTE FUNCTION record_summary_trigger();

-- TRUNCATE fires no row or statement DELETE trigger: it empties the summary with it.
CREATE FUNCTION record_summary_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    TRUNCATE citizen_summary;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION record_summary_truncate() FROM PUBLIC;
CREATE TRIGGER record_summary_truncate AFTER TRUNCATE ON record
    FOR EACH STATEMENT EXECUTE FUNCTION record_summary_truncate();

-- ---------------------------------------------------------------------------------------------
-- Privileges. 0014's default privileges gave glasplade_service every privilege on this new
-- table; it reads the summary (the search) and writes it only through the triggers, which run
-- as the owner.
GRANT SELECT ON citizen_summary TO glasplade_service;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON citizen_summary FROM glasplade_service;

-- ---------------------------------------------------------------------------------------------
-- Backfill.
INSERT INTO citizen_summary (cpr, areas, departments, open_areas, open_departments)
SELECT r.cpr,
       array_agg(DISTINCT r.area ORDER BY r.area),
       array_agg(DISTINCT r.department ORDER BY r.department),
       coalesce(array_agg(DISTINCT r.area ORDER BY r.area) FILTER (WHERE r.status = 'open'), '{}'),
       coalesce(array_agg(DISTINCT r.department ORDER BY r.department)
                FILTER (WHERE r.status = 'open'), '{}')
  FROM record r
 WHERE r.removed_at IS NULL AND r.kind <> 'document'
 GROUP BY r.cpr;
