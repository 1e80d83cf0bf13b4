-- 0018: identity (issue 17). People sign in at the municipality's identity provider and call
-- with its JWT access tokens; integrations keep their opaque keys, now with scopes and a
-- last-used time.
--
--  - api_client gets a kind: 'key' (an opaque bearer token, as before) or 'person' (someone who
--    signed in at the identity provider, one row per issuer and subject, written by the server
--    on first sight and kept up to date with what their tokens say). Consents, blocks and
--    overrides keep pointing at api_client, so a person is their author as a key is, and an
--    override granted to a person is theirs alone. A person has no token hash: their tokens
--    are the provider's, checked on every request and never stored.
--  - Keys may be limited to some routes (scopes) and show when they were last used.
--  - audit_log names the person (subject) and the client application (client_app: azp or
--    client_id) the token was issued to, beside client_name, which for a person is their name.

ALTER TABLE api_client
    ALTER COLUMN token_hash DROP NOT NULL,
    ADD COLUMN kind text NOT NULL DEFAULT 'key' CHECK (kind IN ('key', 'person')),
    ADD COLUMN issuer text CHECK (length(issuer) BETWEEN 1 AND 1000),
    ADD COLUMN subject text CHECK (length(subject) BETWEEN 1 AND 255),
    ADD COLUMN client_app text CHECK (length(client_app) BETWEEN 1 AND 128),
    ADD COLUMN scopes text[] CHECK (cardinality(scopes) BETWEEN 1 AND 32),
    ADD COLUMN last_used_at timestamptz,
    ADD CONSTRAINT api_client_key_token CHECK ((kind = 'key') = (token_hash IS NOT NULL)),
    ADD CONSTRAINT api_client_person_subject
        CHECK ((kind = 'person') = (issuer IS NOT NULL AND subject IS NOT NULL)),
    ADD CONSTRAINT api_client_person_no_scopes CHECK (kind = 'key' OR scopes IS NULL),
    -- Persons are written by the server from a verified token: no second admin approves them.
    ADD CONSTRAINT api_client_person_no_creator
        CHECK (kind = 'key' OR (created_by IS NULL AND approved_by IS NULL));
CREATE UNIQUE INDEX api_client_person ON api_client (issuer, subject) WHERE kind = 'person';
COMMENT ON COLUMN api_client.kind IS 'key: an opaque bearer token (token_hash), made with `glasplade token create` or POST /v1/clients. person: someone who signed in at the identity provider (issuer, subject), written by the server when their token is first seen and updated when what it says changes (role, department, name, ...). Revoking a person refuses their tokens here, whatever the provider says.';
COMMENT ON COLUMN api_client.issuer IS 'A person''s identity provider (the token''s iss).';
COMMENT ON COLUMN api_client.subject IS 'A person''s subject at that provider (the token''s sub): with the issuer, who they are.';
COMMENT ON COLUMN api_client.client_app IS 'A person''s client application of their last token (azp, else client_id), e.g. the web page.';
COMMENT ON COLUMN api_client.scopes IS 'A key''s routes: patterns "METHOD /path" matched against the routing table''s entries (fnmatch(3): * matches anything, "GET /v1/citizens/*" every GET under /v1/citizens). NULL: every route its role may use. Scopes narrow a role, never widen it.';
COMMENT ON COLUMN api_client.last_used_at IS 'When a request last authenticated as this client, to the minute (it is written at most once a minute per client).';
COMMENT ON COLUMN api_client.expires_at IS 'The token is refused from this instant on (GLASPLADE_TOKEN_TTL_DAYS from creation unless given). For a person, when their last token expires (informational: every token carries its own expiry and is checked against it).';

ALTER TABLE audit_log
    ADD COLUMN subject text,
    ADD COLUMN client_app text;
-- The service's role inserts audit rows column by column (migration 0014).
GRANT INSERT (subject, client_app) ON audit_log TO glasplade_service;
COMMENT ON COLUMN audit_log.subject IS 'The person who acted, as their identity provider names them (the token''s sub), when they signed in there; NULL for an integration key. client_name is then their display name.';
COMMENT ON COLUMN audit_log.client_app IS 'The client application the person''s token was issued to (azp, else client_id); NULL for an integration key.';

-- The hash covers the new columns. A row that has neither (every row written before this
-- migration, and every key's row) hashes exactly as before, so the chain sealed so far stays
-- valid as it is. audit_seal() and audit_verify() (migration 0014) both hash through this
-- function; it names the same columns as before (no hashes, no txid) plus the new two.
CREATE OR REPLACE FUNCTION audit_canonical(a audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT (jsonb_build_array(
        a.id,
        to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        a.client_id, a.client_name, a.role, a.department, a.purpose, a.legal_basis, a.cpr,
        a.action, a.route, a.sources_asked, a.sources_answered, a.visibility, a.override_used,
        a.request_id, a.details)
        || CASE WHEN a.subject IS NULL AND a.client_app IS NULL THEN '[]'::jsonb
                ELSE jsonb_build_array(a.subject, a.client_app) END)::text
$$;
COMMENT ON FUNCTION audit_canonical(audit_log) IS 'The canonical text of an audit row that its hash covers: a JSON array of every field but the hashes, in column order, and (migration 0018) the subject and client application when the row has either. JSON quoting makes it unambiguous (no field can imitate a separator; NULL is null, distinct from ""), arrays stay arrays, details is jsonb so its text form is normalised, and the timestamp is written in UTC to the microsecond, independent of the session''s TimeZone and DateStyle.';
