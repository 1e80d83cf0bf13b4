/* SQL that every writer of `record` shares — the CPR button's store (lib/index.c) and the bulk
 * sync's merge (lib/sync.c) — so that what "the index holds this record exactly" means, and
 * what an upsert writes, cannot drift apart between them. A column added to `record` is added
 * here once.
 *
 * The fragments expect a CTE `classified` of normalised, classified rows named k (source_id,
 * source_ref, parent_ref, unit, source_code, legal_basis_raw, data_type, kind, title, status
 * (text), status_note, start_date, end_date, document_date, caseworker_name,
 * caseworker_contact, source_updated, case_type, area, legal_basis, sensitivity). */
#ifndef GP_RECORD_SQL_H
#define GP_RECORD_SQL_H

/* clang-format off */

/* The body of a CTE `changed`: the classified rows with their source's department, except those
 * the index already holds exactly (live, every column equal) for the citizen whose CPR is the
 * SQL expression cpr. Those are not even offered to the upsert: ON CONFLICT would lock the
 * row, and a row lock is a write (and WAL) too. */
#define GP_RECORD_CHANGED(cpr)                                                                     \
    "  SELECT k.*, s.department FROM classified k JOIN source s ON s.id = k.source_id"             \
    "  WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.cpr = " cpr                                \
    "   AND r.source_id = k.source_id AND r.source_ref = k.source_ref"                             \
    "   AND r.removed_at IS NULL"                                                                  \
    "   AND (r.parent_ref, r.area, r.department, r.unit, r.case_type, r.source_code,"              \
    "    r.legal_basis, r.legal_basis_raw, r.data_type, r.kind, r.title, r.status, r.status_note," \
    "    r.start_date, r.end_date, r.document_date, r.caseworker_name, r.caseworker_contact,"      \
    "    r.sensitivity, r.source_updated)"                                                         \
    "   IS NOT DISTINCT FROM (k.parent_ref, k.area, s.department, k.unit, k.case_type,"            \
    "    k.source_code, k.legal_basis, k.legal_basis_raw, k.data_type, k.kind, k.title,"           \
    "    k.status::record_status, k.status_note, k.start_date, k.end_date, k.document_date,"       \
    "    k.caseworker_name, k.caseworker_contact, k.sensitivity, k.source_updated))"

/* The upsert of rows k (from `changed`, plus whatever the caller joins) for the citizen cpr,
 * received at fetched_at (both SQL expressions); the caller adds FROM and RETURNING. A record
 * that was removed and comes back is live again. */
#define GP_RECORD_UPSERT_INTO                                                                      \
    "  INSERT INTO record AS r (cpr, source_id, source_ref, parent_ref, area, department, unit,"   \
    "   case_type, source_code, legal_basis, legal_basis_raw, data_type, kind, title, status,"     \
    "   status_note, start_date, end_date, document_date, caseworker_name, caseworker_contact,"    \
    "   sensitivity, source_updated, fetched_at, removed_at)"
#define GP_RECORD_UPSERT_VALUES(cpr, fetched_at)                                                   \
    "  SELECT " cpr ", k.source_id, k.source_ref, k.parent_ref, k.area, k.department, k.unit,"     \
    "   k.case_type, k.source_code, k.legal_basis, k.legal_basis_raw, k.data_type, k.kind,"        \
    "   k.title, k.status, k.status_note, k.start_date, k.end_date, k.document_date,"              \
    "   k.caseworker_name,"                                                                        \
    "   k.caseworker_contact, k.sensitivity, k.source_updated, " fetched_at ", NULL"
#define GP_RECORD_UPSERT_ON_CONFLICT                                                               \
    "  ON CONFLICT (cpr, source_id, source_ref) DO UPDATE SET"                                     \
    "   parent_ref = EXCLUDED.parent_ref, area = EXCLUDED.area,"                                   \
    "   department = EXCLUDED.department, unit = EXCLUDED.unit,"                                   \
    "   case_type = EXCLUDED.case_type, source_code = EXCLUDED.source_code,"                       \
    "   legal_basis = EXCLUDED.legal_basis, legal_basis_raw = EXCLUDED.legal_basis_raw,"           \
    "   data_type = EXCLUDED.data_type, kind = EXCLUDED.kind, title = EXCLUDED.title,"             \
    "   status = EXCLUDED.status, status_note = EXCLUDED.status_note,"                             \
    "   start_date = EXCLUDED.start_date,"                                                         \
    "   end_date = EXCLUDED.end_date, document_date = EXCLUDED.document_date,"                     \
    "   caseworker_name = EXCLUDED.caseworker_name,"                                               \
    "   caseworker_contact = EXCLUDED.caseworker_contact, sensitivity = EXCLUDED.sensitivity,"     \
    "   source_updated = EXCLUDED.source_updated, fetched_at = EXCLUDED.fetched_at,"               \
    "   removed_at = NULL"

/* The codes of unclassified rows k (a CTE `classified`, ordered so that concurrent stores lock
 * in one order) into source_unmapped: a new one inserted, a known one's last_seen touched at
 * most hourly (and only then locked). The body of a CTE. */
#define GP_RECORD_UNMAPPED                                                                         \
    "  INSERT INTO source_unmapped AS u (source_id, source_code, legal_basis_raw)"                 \
    "  SELECT DISTINCT k.source_id, coalesce(k.source_code, ''), coalesce(k.legal_basis_raw, '')"  \
    "  FROM classified k WHERE k.case_type = 'unclassified'"                                       \
    "   AND NOT EXISTS (SELECT 1 FROM source_unmapped x WHERE x.source_id = k.source_id"           \
    "    AND x.source_code = coalesce(k.source_code, '')"                                          \
    "    AND x.legal_basis_raw = coalesce(k.legal_basis_raw, '')"                                  \
    "    AND x.last_seen >= now() - interval '1 hour')"                                            \
    "  ORDER BY 1, 2, 3"                                                                           \
    "  ON CONFLICT (source_id, source_code, legal_basis_raw) DO UPDATE SET last_seen = now()"      \
    "  WHERE u.last_seen < now() - interval '1 hour'"                                              \
    "  RETURNING 1"

/* clang-format on */

#endif
