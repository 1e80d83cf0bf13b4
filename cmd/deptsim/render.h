/* Native renderers: a ds_record (or its absence) in each vendor's own JSON.
 *
 * All functions return new jansson references (the caller json_decref()s them) and never fail
 * except on out-of-memory, where jansson returns NULL and the server answers 500. Renderers are
 * pure: the same record gives the same bytes, which is what makes the bulk export equal to the
 * lookups. */
#ifndef DS_RENDER_H
#define DS_RENDER_H

#include "cmd/deptsim/model.h"

#include <jansson.h>
#include <stdbool.h>

/* The CPR identifier system of Danish FHIR profiles (DESIGN.md). */
#define DS_FHIR_CPR_SYSTEM "urn:oid:1.2.208.176.1.2"

/* The legal basis of a case as the system spells it (family: Serviceloven before 2024,
 * Barnets Lov after), or NULL. */
const char *ds_case_paragraph(enum ds_system s, const struct ds_case *c);

/* Job centre (Momentum): {"borger": …, "forloeb": […], "opdateret": …}. */
json_t *ds_render_momentum(const struct ds_record *r);
/* Social (Sensum): {"CitizenCpr": "DDMMYY-SSSS", "CitizenName", "Cases": […]}; r may be NULL
 * for an unknown citizen (cpr10 then names them): Sensum answers an empty Cases list. */
json_t *ds_render_sensum(const struct ds_record *r, const char *cpr10);
/* Family (DUBU): {"parent": …, "children": […], "parentCases": […], "lastChanged"}; r may be
 * NULL: an empty children list. */
json_t *ds_render_dubu(const struct ds_record *r, const char *cpr10);

/* FHIR resource types the two health systems serve. */
enum ds_fhir_type {
    DS_FHIR_EPISODE = 0,
    DS_FHIR_CAREPLAN,
    DS_FHIR_DOCREF,
    DS_FHIR_ENCOUNTER,
    DS_FHIR_NTYPES
};
const char *ds_fhir_type_name(enum ds_fhir_type t);
int ds_fhir_type_from_name(const char *name, size_t len); /* -1 if not one of the four */
/* health: EpisodeOfCare, CarePlan, DocumentReference; region: Encounter, EpisodeOfCare,
 * DocumentReference. */
bool ds_fhir_serves(enum ds_system s, enum ds_fhir_type t);

/* Appends the record's resources of type t to array out, in case order. Returns how many. */
size_t ds_fhir_resources(const struct ds_record *r, enum ds_fhir_type t, json_t *out);

/* A searchset Bundle around resources (an array of resources, stolen). total < 0 omits total
 * (export pages); next NULL omits the next link. base_url is "http://host:port". */
json_t *ds_fhir_bundle(json_t *resources, const char *base_url, long total, const char *self,
                       const char *next);

/* The citizen's Patient resource, as the patient search (IHE PDQm) answers it: logical id id
 * (the server's, not the CPR), the CPR as identifier, the name and birth date. */
json_t *ds_fhir_patient(const struct ds_record *r, const char *id);

/* An OperationOutcome with one issue. */
json_t *ds_fhir_outcome(const char *severity, const char *code, const char *diagnostics);

/* The systems' CapabilityStatement (GET /fhir/metadata). */
json_t *ds_fhir_capability(enum ds_system s, const char *base_url);

#endif
