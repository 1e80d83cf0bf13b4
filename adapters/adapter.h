/* The adapter interface: one implementation per department-system kind (momentum, sensum,
 * fhir-r4, dubu). An adapter knows its system's native request and answer shapes and nothing
 * else: it builds URLs and turns native bodies into gp_records. It never touches the
 * database, the HTTP server or the network (lib/federate does the HTTP).
 *
 * Adapters normalise what is theirs to know — the vendor's status words into open/closed/
 * planned, its date formats into YYYY-MM-DD, its document kinds into data types — and pass
 * the vendor's own type code and legal-basis spelling through untouched: mapping those onto
 * the shared case-type taxonomy is data (migrations), done by lib/index. */
#ifndef GP_ADAPTER_H
#define GP_ADAPTER_H

#include "lib/core/record.h"

#include <stdbool.h>
#include <stddef.h>

/* One page of a bulk export. */
struct gp_export_page {
    struct gp_record_list records;
    char next_cursor[256]; /* "" when this was the last page */
};

struct gp_adapter {
    const char *kind;   /* "momentum", "sensum", "fhir-r4", "dubu" */
    const char *accept; /* Accept header for its requests */
    const char *prefer; /* Prefer header for its lookups (FHIR: handling=strict), NULL none */
    /* The system answers a lookup of a citizen it does not know with 404 (and a body that
     * parse_lookup turns into zero records) rather than an empty 200. */
    bool not_found_is_answer;
    /* The URL of the per-CPR lookup with the kind's default options... for a kind with
     * options, the one-request form of it (FHIR: the system search by the chained CPR
     * identifier). cpr is ten digits. False when it does not fit. */
    bool (*lookup_url)(const char *base_url, const char *cpr, char *url, size_t len);
    /* NULL for a kind without options (lookup_url is the lookup). Else the first request(s) of
     * a lookup from a source with options (a JSON object as text, "" or "{}" the defaults):
     * url gets one URL or several, one per line (asked in parallel), arg what lookup_next
     * needs to go on (it travels with the request). False when the options are not the
     * kind's or a URL does not fit. */
    bool (*lookup_start)(const char *base_url, const char *options, const char *cpr, char *url,
                         size_t len, char *arg, size_t arglen);
    /* Checks a source's options; NULL: the kind takes none ("{}" only). False with an English
     * reason. */
    bool (*check_options)(const char *options, char *err, size_t errlen);
    /* Parses a lookup answer for cpr. False with a reason in err when the body is not what
     * the system answers (malformed, wrong shape). A citizen the system does not know parses
     * as zero records. */
    bool (*parse_lookup)(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen);
    /* Lookups of several requests; NULL for a system that answers a citizen in one body.
     * lookup_next: what the fan-out asks next (gp_fetch_next_fn, lib/federation/federate.h)
     * — given the request's arg, the URL a page came from and the page: the number of URLs
     * written into next, one per line (0: that search ends; the first goes on where the page
     * came from, the others in parallel), -1 with a reason when the page makes the answer
     * unusable (a link it will not follow, a search the server did not do as asked).
     * parse_lookup_pages: parses the n pages of one answer (one after the other in body,
     * page k page_len[k] bytes) as one answer. */
    int (*lookup_next)(const char *arg, const char *leg_url, const char *body, size_t len,
                       char *next, size_t next_len);
    bool (*parse_lookup_pages)(const char *cpr, const char *body, const size_t *page_len, size_t n,
                               struct gp_record_list *out, char *err, size_t errlen);
    /* What an error answer (an HTTP status that is not 2xx) says, from its body (FHIR: the
     * OperationOutcome's diagnostics); NULL, or false, when it says nothing usable. out is
     * English or the system's own words, CPR numbers masked. */
    bool (*describe_error)(const char *body, size_t len, char *out, size_t outlen);
    /* The URL of an export page: cursor "" for the first page. */
    bool (*export_url)(const char *base_url, const char *cursor, int limit, char *url, size_t len);
    /* Parses an export page (records carry their own cpr). */
    bool (*parse_export)(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen);
};

/* The adapter of a kind, or NULL. */
const struct gp_adapter *gp_adapter_find(const char *kind);
/* All kinds, NULL-terminated. */
extern const struct gp_adapter *const gp_adapters[];

#endif
