/* The index records of a deptsim demo citizen, built without sockets or a database: each of
 * the five simulated systems answers the lookup through ds_route (cmd/deptsim/routes.h), the
 * real adapter parses it, and the records are classified as lib/index classifies them — by
 * (adapter kind, source code) through source_code_map, read from the migrations themselves
 * (0002 case types, 0004 source codes), else 'unclassified'. So unit tests of pure modules
 * (timeline, recommendations) see the case types the demo population really produces.
 *
 * Legal-basis fallback (legal_basis_resolve) is not reproduced: every code the demo citizens
 * Mette and Sofie use is in source_code_map. */
#ifndef GPT_DEMO_H
#define GPT_DEMO_H

#include "lib/federation/index.h"
#include "lib/insight/labels.h"

/* The department and source id of each simulated system, as tests register them. */
#define GPT_DEMO_JOBCENTRE "job_centre"
#define GPT_DEMO_SOCIAL    "social_services"
#define GPT_DEMO_HEALTH    "municipal_health"
#define GPT_DEMO_REGION    "region"
#define GPT_DEMO_FAMILY    "family"

/* Records of the demo citizen cpr as of as_of (YYYY-MM-DD, deptsim's simulated today; also the
 * adapters' today for statuses derived from dates). ids are 1, 2, ... in system order (job
 * centre, social, health, region, family) and answer order; source_id is the system's name
 * ("jobcentre", ...), department as above. Fails the test on any error. Free with
 * gp_indexed_list_free. */
void gpt_demo_records(const char *cpr, const char *as_of, struct gp_indexed_list *out);

/* The names of the areas and departments as migration 0001 seeds the database with them, read
 * from the migration itself: what gp_labels_load gives on a fresh database, for unit tests of
 * code that takes the database's labels. Fails the test when the migration cannot be read.
 * Free with gp_labels_free. */
void gpt_demo_labels(struct gp_labels *out);

#endif
