-- 0016: lawful sharing, second pass (DESIGN "Who sees what": the rules have owners, purposes
-- belong to roles, the citizen is a caller too).
--
--  - api_client: who created and who approved a client (four eyes for clients made over the
--    API), when its token expires, and the CPR a citizen's token is bound to.
--  - role_purpose: which role may claim which purpose on which route, as data.
--  - consent, citizen_block, break_glass: a random public id for URLs (the bigint ids are
--    sequential, so guessable); a consent's note (required for oral consent), the evidence an
--    oral or written consent needs, and whether a consent benefits the department that recorded
--    it; which departments a block protects.
--  - audit_log: client changes are audited (action 'client').
--  - record: a flag for what the citizen is not shown of their own data.

-- ---------------------------------------------------------------------------------------------
-- API clients.

ALTER TABLE api_client
    ADD COLUMN cpr          char(10) CHECK (cpr ~ '^[0-9]{10}$'),
    ADD COLUMN created_by   bigint REFERENCES api_client (id),
    ADD COLUMN approved_by  bigint REFERENCES api_client (id),
    ADD COLUMN approved_at  timestamptz,
    ADD COLUMN expires_at   timestamptz,
    ADD CONSTRAINT api_client_citizen_cpr CHECK ((role = 'citizen') = (cpr IS NOT NULL)),
    ADD CONSTRAINT api_client_four_eyes
        CHECK (approved_by IS NULL OR created_by IS NULL OR approved_by <> created_by),
    ADD CONSTRAINT api_client_approved_by
        CHECK (created_by IS NULL OR approved_at IS NULL OR approved_by IS NOT NULL);
-- Clients made before this migration were made on the command line or by one admin: they keep
-- working, and expire like every token, 90 days from now.
UPDATE api_client SET approved_at = created_at, expires_at = now() + interval '90 days';
-- A client inserted with database access (glasplade token create, or SQL) works at once and
-- for the default 90 days; the server states both whenever it creates one.
ALTER TABLE api_client ALTER COLUMN expires_at SET NOT NULL,
    ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days',
    ALTER COLUMN approved_at SET DEFAULT now();
CREATE INDEX api_client_cpr ON api_client (cpr) WHERE cpr IS NOT NULL;
COMMENT ON COLUMN api_client.cpr IS 'The one citizen a citizen''s token may read and act for (role citizen only, required there).';
COMMENT ON COLUMN api_client.created_by IS 'The admin client that created this client over the API; NULL when it was made with `glasplade token create` (database access).';
COMMENT ON COLUMN api_client.approved_by IS 'The second admin who approved a client created over the API (four eyes: never its creator, CHECK api_client_four_eyes); NULL for clients made on the command line.';
COMMENT ON COLUMN api_client.approved_at IS 'When the token started to work: at creation on the command line, at approval over the API. NULL: pending, the token is refused.';
COMMENT ON COLUMN api_client.expires_at IS 'The token is refused from this instant on (GLASPLADE_TOKEN_TTL_DAYS from creation unless given).';

-- ---------------------------------------------------------------------------------------------
-- Purposes belong to roles.

CREATE TABLE role_purpose (
    role     client_role NOT NULL,
    purpose  text NOT NULL CHECK (purpose IN ('rehabilitation', 'coordinated_effort',
                                              'target_group_identification', 'own_case')),
    route    text NOT NULL CHECK (route ~ '^(GET|POST) /v1/'),
    PRIMARY KEY (role, route, purpose)
);
COMMENT ON TABLE role_purpose IS 'Which purpose a role may claim on which route ("METHOD /pattern", as api/routes.c names it). A caller states a purpose (X-Purpose, ?purpose= or its token''s default) only from its role''s rows for the route: another known purpose is refused 403 naming purpose. Where a role has rows for a route a purpose is required; where it has none (auditors, citizens) it states none. Read at authentication, with the token, on every request: a change here applies to the next request, on every instance.';

INSERT INTO role_purpose (role, purpose, route)
SELECT r.role::client_role, p.purpose, rt.route
FROM (VALUES ('caseworker'), ('coordinator')) r (role),
     (VALUES ('rehabilitation'), ('coordinated_effort'), ('own_case')) p (purpose),
     (VALUES ('GET /v1/citizens/{cpr}'),
             ('GET /v1/citizens/{cpr}/overview'),
             ('GET /v1/citizens/{cpr}/cases'),
             ('GET /v1/citizens/{cpr}/timeline'),
             ('GET /v1/citizens/{cpr}/recommendations'),
             ('POST /v1/citizens/{cpr}/consents'),
             ('GET /v1/citizens/{cpr}/consents'),
             ('GET /v1/consents/{id}'),
             ('POST /v1/consents/{id}/withdraw'),
             ('POST /v1/citizens/{cpr}/blocks'),
             ('GET /v1/citizens/{cpr}/blocks'),
             ('GET /v1/blocks/{id}'),
             ('POST /v1/blocks/{id}/withdraw'),
             ('GET /v1/citizens/{cpr}/overrides'),
             ('GET /v1/citizens/{cpr}/access-log')) rt (route)
UNION ALL
SELECT 'coordinator', p.purpose, 'POST /v1/citizens/{cpr}/overrides'
FROM (VALUES ('rehabilitation'), ('coordinated_effort'), ('own_case')) p (purpose)
UNION ALL
-- Target-group identification belongs to the analysts' CPR list, and to nothing else.
SELECT 'analyst', 'target_group_identification', 'POST /v1/target-group/searches';

-- ---------------------------------------------------------------------------------------------
-- Public ids. gen_random_uuid() is version 4: 122 random bits. Not unique by constraint (a
-- unique index without the CPR could not be distributed by CPR); a collision is as likely as
-- guessing one.

ALTER TABLE consent ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE citizen_block ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE break_glass ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE INDEX consent_public_id ON consent (public_id);
CREATE INDEX citizen_block_public_id ON citizen_block (public_id);
CREATE INDEX break_glass_public_id ON break_glass (public_id);
COMMENT ON COLUMN consent.public_id IS 'The id in URLs and answers (/v1/consents/{public_id}): random, so one consent''s id tells nothing of another''s. id stays the internal key of consent_event.';
COMMENT ON COLUMN citizen_block.public_id IS 'The id in URLs and answers (/v1/blocks/{public_id}): random, not guessable.';
COMMENT ON COLUMN break_glass.public_id IS 'The id in answers: random, not guessable.';

-- ---------------------------------------------------------------------------------------------
-- Consent that benefits the recorder is made evident.

ALTER TABLE consent ADD COLUMN note text;
COMMENT ON COLUMN consent.note IS 'How and when an oral consent was given, in the recorder''s words (required for form oral, from migration 0016 on).';

CREATE FUNCTION consent_evidence_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.form = 'oral' AND coalesce(btrim(NEW.note), '') = '' THEN
        RAISE EXCEPTION 'an oral consent needs a note' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.form = 'written' AND coalesce(btrim(NEW.evidence_ref), '') = '' THEN
        RAISE EXCEPTION 'a written consent needs evidence_ref' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION consent_evidence_check() IS 'Insert trigger of consent: an oral consent has a note, a written one says where the signed form is (evidence_ref). Not a CHECK: consents recorded before migration 0016 lack them and must stay withdrawable. How long an oral consent may last is configuration (GLASPLADE_ORAL_CONSENT_MAX_DAYS), checked by the server.';
CREATE TRIGGER consent_evidence BEFORE INSERT ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_evidence_check();

CREATE FUNCTION consent_recorder_benefits(p_areas text[], p_departments text[],
                                          p_recorded_by bigint) RETURNS boolean
    LANGUAGE sql STABLE
RETURN EXISTS (
    SELECT 1 FROM api_client a
    JOIN department d ON d.area = ANY (p_areas)
                     AND (cardinality(p_departments) = 0 OR d.id = ANY (p_departments))
    WHERE a.id = p_recorded_by AND a.department IS NOT NULL AND d.id <> a.department);
COMMENT ON FUNCTION consent_recorder_benefits(text[], text[], bigint) IS 'Whether a consent opens data of another department than the recorder''s own to the recorder: a consent names the data it shares (areas, departments) and a purpose, not who receives it, so a department that records one for a purpose it works under is among those it opens the data to. Such a consent is flagged (recorder_benefits) in its answer, its audit row and the citizen''s access log, for the data-protection officer to review. A consent the citizen recorded themselves, or one covering only the recorder''s own department, is not.';

-- ---------------------------------------------------------------------------------------------
-- What a block protects, for who may lift it.

CREATE FUNCTION block_protected_departments(p_kind text, p_value text) RETURNS text[]
    LANGUAGE sql STABLE
RETURN ARRAY(
    SELECT d.id FROM department d
    WHERE CASE p_kind
              WHEN 'area' THEN d.area = p_value
              WHEN 'department' THEN d.id = p_value
              WHEN 'case_type' THEN d.area = (SELECT c.area FROM case_type c WHERE c.code = p_value)
              ELSE false
          END
    ORDER BY d.id);
COMMENT ON FUNCTION block_protected_departments(text, text) IS 'The departments whose data a block covers (its area''s, its department, its case type''s area''s): the block does not restrain them. Every other department is restrained by it, and a coordinator of a restrained department may not lift it.';

-- ---------------------------------------------------------------------------------------------
-- Client changes are audited.

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('read', 'consent', 'block', 'override', 'search', 'client'));
COMMENT ON COLUMN audit_log.action IS 'read, consent, block, override, search, or client (an API client created, approved or revoked; details name the client, the row''s client the actor, client_id NULL and role operator for the command line). A client row for a citizen''s token carries that citizen''s CPR, so it shows in their access log.';

-- ---------------------------------------------------------------------------------------------
-- What the citizen is not shown of their own data.

ALTER TABLE record ADD COLUMN withheld_from_citizen boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN record.withheld_from_citizen IS 'The source marked this record as not to be shown to the citizen it is about (e.g. a note whose disclosure the department has decided to restrict, Forvaltningsloven § 15 / Sundhedsloven § 40-like). A citizen''s own view leaves it out entirely; every other caller is judged as before. Not set by the adapters yet: a source that can mark it needs its mapping.';
