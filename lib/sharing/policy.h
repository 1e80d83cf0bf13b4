/* Who sees what: the visibility of one record for one caller. A pure function over plain
 * structs (no I/O, no allocation, thread-safe), tested exhaustively as a table
 * (tests/unit/test_policy.c). Every read of personal data passes each record through
 * gp_policy_evaluate (or gp_policy_decide) before anything of it is put in an answer.
 *
 * Levels, from most to least: full; summary (area, case type, status, dates, contact — no
 * titles, no documents); existence (area only); hidden (nothing, not even a count).
 *
 * The rules, in the order they are applied (the first that matches decides):
 *
 *  0. The citizen. A caller with the citizen role reads their own data (the routes let a
 *     citizen's token reach its own CPR only): full, for every record of every department —
 *     blocks restrain departments, not the citizen; excluded case types are excluded from
 *     other departments, not from the person they are about — except a record its source
 *     marked as withheld from the citizen (withheld_from_citizen): hidden. No consent, block or
 *     override plays a part, and no override is ever "used".
 *  1. Role. Only caseworkers and coordinators read case data. Every other role (analyst,
 *     auditor, admin, none) gets hidden for every record — whatever the consent, and even
 *     with a break-glass override: an override lifts a citizen's choices, not the role's
 *     permissions. (Analysts work on the CPR list, auditors on the audit log.)
 *  2. Own department. A caller whose department is the record's gets full, for any purpose.
 *     Consents, blocks and overrides play no part: a citizen's block restricts sharing with
 *     other departments, it does not take the citizen's own caseworker off their own case,
 *     whose data sits in that department's own system anyway. A caller with no department
 *     ("" or NULL) is outside every department, even for a record with none.
 *  3. Excluded case types (cross_department = false: boligsikring, friplads, tandpleje, ...)
 *     are hidden outside their department, always: neither a consent, nor a purpose, nor a
 *     break-glass override shows them, not even their existence (DESIGN.md "hidden across
 *     departments, always"; migration 0002 "whatever the consent"). They are outside what the
 *     glass plate shares at all (domain seed 002), not a citizen's choice to be overridden.
 *  4. Break-glass. A caller with an override in force gets full, and the decision says that
 *     the override was what granted it (override_used), so the audit row can say "override
 *     used". It is only "used" where it changed the outcome: where rules 5-8 would give full
 *     anyway (a covering consent and no block), the decision is full by consent and
 *     override_used stays false. An override lifts blocks and missing consent for every
 *     purpose, including none. The caller passes its own overrides on this citizen only.
 *  5. Block (negative consent, as sundhed.dk's MinSpærring). A block in force whose scope
 *     covers the record — its area, its department or its case type — hides it: hidden, not
 *     existence. Blocks win over consent and over the target-group summary. A block's scope
 *     is always the data (records of that area / department / case type), never the caller:
 *     a block naming the caller's own department does not stop that department seeing other
 *     departments' records.
 *  6. Consent. A consent in force whose purpose is the caller's stated purpose, whose areas
 *     include the record's area and — if it names departments — whose departments include the
 *     record's department, gives full. Without a stated purpose no consent applies.
 *  7. Target-group identification may see a summary of *ongoing* services (legal basis and
 *     name, caseworker contact) without consent: summary for status "open", and existence for
 *     closed or planned ones (domain seed 002: no past services, nothing not yet granted).
 *     Which role may claim that purpose where is data (role_purpose, migration 0016): only
 *     analysts, on the CPR list; a per-citizen route refuses it before the policy is asked.
 *  8. Otherwise, outside the own department: existence.
 *
 * The case type's sensitivity is not an input: domain seed 002 lets target-group
 * identification see even child-protection measures, so what may be shared is governed by
 * the excluded types, consent and blocks alone.
 *
 * In force, judged on ctx->today ("YYYY-MM-DD", both ends of every period inclusive, as
 * gp_consents_active) and ctx->now (ISO 8601 UTC, as gp_override_active):
 *  - a consent: not withdrawn, valid_from <= today, valid_until empty or >= today. A consent
 *    without a well-formed valid_from, with a malformed valid_until, or judged with no or a
 *    malformed today is NOT in force (fail closed: no consent, no sharing).
 *  - a block: not withdrawn and, where its bounds and today are well-formed dates, within
 *    them. A missing or malformed bound, or no/malformed today, counts as unbounded (fail
 *    closed: the block applies). A block of an unknown kind, or with no value, covers every
 *    record (fail closed: we cannot tell what the citizen meant to block, so all of it is).
 *  - an override: created_at <= now < expires_at. A missing or malformed timestamp, or no or a
 *    malformed now, means not in force. Timestamps are "YYYY-MM-DD[T ]HH:MM:SS[.fraction]"
 *    followed by "Z", "+00" or "+00:00" (lib/consent writes "YYYY-MM-DDTHH:MM:SS.ffffffZ");
 *    they are compared as instants, not as strings, so precisions may differ.
 *
 * A withdrawal takes effect at once and for every date: the caller builds the context per
 * request from what the database says now (caches keyed by the consent revision). */
#ifndef GP_POLICY_H
#define GP_POLICY_H

#include "lib/core/role.h"

#include <stdbool.h>
#include <stddef.h>

enum gp_visibility {
    GP_VIS_HIDDEN = 0,
    GP_VIS_EXISTENCE = 1,
    GP_VIS_SUMMARY = 2,
    GP_VIS_FULL = 3,
};

/* "hidden", "existence", "summary", "full". */
const char *gp_visibility_name(enum gp_visibility v);

/* Who asks, and why. Initialised positionally by existing callers: do not add fields here
 * (-Wmissing-field-initializers is an error under -Wextra -Werror); the citizen's state goes
 * in struct gp_policy_context. */
struct gp_policy_caller {
    enum gp_role role;
    const char *department; /* "" or NULL when the role has none */
    const char *purpose;    /* a gp_purpose code, or NULL */
};

/* One record, as the index holds it. Initialised positionally too: every initialiser names
 * every field. */
struct gp_policy_record {
    const char *department;
    const char *area;
    const char *case_type;
    bool cross_department;      /* false: never shown outside its own department */
    const char *status;         /* open, closed, planned */
    bool withheld_from_citizen; /* its source keeps it from the citizen (rule 0) */
};

/* The same maxima as lib/consent (GP_CONSENT_MAX_AREAS/_DEPARTMENTS): lib/policy does not
 * include lib/consent.h, which pulls in the database layer. Only the first n (at most the
 * maximum) entries are read. */
#define GP_POLICY_MAX_AREAS       8
#define GP_POLICY_MAX_DEPARTMENTS 16

/* A citizen's consent (lib/consent's struct gp_consent, reduced to what the policy reads).
 * The strings are borrowed: they must outlive the call. */
struct gp_policy_consent {
    const char *purpose;
    const char *areas[GP_POLICY_MAX_AREAS];
    size_t n_areas; /* 0 covers nothing */
    const char *departments[GP_POLICY_MAX_DEPARTMENTS];
    size_t n_departments;    /* 0: every department of the areas */
    const char *valid_from;  /* "YYYY-MM-DD", required */
    const char *valid_until; /* "YYYY-MM-DD", or NULL/"" for open-ended */
    bool withdrawn;          /* withdrawn_at set: never in force again */
};

enum gp_policy_block_kind {
    GP_POLICY_BLOCK_UNKNOWN = 0, /* covers everything (fail closed) */
    GP_POLICY_BLOCK_AREA,
    GP_POLICY_BLOCK_DEPARTMENT,
    GP_POLICY_BLOCK_CASE_TYPE,
};

/* lib/consent's scope_kind ("area", "department", "case_type") as a block kind;
 * GP_POLICY_BLOCK_UNKNOWN for anything else. */
enum gp_policy_block_kind gp_policy_block_kind_parse(const char *scope_kind);

/* A citizen's block (lib/consent's struct gp_block, reduced). */
struct gp_policy_block {
    enum gp_policy_block_kind kind;
    const char *value;       /* the area code, department id or case-type code */
    const char *valid_from;  /* "YYYY-MM-DD", or NULL/"" for since always */
    const char *valid_until; /* "YYYY-MM-DD", or NULL/"" for open-ended */
    bool withdrawn;
};

/* A break-glass override of the calling client on this citizen (lib/consent's struct
 * gp_override, reduced). Only the caller's own overrides belong in the context. */
struct gp_policy_override {
    const char *created_at; /* ISO 8601 UTC */
    const char *expires_at; /* ISO 8601 UTC, exclusive */
};

/* The citizen's state the decision is made in, built once per request. A NULL context, or
 * zero counts, mean no consents, no blocks, no overrides. The arrays and strings are
 * borrowed. Pass every consent and block of the citizen or only those the database says are
 * active: the policy checks periods and withdrawal itself either way. */
struct gp_policy_context {
    const struct gp_policy_consent *consents;
    size_t n_consents;
    const struct gp_policy_block *blocks;
    size_t n_blocks;
    const struct gp_policy_override *overrides;
    size_t n_overrides;
    const char *today; /* "YYYY-MM-DD": the date consents and blocks are judged on */
    const char *now;   /* ISO 8601 UTC: the instant overrides are judged on */
};

/* Which rule decided (the numbered rules above). */
enum gp_policy_reason {
    GP_POLICY_BY_ROLE = 1,       /* 1: the role reads no case data: hidden */
    GP_POLICY_BY_OWN_DEPARTMENT, /* 2: full */
    GP_POLICY_BY_EXCLUDED_TYPE,  /* 3: hidden */
    GP_POLICY_BY_OVERRIDE,       /* 4: full, override_used */
    GP_POLICY_BY_BLOCK,          /* 5: hidden */
    GP_POLICY_BY_CONSENT,        /* 6: full */
    GP_POLICY_BY_TARGET_GROUP,   /* 7: summary */
    GP_POLICY_BY_NO_CONSENT,     /* 7 (closed/planned) and 8: existence */
    GP_POLICY_BY_CITIZEN,        /* 0: the citizen's own data: full */
    GP_POLICY_BY_WITHHELD,       /* 0: withheld from the citizen: hidden */
};

/* "role", "own_department", "excluded_type", "override", "block", "consent", "target_group",
 * "no_consent", "citizen", "withheld"; "unknown" for anything else. */
const char *gp_policy_reason_name(enum gp_policy_reason r);

struct gp_policy_decision {
    enum gp_visibility level;
    enum gp_policy_reason reason;
    bool override_used; /* the level was granted by a break-glass override: flag the audit row */
};

/* The decision for rec, for caller, in ctx (NULL: no consents, blocks or overrides). */
struct gp_policy_decision gp_policy_evaluate(const struct gp_policy_caller *caller,
                                             const struct gp_policy_context *ctx,
                                             const struct gp_policy_record *rec);

/* gp_policy_evaluate(caller, NULL, rec).level: the decision with no consents, blocks or
 * overrides. Kept for callers that do not load them yet. */
enum gp_visibility gp_policy_decide(const struct gp_policy_caller *caller,
                                    const struct gp_policy_record *rec);

/* ---- the projection: what a visibility shows of a record ------------------------------------
 *
 * The one place that decides what each visibility shows of each record kind; every read route
 * (overview, cases, timeline, recommendations, the audit row's visibility) goes through it, by
 * way of lib/federation/view.h. Record kinds: case, activity, document, encounter.
 *
 *  full       everything the index holds of the record, of every kind.
 *  summary    services only — a case or an activity: area, id, department, kind, case type and
 *             its labels, legal basis, status, start and end dates, caseworker and contact. No
 *             title, data type, unit, document date, source or references. A document, an
 *             encounter or a record of unknown kind at summary is shown as its existence: a
 *             summary never shows what was written or when a contact happened (the stricter of
 *             the readings the routes once had, see docs/data-protection.md).
 *  existence  the area alone ("there is something in the family area").
 *  hidden     nothing, not even a count. */
enum gp_policy_field {
    GP_SHOW_AREA = 1u << 0,
    GP_SHOW_SERVICE = 1u << 1, /* id, department, kind, case type, labels, legal basis, status,
                                  start and end dates */
    GP_SHOW_CONTACT = 1u << 2, /* caseworker name and contact */
    GP_SHOW_DETAIL = 1u << 3,  /* title, data type, unit, document date, the source's legal
                                  basis spelling */
    GP_SHOW_SOURCE = 1u << 4,  /* source id, source and parent references, source code, when
                                  fetched */
};

struct gp_projection {
    enum gp_visibility level; /* what the record is shown as: never above the decision */
    unsigned fields;          /* gp_policy_field bits */
};

/* The projection of a record of kind (NULL: unknown) decided at vis. Pure. */
struct gp_projection gp_policy_project(enum gp_visibility vis, const char *kind);

/* Whether a source (of source_department, in source_area) must not even be asked for caller:
 * a block in force on that department or on its whole area (or one of unknown kind or with no
 * value), for a caller outside that department (never the citizen), with no override in force. A
 * case-type block does not stop a source from being asked (it holds other types too; the policy
 * hides the blocked records). Whenever this is true, gp_policy_evaluate hides every record of that
 * department in that area for that caller. NULL ctx: false. */
bool gp_policy_source_blocked(const struct gp_policy_caller *caller,
                              const struct gp_policy_context *ctx, const char *source_department,
                              const char *source_area);

#endif
