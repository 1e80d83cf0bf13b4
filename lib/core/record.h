/* The index's vocabulary: one normalised record, as every adapter produces it and the index
 * stores it. Owned by lib/ (core) so that the index, the press and the sync speak of records
 * without seeing any adapter; the adapters (adapters/) write them. */
#ifndef GP_RECORD_H
#define GP_RECORD_H

#include <stdbool.h>
#include <stddef.h>

/* One normalised record. Strings are NUL-terminated and truncated to fit; "" means absent. */
struct gp_record {
    char cpr[11];              /* whose record: the citizen asked about (for a parent in a
                                  family system: the parent) */
    char source_ref[128];      /* the system's stable id of the thing, unique per source */
    char parent_ref[128];      /* source_ref of the case an activity/document belongs to */
    char source_code[512];     /* the system's own type code or name ("ressourceforloeb"),
                                  for the taxonomy; FHIR: the codings the resource classifies
                                  by, "system|code" one per line, most specific first */
    char legal_basis_raw[128]; /* the legal paragraph as the system spells it ("SEL § 85") */
    char data_type[32];        /* a data_type code: case_summary, grant, assessment,
                                  certificate, journal_note, registration, history, plan,
                                  recommendation, decision, consent_form */
    char kind[32];             /* case, activity, document, encounter: what the timeline shows */
    char title[256];
    char status[16];       /* open, closed or planned */
    char status_note[160]; /* why status is not what the source said, "" when it is */
    char start_date[11];   /* YYYY-MM-DD */
    char end_date[11];
    char document_date[11];
    char unit[128]; /* the organisational unit in the department */
    char caseworker_name[128];
    char caseworker_contact[128]; /* phone and/or e-mail as one text */
    char source_updated[40];      /* ISO 8601 as the system reported it, "" when unknown */
};

struct gp_record_list {
    size_t n, cap;
    struct gp_record *items;
};

/* Appends a zeroed record and returns it (aborts on out-of-memory). */
struct gp_record *gp_record_list_add(struct gp_record_list *l);
void gp_record_list_free(struct gp_record_list *l);

/* Field helper for writers of records: copy at most size-1 bytes of s (NULL → ""), always
 * terminate. */
void gp_rec_set(char *dst, size_t size, const char *s);
#define GP_REC_SET(field, s) gp_rec_set((field), sizeof(field), (s))

/* A child record (activity, document) takes what it does not say itself from its case:
 * classification (source_code, legal_basis_raw when inherit_code), unit and caseworker. The
 * adapters apply it within an answer; the sync applies it across export pages. */
void gp_record_inherit(struct gp_record *child, const struct gp_record *c, bool inherit_code);

#endif
