/* The index records of a deptsim demo citizen, built without sockets or a database: each of
 * the five simulated systems answers the lookup through ds_route (cmd/deptsim/routes.h), the
 * real adapter parses it, and the records are classified as the index classifies them — by
 * the one classifier, record_classify (migration 0007), whose answers for every demo record
 * are kept in a fixture (GPT_DEMO_CLASSIFIED). The integration suite itest_index checks that
 * the fixture is what record_classify answers today, against a migrated database, and writes
 * the current one next to the build when it is not: unit tests of pure modules (timeline,
 * recommendations) cannot drift from the classifier. */
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

/* The record_classify answers for the demo citizens' records, one line per input (TSV, a
 * header line first): adapter kind, source code, legal basis as written, date (start, else
 * document date), then case type, area, legal basis, sensitivity, label_da, label_en and
 * cross_department (t/f). */
#define GPT_DEMO_CLASSIFIED GP_SOURCE_DIR "/tests/fixtures/demo/classified.tsv"
/* The as-of date the unit tests use, and so the one the fixture covers. */
#define GPT_DEMO_AS_OF "2026-11-01"

/* The same records before classification (case type, area, labels and legal basis empty). */
void gpt_demo_unclassified(const char *cpr, const char *as_of, struct gp_indexed_list *out);
/* The adapter kind of a demo source id ("jobcentre" -> "momentum"), NULL for another. */
const char *gpt_demo_kind(const char *source_id);
/* The fixture's key of a record from a source of kind. */
struct gp_record;
void gpt_demo_class_key(const char *kind, const struct gp_record *r, char *out, size_t len);

/* The names of the areas and departments as migration 0001 seeds the database with them, read
 * from the migration itself: what gp_labels_load gives on a fresh database, for unit tests of
 * code that takes the database's labels. Fails the test when the migration cannot be read.
 * Free with gp_labels_free. */
void gpt_demo_labels(struct gp_labels *out);

#endif
