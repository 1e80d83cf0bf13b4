-- 0010: the CPR list (POST /v1/target-group/searches, lib/target_group.c): the birth date
-- from a CPR number in SQL, so an age range is one more condition of the one set-based search,
-- and the indexes the search reads.

-- ---------------------------------------------------------------------------------------------
-- Birth date from the CPR number, as lib/cpr computes it (gp_cpr_parse, gp_cpr_birth_date):
-- DDMMYY, the century from the 7th digit by the CPR office's table (DESIGN.md). Written as
-- plain expressions (no sub-select, not STRICT) so the planner inlines them: the search
-- evaluates them once per citizen it considers. tests/integration/itest_target_group.c
-- compares them with lib/cpr on every CPR of the simulated population.

CREATE FUNCTION cpr_birth_year(p_cpr text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_cpr IS NULL OR p_cpr !~ '^[0-9]{10}$' THEN NULL
    ELSE substr(p_cpr, 5, 2)::integer
         + CASE
               WHEN substr(p_cpr, 7, 1) <= '3' THEN 1900
               WHEN substr(p_cpr, 7, 1) IN ('4', '9') THEN
                   CASE WHEN substr(p_cpr, 5, 2)::integer <= 36 THEN 2000 ELSE 1900 END
               ELSE
                   CASE WHEN substr(p_cpr, 5, 2)::integer <= 57 THEN 2000 ELSE 1800 END
           END
END;
COMMENT ON FUNCTION cpr_birth_year(text) IS 'The four-digit birth year of a CPR number: YY from digits 5-6, the century from the 7th digit (0-3: 19YY; 4 and 9: 20YY for YY 00-36, else 19YY; 5-8: 20YY for YY 00-57, else 18YY). NULL when the text is not ten ASCII digits. The same rule as gp_cpr_century_year in lib/cpr.c.';

-- Each arm runs only when the ones before it did not match, so make_date never sees a month
-- or day out of range (also when the planner folds a constant argument).
CREATE FUNCTION cpr_birth_date(p_cpr text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_cpr IS NULL OR p_cpr !~ '^[0-9]{10}$' THEN NULL
    WHEN substr(p_cpr, 3, 2)::integer NOT BETWEEN 1 AND 12 THEN NULL
    WHEN substr(p_cpr, 1, 2)::integer NOT BETWEEN 1 AND 31 THEN NULL
    WHEN substr(p_cpr, 1, 2)::integer
         > extract(day FROM make_date(cpr_birth_year(p_cpr), substr(p_cpr, 3, 2)::integer, 1)
                            + interval '1 month - 1 day') THEN NULL
    ELSE make_date(cpr_birth_year(p_cpr), substr(p_cpr, 3, 2)::integer,
                   substr(p_cpr, 1, 2)::integer)
END;
COMMENT ON FUNCTION cpr_birth_date(text) IS 'The birth date of a CPR number (DDMMYY and the century rule of cpr_birth_year), or NULL when the text is not ten digits or the date does not exist. Age on a day T is at least A exactly when cpr_birth_date <= T - A years (PostgreSQL moves 29 February to the 28th in a year without one, so someone born on 29 February turns a year older on 1 March, as gp_cpr_age_on counts).';

-- ---------------------------------------------------------------------------------------------
-- Indexes.
--
-- The search walks live services (cases, activities, encounters; a document is not a service
-- and is never shared without consent, domain seed 002) in CPR order, groups them per citizen,
-- keeps the citizens that meet the criteria and stops as soon as a page is full (keyset
-- pagination by CPR). These indexes give that order and every column the grouping reads, so
-- the walk is an index-only scan (no heap visit per record) that starts at the page's cursor;
-- their keys also let B-tree deduplication fold a citizen's records of the same type into one
-- entry. The default search counts ongoing services only and walks the smaller index of open
-- ones (about a quarter of the services); ongoing_only = false walks the other. The services of
-- the few citizens on a page are then read through either by CPR.
CREATE INDEX record_target_group_open_idx ON record (cpr, area, department, case_type)
    WHERE removed_at IS NULL AND kind <> 'document' AND status = 'open';
COMMENT ON INDEX record_target_group_open_idx IS 'The CPR list (lib/target_group.c), ongoing services only: live, open cases, activities and encounters in CPR order, with what the per-citizen grouping reads.';

CREATE INDEX record_target_group_idx ON record (cpr, area, department, case_type, status)
    WHERE removed_at IS NULL AND kind <> 'document';
COMMENT ON INDEX record_target_group_idx IS 'The CPR list (lib/target_group.c) with ongoing_only = false: live cases, activities and encounters of every status in CPR order, with what the per-citizen grouping reads.';

-- Blocks in force are looked up once per search (which citizens have any) and then per
-- record of those citizens only; withdrawn blocks, which accumulate, stay out of the way.
CREATE INDEX citizen_block_live_idx ON citizen_block (cpr) WHERE withdrawn_at IS NULL;
COMMENT ON INDEX citizen_block_live_idx IS 'Blocks not withdrawn, by citizen: the CPR list reads which citizens have one, then checks their records against them.';
