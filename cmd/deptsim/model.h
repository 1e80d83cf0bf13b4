/* The simulators' internal model of one citizen as one department system knows them.
 *
 * The generator (population.c) fills a ds_record; the renderers (render_*.c) turn it into each
 * vendor's native JSON. The model is deliberately vendor-neutral and small: a case has a type
 * (an index into that system's catalogue), a neutral status, a period, a caseworker and items
 * (benefits, activities, documents, encounters, care plans). Everything vendor-specific —
 * codes, labels, status words, date formats, paragraph spellings — lives in the catalogue and
 * the renderers. */
#ifndef DS_MODEL_H
#define DS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ds_system {
    DS_JOBCENTRE = 0, /* KMD Momentum-like JSON */
    DS_SOCIAL,        /* EG Sensum-like JSON */
    DS_HEALTH,        /* KMD Nexus-like FHIR R4 */
    DS_REGION,        /* hospital EPJ-like FHIR R4 */
    DS_FAMILY,        /* DUBU-like JSON */
    DS_NSYSTEMS
};

/* "jobcentre", "social", "health", "region", "family". */
const char *ds_system_name(enum ds_system s);
/* The system with that name, or -1. */
int ds_system_from_name(const char *name);

enum ds_status {
    DS_OPEN = 0, /* ongoing on the as-of date */
    DS_CLOSED,   /* ended before the as-of date */
    DS_PLANNED,  /* starts after the as-of date */
};

enum ds_item_kind {
    DS_ITEM_BENEFIT = 0, /* Momentum ydelse */
    DS_ITEM_ACTIVITY,    /* Momentum aktivitet; Nexus CarePlan.activity */
    DS_ITEM_DOCUMENT,    /* any document or note */
    DS_ITEM_ENCOUNTER,   /* region Encounter */
    DS_ITEM_CAREPLAN,    /* Nexus CarePlan */
};

/* One entry of a vendor catalogue: a case type, benefit, activity, document or encounter type. */
struct ds_kind {
    const char *code;        /* native code (Momentum forloebstype, FHIR coding code, …) */
    const char *label;       /* native display text, Danish */
    const char *para[4];     /* spellings of the legal basis, [0] the usual one; NULL-terminated */
    const char *para_new[3]; /* family only: the Barnets Lov spellings after 1 January 2024 */
    unsigned weight;         /* relative frequency in generated data */
    unsigned flags;          /* DS_K_* */
    int min_days, max_days;  /* typical duration */
    int min_age, max_age;    /* the citizen's age range for this kind (0, 0 = any) */
};

#define DS_K_EXCLUDED 0x1u /* a benefit type never to be shared across departments */
#define DS_K_UNKNOWN  0x2u /* a code the shared taxonomy does not know */
#define DS_K_ONEDAY   0x4u /* a point in time (a conversation, a visit), not a period */
#define DS_K_PARENT   0x8u /* family: a case of the parent's own, not a child's */

struct ds_catalogue {
    const struct ds_kind *kinds;
    size_t n;
};

/* Catalogue of item kind k (or, for DS_NKINDS_CASE, the case types) of system s. An empty
 * catalogue (n == 0) means that system never has such items. */
#define DS_CAT_CASE 5
const struct ds_catalogue *ds_catalogue(enum ds_system s, int kind_or_case);

struct ds_worker {
    char name[48];
    char first[24];
    char last[24];
    char phone_digits[9]; /* eight digits, formatted by each renderer its own way */
    char email[96];
    const char *unit;
};

struct ds_item {
    enum ds_item_kind kind;
    int type;              /* index into ds_catalogue(sys, kind) */
    enum ds_status status; /* relative to the as-of date */
    int start, end;        /* day numbers; end DS_NO_DATE when open; documents: start = date */
    int secs;              /* local time of day (documents, encounters) */
    uint64_t id;           /* stable identifier seed */
    int variant;           /* vendor nuance: which status word, provider, … */
};

struct ds_case {
    int type; /* index into ds_catalogue(sys, DS_CAT_CASE) */
    enum ds_status status;
    int variant;        /* vendor nuance: which status word */
    int para_variant;   /* which spelling of the legal basis */
    bool new_paragraph; /* family: written with Barnets Lov, not Serviceloven */
    int start, end;     /* day numbers; end DS_NO_DATE when open-ended */
    int modified_day, modified_secs;
    uint64_t id;
    uint32_t worker; /* caseworker number in the system's pool */
    int child;       /* family: index into ds_record.children, -1 for the parent's own */
    struct ds_item *items;
    size_t nitems, cap;
};

#define DS_MAX_CHILDREN 4

struct ds_child {
    char cpr[11];
    char name[64];
    int birth;
};

/* One citizen in one system: exactly what that system's lookup returns. */
struct ds_record {
    enum ds_system sys;
    uint64_t pos; /* population position (demo citizens first) */
    bool demo;
    uint64_t seed; /* effective seed for identifiers and caseworkers */
    char cpr[11];
    char name[64];
    int birth;
    bool female;
    struct ds_case *cases;
    size_t ncases, cap;
    struct ds_child children[DS_MAX_CHILDREN];
    size_t nchildren;
};

void ds_record_free(struct ds_record *r);

/* Adds a case / an item and returns it (aborts on out-of-memory: these are small internal
 * objects, see STYLE.md). */
struct ds_case *ds_record_add_case(struct ds_record *r);
struct ds_item *ds_case_add_item(struct ds_case *c, enum ds_item_kind kind);

/* The caseworker number w of system s, deterministic from the effective seed. */
void ds_worker_get(uint64_t seed, enum ds_system s, uint32_t w, struct ds_worker *out);

/* Latest modification over the record's cases (day, secs); (DS_NO_DATE, 0) when no cases. */
void ds_record_modified(const struct ds_record *r, int *day, int *secs);

/* Number of records the shared index would get from this record (cases + items), for stats. */
size_t ds_record_count_items(const struct ds_record *r);

/* Formats id as a UUID-shaped string (buf >= 37) and as 16 hex digits (buf >= 17). */
void ds_fmt_uuid(uint64_t id, char *buf);
void ds_fmt_hex16(uint64_t id, char *buf);

/* A full name from first and last name pools; female selects the first-name pool. */
void ds_person_name(uint64_t h, bool female, char *first, size_t first_len, char *last,
                    size_t last_len);

#endif
