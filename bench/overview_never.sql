-- pgbench script for bench/overview.sh: the SQL the server sends for ONE
-- GET /v1/citizens/{cpr}/overview?refresh=never, statement for statement, in order.
-- One pgbench "transaction" (one run of this script) = one overview request's SQL.
--
-- bench/overview.sh checks this file against the server in every run: a second server logs
-- the statements of one refresh=never overview (log_statement=all), and the sequence below
-- (BEGIN / COMMIT / EXECUTE name) and every PREPAREd text must match it exactly, or the
-- benchmark stops. As of this file's last commit the server sends:
--   client_by_token      lib/clients.c gp_client_authenticate, alone (gp_db_with_conn)
--   sources_load         lib/sources.c gp_sources_load, alone (gp_db_with_conn)
--   sharing_load         lib/sharing.c: consents, blocks, overrides in force (gp_db_with_conn)
--   BEGIN                api/lookup.c finish_lookup: tx "lookup" (gp_db_tx) =
--   index_read_fetches     lib/index.c gp_index_read_fetches_item  } BEGIN and both reads in
--   index_read_all         lib/index.c gp_index_read_all_item      } one pipeline (gp_db_exec_batch)
--   audit_append           lib/audit.c gp_audit_append, sent in one pipeline with COMMIT
--   COMMIT                 (gp_db_exec_at_commit)
-- pgbench sends every statement in its own round trip (pipelines need its extended or prepared
-- mode, which this script cannot use, below): it pays three round trips the server does not.
-- (refresh=never: no "lookup_freshness" read, no fan-out, no "lookup_store" transaction.)
--
-- Run it with -M simple and -D prepared=0 -D tokhash="'\x<sha256 of the token>'"
-- -D client=<api_client id> -D ncpr=N. Why not -M prepared: pgbench's prepared mode turns
-- every ":name" into a parameter, also inside string literals, so the server's
-- 'YYYY-MM-DD"T"HH24:MI:SS"Z"' cannot be sent as it is. Instead each client PREPAREs the
-- server's statements once, under the server's names and with its exact texts (the server:
-- PQprepare once per connection, parameter types inferred), then EXECUTEs them, so PostgreSQL
-- runs the same cached plans. BEGIN and COMMIT are simple queries, as the server sends them.
-- What differs: EXECUTE name(literals) is a small Query message PostgreSQL parses, where the
-- server sends Bind/Execute (pgbench pays a little more); the audit row's values are those of
-- a typical server row (visibility, request id are constants here); and the CPR is drawn at
-- random from the set the wrk runs rotate through (table bench_cpr(i, cpr), filled by
-- bench/overview.sh) by one statement the server does not send.
\if :prepared = 0
PREPARE client_by_token AS SELECT id, role::text, name, coalesce(department, ''), coalesce(default_purpose, ''), to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') FROM api_client WHERE token_hash = $1::bytea AND revoked_at IS NULL;
PREPARE sources_load AS SELECT s.id, s.kind, s.department, d.area, s.base_url, s.timeout_ms, s.enabled FROM source s JOIN department d ON d.id = s.department ORDER BY s.id;
PREPARE sharing_load AS SELECT 'consent', id, purpose, array_to_json(areas)::text,  array_to_json(departments)::text, coalesce(to_char(valid_from, 'YYYY-MM-DD'), ''), coalesce(to_char(valid_until, 'YYYY-MM-DD'), ''), '', '' FROM consent WHERE cpr = $1 AND withdrawn_at IS NULL AND valid_from <= current_date  AND (valid_until IS NULL OR valid_until >= current_date) UNION ALL SELECT 'block', id, scope_kind, scope_value, '', coalesce(to_char(valid_from, 'YYYY-MM-DD'), ''), coalesce(to_char(valid_until, 'YYYY-MM-DD'), ''), '', '' FROM citizen_block WHERE cpr = $1 AND withdrawn_at IS NULL  AND valid_from <= current_date AND (valid_until IS NULL OR valid_until >= current_date) UNION ALL SELECT 'override', id, reason_code, '', '', '', '', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM break_glass WHERE cpr = $1 AND client_id = $2::bigint AND created_at <= now()  AND expires_at > now() UNION ALL SELECT 'clock', 0, '', '', '', coalesce(to_char(current_date, 'YYYY-MM-DD'), ''), '', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '';
PREPARE index_read_fetches AS SELECT source_id, to_char(fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), status, coalesce(error, ''), coalesce(latency_ms, 0), coalesce(to_char(last_ok_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ''), coalesce(extract(epoch FROM now() - last_ok_at), -1), coalesce(encode(answer_digest, 'hex'), ''), coalesce(extract(epoch FROM now() - answer_digest_at), -1) FROM source_fetch WHERE cpr = $1 ORDER BY source_id;
PREPARE index_read_all AS SELECT r.id, r.source_id, r.department, r.area, r.case_type, ct.label_da, ct.label_en, ct.cross_department, r.sensitivity, coalesce(r.legal_basis, ''), to_char(r.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), r.cpr, r.source_ref, coalesce(r.parent_ref, ''), coalesce(r.source_code, ''), coalesce(r.legal_basis_raw, ''), r.data_type, r.kind, coalesce(r.title, ''), r.status, coalesce(r.start_date::text, ''), coalesce(r.end_date::text, ''), coalesce(r.document_date::text, ''), coalesce(r.unit, ''), coalesce(r.caseworker_name, ''), coalesce(r.caseworker_contact, ''), coalesce(to_char(r.source_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '') FROM record r JOIN case_type ct ON ct.code = r.case_type WHERE r.cpr = $1 AND r.removed_at IS NULL ORDER BY coalesce(r.start_date, r.document_date), r.id;
PREPARE audit_append AS INSERT INTO audit_log (client_id, client_name, role, department, purpose, legal_basis,  cpr, action, route, sources_asked, sources_answered, visibility, override_used,  request_id, details) VALUES (nullif($1::bigint, 0), $2, $3, nullif($4, ''), nullif($5, ''),  nullif($6, ''), nullif($7, ''), $8, $9,  ARRAY(SELECT x FROM jsonb_array_elements_text($10::jsonb) WITH ORDINALITY t(x, n)   ORDER BY n),  ARRAY(SELECT x FROM jsonb_array_elements_text($11::jsonb) WITH ORDINALITY t(x, n)   ORDER BY n),  nullif($12, ''), $13::boolean, nullif($14, ''), nullif($15, '')::jsonb) RETURNING id;
\set prepared 1
\endif
\set i random(1, :ncpr)
SELECT cpr FROM bench_cpr WHERE i = :i \gset
EXECUTE client_by_token(:tokhash);
EXECUTE sources_load;
EXECUTE sharing_load(':cpr', :client);
BEGIN;
EXECUTE index_read_fetches(':cpr');
EXECUTE index_read_all(':cpr');
EXECUTE audit_append(':client', 'bench', 'caseworker', 'job_centre', '', '', ':cpr', 'read', 'GET /v1/citizens/{cpr}/overview', '[]', '[]', 'summary,existence', 'f', 'pgbench-:client_id-:i', '');
COMMIT;
