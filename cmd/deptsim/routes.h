/* The five systems' HTTP routes as plain functions: a request (method, path, query lookup)
 * in, a complete reply (status, content type, body) out. No sockets here, so every native
 * endpoint is unit-tested without a server; server.c adds transport and fault injection.
 *
 * Endpoints (README.md has curl examples):
 *   all            GET /healthz
 *   jobcentre      GET /momentum/api/v2/borgere/{cpr}/forloeb
 *                  GET /momentum/api/v2/eksport?cursor=&limit=
 *   social         GET /sensum/api/Citizens/{cpr}/Cases
 *                  GET /sensum/api/Export?continuationToken=&pageSize=
 *   health, region GET /fhir/{Type}?patient.identifier=urn:oid:1.2.208.176.1.2|{cpr}
 *                  GET /fhir?_type=A,B&patient.identifier=…   (combined search)
 *                  GET /fhir/{Type}?_count=&_cursor=   GET /fhir?_type=…&_count=&_cursor=
 *                      (no patient: the system-wide search = the bulk export)
 *                  GET /fhir/metadata
 *   family         GET /dubu/rest/parents/{cpr}/children-cases
 *                  GET /dubu/rest/export?after=&limit= */
#ifndef DS_ROUTES_H
#define DS_ROUTES_H

#include "cmd/deptsim/model.h"
#include "cmd/deptsim/population.h"

#include <stdbool.h>
#include <stddef.h>

struct ds_request {
    enum ds_system sys;
    const char *method;
    const char *path; /* URL path without the query, percent-decoded */
    /* Value of query argument key (decoded), or NULL when absent. */
    const char *(*arg)(void *cls, const char *key);
    void *arg_cls;
    const char *base_url; /* "http://host:port": FHIR fullUrl and links */
    long page_max;        /* the system's page_max fault: 0, or the largest FHIR page */
};

enum ds_reply_kind {
    DS_RK_OTHER = 0, /* 404, 405, metadata */
    DS_RK_HEALTHZ,
    DS_RK_LOOKUP, /* per-CPR lookup */
    DS_RK_EXPORT, /* bulk export page */
    DS_RK_SEARCH, /* FHIR search by a patient's id, after the patient search (the lookup) */
};

struct ds_reply {
    unsigned status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd; free with ds_reply_free */
    size_t len;
    enum ds_reply_kind kind;
    bool known;          /* lookup: the system knows the citizen */
    char cpr_masked[12]; /* lookup: "DDMMYY-xxxx" for the log, else "" */
    const char *allow;   /* 405: the Allow header */
};

/* Fills *out. Returns false only on out-of-memory (then *out holds nothing to free). */
bool ds_route(const struct ds_population *pop, const struct ds_request *rq, struct ds_reply *out);

/* The system's native error body for status (used by fault injection: error_rate). */
bool ds_route_error(enum ds_system sys, unsigned status, const char *message, struct ds_reply *out);

void ds_reply_free(struct ds_reply *r);

/* Content type of the system's JSON answers. */
const char *ds_system_content_type(enum ds_system sys);

/* Export page limits: default and maximum page sizes (citizens; FHIR: resources). */
#define DS_EXPORT_DEFAULT 100
#define DS_EXPORT_MAX     1000
#define DS_SENSUM_DEFAULT 50
#define DS_SENSUM_MAX     500
#define DS_FHIR_COUNT     100   /* default _count, for patient searches too */
#define DS_EXPORT_SCAN    50000 /* positions examined per page at most */

#endif
