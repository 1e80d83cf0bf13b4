/* lib/recommend: every rule and trigger as table rows (records with their visibility, consents,
 * sources, caller, thresholds → the exact list of recommendations: code/trigger, priority,
 * area, department, evidence); then that nothing the caller may not see reaches an answer
 * (existence-only and summary records mutated field by field leave the whole answer —
 * reasons included — unchanged; hidden records change nothing); then the demo citizens Mette
 * and Sofie as deptsim and the real adapters produce them. Areas and departments are named by
 * the labels passed in: the database's, as migration 0001 seeds them (gpt_demo_labels). */
#include "gpt_demo.h"
#include "gptest.h"
#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/insight/recommend.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))
#define MAXR      12

#define F GP_VIS_FULL
#define S GP_VIS_SUMMARY
#define E GP_VIS_EXISTENCE
#define H GP_VIS_HIDDEN

/* department, area */
#define JC "job_centre", "employment"
#define SO "social_services", "social"
#define FA "family", "family"
#define MH "municipal_health", "health_municipal"
#define RG "region", "health_regional"

struct trec {
    int64_t id;
    const char *dept, *area, *case_type, *kind, *data_type, *status;
    const char *start, *end, *doc, *title;
    enum gp_visibility vis;
    const char *worker;      /* NULL: one caseworker per department */
    const char *source_code; /* NULL: "" */
};

#define CASE(id, d, ct, st, s, e, v)                                                               \
    {                                                                                              \
        id, d, ct, "case", "case_summary", st, s, e, NULL, "Sag " #id, v, NULL, NULL               \
    }
#define CASE_T(id, d, ct, st, s, e, title, v)                                                      \
    {                                                                                              \
        id, d, ct, "case", "case_summary", st, s, e, NULL, title, v, NULL, NULL                    \
    }
#define ACT(id, d, ct, st, s, e, v)                                                                \
    {                                                                                              \
        id, d, ct, "activity", "grant", st, s, e, NULL, "Aktivitet " #id, v, NULL, NULL            \
    }
#define ACT_W(id, d, ct, st, s, e, worker, v)                                                      \
    {                                                                                              \
        id, d, ct, "activity", "grant", st, s, e, NULL, "Aktivitet " #id, v, worker, NULL          \
    }
#define DOC(id, d, ct, dt, date, title, v)                                                         \
    {                                                                                              \
        id, d, ct, "document", dt, "closed", NULL, NULL, date, title, v, NULL, NULL                \
    }

static void mk(const struct trec *t, struct gp_indexed *x)
{
    memset(x, 0, sizeof *x);
    x->id = t->id;
    snprintf(x->department, sizeof x->department, "%s", t->dept);
    snprintf(x->area, sizeof x->area, "%s", t->area);
    snprintf(x->case_type, sizeof x->case_type, "%s", t->case_type);
    snprintf(x->case_label_da, sizeof x->case_label_da, "Type %s", t->case_type);
    snprintf(x->case_label_en, sizeof x->case_label_en, "Type %s", t->case_type);
    snprintf(x->source_id, sizeof x->source_id, "src-%s", t->dept);
    x->cross_department = true;
    struct gp_record *r = &x->rec;
    snprintf(r->kind, sizeof r->kind, "%s", t->kind);
    snprintf(r->data_type, sizeof r->data_type, "%s", t->data_type);
    snprintf(r->status, sizeof r->status, "%s", t->status);
    snprintf(r->start_date, sizeof r->start_date, "%s", t->start ? t->start : "");
    snprintf(r->end_date, sizeof r->end_date, "%s", t->end ? t->end : "");
    snprintf(r->document_date, sizeof r->document_date, "%s", t->doc ? t->doc : "");
    snprintf(r->title, sizeof r->title, "%s", t->title ? t->title : "");
    snprintf(r->source_code, sizeof r->source_code, "%s", t->source_code ? t->source_code : "");
    snprintf(r->source_ref, sizeof r->source_ref, "ref-%lld", (long long)t->id);
    if (t->worker)
        snprintf(r->caseworker_name, sizeof r->caseworker_name, "%s", t->worker);
    else
        snprintf(r->caseworker_name, sizeof r->caseworker_name, "Sagsbehandler %s", t->dept);
    snprintf(r->caseworker_contact, sizeof r->caseworker_contact, "%s@glasby.example", t->dept);
}

/* One line per recommendation: "code/trigger priority area department [ids] source". */
static char *render(const struct gp_recommendation_list *l, bool reasons)
{
    struct gp_buf b = {0};
    gp_buf_puts(&b, "");
    for (size_t i = 0; i < l->n; i++) {
        const struct gp_recommendation *r = &l->items[i];
        gp_buf_printf(&b, "%s%s/%s %s %s %s [", i ? "\n" : "", r->code, r->trigger,
                      gp_rec_priority_name(r->priority), r->area[0] ? r->area : "-",
                      r->department[0] ? r->department : "-");
        for (size_t k = 0; k < r->n_evidence; k++)
            gp_buf_printf(&b, "%s%lld", k ? "," : "", (long long)r->evidence[k]);
        gp_buf_puts(&b, "]");
        if (r->source_id[0])
            gp_buf_printf(&b, " %s", r->source_id);
        if (reasons)
            gp_buf_printf(&b, "\n  %s | %s\n  %s | %s", r->title_da, r->title_en, r->reason_da,
                          r->reason_en);
    }
    return gp_buf_steal(&b, NULL);
}

#define MAXS 6
struct src {
    const char *id, *dept, *area;
    enum gp_rec_source_state state;
    double age;
    bool asked;
};

struct rrow {
    const char *name;
    struct trec recs[MAXR];
    const char *caller_dept, *caller_area, *purpose;
    const char *consents[6];
    struct src sources[MAXS];
    struct gp_rec_thresholds th; /* all zero: the defaults */
    const char *want;
};

/* The database's labels of areas and departments, as migration 0001 seeds them. */
static const struct gp_labels *db_labels(void)
{
    static struct gp_labels labels;
    if (!labels.n_areas)
        gpt_demo_labels(&labels);
    return &labels;
}

#define TODAY "2024-06-30"
#define NOTH                                                                                       \
    {                                                                                              \
        0, 0, 0, 0                                                                                 \
    }
#define COORD_OFF                                                                                  \
    {                                                                                              \
        0, 0, 3, 86400                                                                             \
    }

static const struct rrow rows[] = {
    {"nothing",
     {{0}},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     /* a rehabilitation context with nothing seen: only "no LÆ 265" */
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"nothing, no purpose", {{0}}, JC, NULL, {NULL}, {{NULL}}, NOTH, ""},

    /* ---- coordinated_effort_candidate ---- */
    {"open efforts in two areas",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas medium - - [1,2]\n"
     "invite_department/open_effort medium social social_services [2]"},
    {"open in one area, closed in the other",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "closed", "2023-01-01", "2023-12-31", F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"three caseworkers in one area",
     {{1, JC, "kontanthjaelp", "case", "case_summary", "open", "2024-01-01", NULL, NULL, "K", F,
       "Anna Berg", NULL},
      ACT_W(2, JC, "mentor", "open", "2024-02-01", NULL, "Bo Dahl", F),
      ACT_W(3, JC, "virksomhedspraktik", "open", "2024-03-01", NULL, "Carl Eriksen", F)},
     SO,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/caseworkers medium - - [1,2,3]\n"
     "invite_department/open_effort medium employment job_centre [1,2,3]"},
    {"one caseworker spelt twice is one",
     {{1, JC, "kontanthjaelp", "case", "case_summary", "open", "2024-01-01", NULL, NULL, "K", F,
       "Anna Berg", NULL},
      ACT_W(2, JC, "mentor", "open", "2024-02-01", NULL, "ANNA  BERG ", F),
      ACT_W(3, JC, "virksomhedspraktik", "open", "2024-03-01", NULL, "Bo Dahl", F)},
     SO,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/open_effort medium employment job_centre [1,2,3]"},
    {"both thresholds: high",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, F),
      CASE(3, RG, "psykiatrisk_behandling", "open", "2024-03-01", NULL, F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas_and_caseworkers high - - [1,2,3]\n"
     "invite_department/open_effort medium health_regional region [3]\n"
     "invite_department/open_effort medium social social_services [2]"},
    {"thresholds raised",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, F),
      CASE(3, RG, "psykiatrisk_behandling", "open", "2024-03-01", NULL, F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     {4, 4, 3, 86400},
     "invite_department/open_effort medium health_regional region [3]\n"
     "invite_department/open_effort medium social social_services [2]"},
    {"a threshold of 0 switches its trigger off",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     {0, 1, 3, 86400},
     "coordinated_effort_candidate/caseworkers medium - - [1,2]\n"
     "invite_department/open_effort medium social social_services [2]"},
    {"existence-only areas make no candidate",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, E),
      CASE(3, RG, "psykiatrisk_behandling", "open", "2024-03-01", NULL, E)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"summary of ongoing services counts (target-group identification)",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "open", "2024-02-01", NULL, S)},
     JC,
     "target_group_identification",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas medium - - [1,2]\n"
     "invite_department/open_effort medium social social_services [2]"},
    {"planned efforts are not open efforts",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, SO, "bostoette", "planned", "2024-08-01", NULL, F)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     ""},

    /* ---- gather_before_rehabilitation_meeting ---- */
    {"rehabilitation: no LÆ 265, an area without consent",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      CASE(2, MH, "genoptraening", "closed", "2023-01-01", "2023-03-01", E)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/consent_missing medium health_municipal - []\n"
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"the area has consent",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      CASE(2, MH, "genoptraening", "closed", "2023-01-01", "2023-03-01", E)},
     JC,
     "rehabilitation",
     {"social", "health_municipal"},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"context from an open ressourceforløb, whatever the purpose",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      CASE(2, MH, "genoptraening", "closed", "2023-01-01", "2023-03-01", E)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/consent_missing medium health_municipal - []\n"
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"context from a planned sundhedskoordinator course seen at summary",
     {CASE(1, JC, "kontanthjaelp", "closed", "2023-01-01", "2023-06-30", F),
      CASE(2, RG, "sundhedskoordinator", "planned", "2024-08-01", NULL, S)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/consent_missing medium health_regional - [2]\n"
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"context from a rehabiliteringsplan seen in full",
     {DOC(1, JC, "kontanthjaelp", "plan", "2024-05-01", "Rehabiliteringsplan, forberedende del",
          F)},
     JC,
     "own_case",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"no rehabilitation context",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, MH, "genoptraening", "closed", "2023-01-01", "2023-03-01", E),
      CASE(3, JC, "ressourceforloeb", "closed", "2022-01-01", "2022-12-31", F)},
     JC,
     "own_case",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"the newest LÆ 265 is older than three months",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, JC, "jobafklaring", "certificate", "2024-03-29",
          "Attest til rehabiliteringsteamet (LÆ 265)", F),
      DOC(3, RG, "sundhedskoordinator", "certificate", "2024-03-29", "LÆ 265 Attest", F),
      DOC(4, RG, "sundhedskoordinator", "certificate", "2023-01-10", "LAE-265 gammel", F),
      DOC(5, RG, "sundhedskoordinator", "journal_note", "2024-06-01", "LÆ 265 omtalt i notat", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/lae265_outdated high - - [2,3]"},
    {"a LÆ 265 exactly three months old is not older",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, JC, "jobafklaring", "certificate", "2024-03-30", "LÆ 265", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"the newest counts, not the oldest",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, JC, "jobafklaring", "certificate", "2022-03-30", "LÆ 265", F),
      DOC(3, RG, "sundhedskoordinator", "certificate", "2024-06-01", "LÆ 265", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"six months allowed",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, JC, "jobafklaring", "certificate", "2024-03-29", "LÆ 265", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     {2, 3, 6, 86400},
     ""},
    {"LÆ 265 by case type",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, RG, "laegeattest_lae265", "certificate", "2023-01-01", "Attest", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/lae265_outdated high health_regional - [2]"},
    {"LÆ 265 by source code",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      {2, RG, "sundhedskoordinator", "document", "certificate", "closed", NULL, NULL, "2023-01-01",
       "Statusattest", F, NULL, "https://epj.glasby.example/fhir/CodeSystem/dokumenttype|LAE265"}},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/lae265_outdated high health_regional - [2]"},
    {"a LÆ 265 seen at summary is no document the caller sees",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, RG, "laegeattest_lae265", "certificate", "2023-01-01", "LÆ 265", S)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/consent_missing medium health_regional - []\n"
     "gather_before_rehabilitation_meeting/lae265_missing medium - - []"},
    {"lae265_max_months 0 switches the LÆ 265 triggers off",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     {2, 3, 0, 86400},
     ""},
    {"a municipal re-training or rehabilitation plan",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, MH, "genoptraening", "plan", "2024-05-12", "Genoptræningsplan", F),
      DOC(3, MH, "hjemmepleje", "plan", "2024-05-01", "Plejeplan", F),
      DOC(4, JC, "ressourceforloeb", "plan", "2024-02-10", "Min Plan", F),
      DOC(5, JC, "jobafklaring", "certificate", "2024-06-01", "LÆ 265", F),
      DOC(6, MH, "hjemmesygepleje", "plan", "2024-04-01", "Rehabiliteringsplan", F),
      DOC(7, MH, "genoptraening", "journal_note", "2024-05-13", "Genoptræning, notat", F),
      DOC(8, RG, "genoptraening_specialiseret", "plan", "2024-05-13", "Genoptræningsplan", F)},
     JC,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "gather_before_rehabilitation_meeting/rehabilitation_plan medium health_municipal "
     "municipal_health [2,6]"},
    {"a plan seen at summary or existence is not gathered by name",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, MH, "genoptraening", "plan", "2024-05-12", "Genoptræningsplan", S),
      DOC(5, JC, "jobafklaring", "certificate", "2024-06-01", "LÆ 265", F)},
     JC,
     "rehabilitation",
     {"health_municipal"},
     {{NULL}},
     NOTH,
     ""},
    {"the caller's own plan is not to be gathered",
     {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
      DOC(2, MH, "genoptraening", "plan", "2024-05-12", "Genoptræningsplan", F),
      DOC(5, JC, "jobafklaring", "certificate", "2024-06-01", "LÆ 265", F)},
     MH,
     "rehabilitation",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/open_effort medium employment job_centre [1]"},

    /* ---- invite_department ---- */
    {"something in the family area, seen only as existence",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, FA, "anbringelse", "closed", "2020-01-01", "2021-01-01", E)},
     JC,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/family_case high family - []"},
    {"an open family case at summary",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, FA, "stoettende_indsats", "open", "2024-02-01", NULL, S)},
     JC,
     "target_group_identification",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/family_case high family family [2]\n"
     "coordinated_effort_candidate/areas medium - - [1,2]"},
    {"a closed family case seen in full is history",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, FA, "stoettende_indsats", "closed", "2020-01-01", "2021-01-01", F)},
     JC,
     "coordinated_effort",
     {"family"},
     {{NULL}},
     NOTH,
     ""},
    {"a planned family measure",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, FA, "forebyggende_indsats", "planned", "2024-09-01", NULL, F)},
     JC,
     "coordinated_effort",
     {"family"},
     {{NULL}},
     NOTH,
     "invite_department/family_case high family family [2]"},
    {"the family department does not invite itself",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, FA, "stoettende_indsats", "open", "2024-02-01", NULL, F)},
     FA,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas medium - - [1,2]\n"
     "invite_department/open_effort medium employment job_centre [1]"},
    {"a caller without a department invites every department",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, RG, "hospitalsforloeb", "closed", "2024-01-01", "2024-02-01", F)},
     NULL,
     NULL,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/open_effort medium employment job_centre [1]"},

    /* ---- colliding_efforts ---- */
    {"new efforts during døgnbehandling and during an admission",
     {CASE_T(1, SO, "misbrugsbehandling", "open", "2024-05-01", "2024-08-15",
             "Døgnbehandling for stofmisbrug", F),
      ACT(2, JC, "opkvalificering", "open", "2024-06-05", "2024-08-18", F),
      ACT(3, JC, "virksomhedspraktik", "planned", "2024-07-02", "2024-09-29", F),
      ACT(4, JC, "mentor", "open", "2024-01-01", "2024-12-31", F),
      ACT(5, JC, "kontanthjaelp", "open", "2024-06-01", NULL, F),
      CASE_T(6, RG, "psykiatrisk_behandling", "open", "2024-06-20", "2024-07-03",
             "Psykiatrisk indlæggelse", F),
      ACT(7, SO, "misbrugsbehandling", "open", "2024-06-10", NULL, F),
      CASE(8, JC, "uddannelseshjaelp", "closed", "2024-06-10", "2024-06-20", F)},
     SO,
     "coordinated_effort",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas_and_caseworkers high - - [1,2,4,5,6,7]\n"
     "colliding_efforts/starts_during_residential high health_regional region [3,6]\n"
     "colliding_efforts/starts_during_residential high social social_services [1,2,3,6]\n"
     "invite_department/open_effort medium employment job_centre [2,4,5]\n"
     "invite_department/open_effort medium health_regional region [6]\n"
     "colliding_efforts/overlapping_activities medium - - [2,3,4,7]"},
    {"døgnbehandling by source code",
     {{1, SO, "misbrugsbehandling", "case", "grant", "open", "2024-05-01", "2024-08-15", NULL,
       "Sag", F, NULL, "Døgnbehandling for stofmisbrug"},
      CASE(2, JC, "kontanthjaelp", "open", "2024-06-05", NULL, F)},
     SO,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "colliding_efforts/starts_during_residential high social social_services [1,2]\n"
     "invite_department/open_effort medium employment job_centre [2]"},
    {"at summary døgnbehandling cannot be told from ambulant treatment",
     {CASE_T(1, SO, "misbrugsbehandling", "open", "2024-05-01", "2024-08-15",
             "Døgnbehandling for stofmisbrug", S),
      ACT(2, JC, "opkvalificering", "open", "2024-06-05", "2024-08-18", F)},
     JC,
     "target_group_identification",
     {NULL},
     {{NULL}},
     NOTH,
     "coordinated_effort_candidate/areas medium - - [1,2]\n"
     "invite_department/open_effort medium social social_services [1]"},
    {"anbringelse by case type, at summary",
     {CASE(1, FA, "anbringelse", "open", "2024-03-01", NULL, S),
      CASE(2, JC, "kontanthjaelp", "open", "2024-04-01", NULL, F)},
     JC,
     "target_group_identification",
     {NULL},
     {{NULL}},
     NOTH,
     "invite_department/family_case high family family [1]\n"
     "colliding_efforts/starts_during_residential high family family [1,2]\n"
     "coordinated_effort_candidate/areas medium - - [1,2]"},
    {"the same department plans around its own residential effort",
     {CASE_T(1, SO, "misbrugsbehandling", "open", "2024-05-01", "2024-08-15", "Døgnbehandling", F),
      CASE(2, SO, "bostoette", "open", "2024-06-01", NULL, F)},
     SO,
     "own_case",
     {NULL},
     {{NULL}},
     NOTH,
     ""},
    {"starting on the first and the last day collides, the day after does not",
     {CASE_T(1, SO, "misbrugsbehandling", "open", "2024-05-01", "2024-06-15", "Døgnbehandling", F),
      CASE(2, JC, "kontanthjaelp", "open", "2024-06-15", NULL, F),
      CASE(3, JC, "sygedagpenge", "open", "2024-06-16", NULL, F),
      CASE(4, RG, "hospitalsforloeb", "open", "2024-05-01", "2024-05-02", F),
      CASE(5, RG, "hospitalsforloeb", "open", "2024-04-30", "2024-05-31", F)},
     SO,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "colliding_efforts/starts_during_residential high social social_services [1,2,4]\n"
     "invite_department/open_effort medium employment job_centre [2,3]\n"
     "invite_department/open_effort medium health_regional region [4,5]"},
    {"an open-ended residential effort",
     {CASE(1, FA, "anbringelse", "open", "2020-03-01", NULL, F),
      CASE(2, JC, "kontanthjaelp", "planned", "2025-04-01", NULL, F)},
     FA,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "colliding_efforts/starts_during_residential high family family [1,2]"},
    {"a closed residential effort collides with nothing",
     {CASE(1, FA, "anbringelse", "closed", "2020-03-01", "2024-06-01", F),
      CASE(2, JC, "kontanthjaelp", "open", "2024-04-01", NULL, F)},
     FA,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "invite_department/open_effort medium employment job_centre [2]"},
    {"overlapping activities of different departments",
     {ACT(1, JC, "virksomhedspraktik", "open", "2024-06-01", "2024-06-30", F),
      ACT(2, MH, "genoptraening", "planned", "2024-06-30", "2024-07-30", F),
      ACT(3, RG, "hospitalsforloeb", "open", "2024-07-01", "2024-07-10", F),
      ACT(4, JC, "mentor", "closed", "2024-06-01", "2024-06-30", F),
      ACT(5, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      ACT(6, JC, "opkvalificering", "open", "2024-07-05", "2024-07-06", F)},
     SO,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "invite_department/open_effort medium employment job_centre [1,5,6]\n"
     "invite_department/open_effort medium health_regional region [3]\n"
     "colliding_efforts/overlapping_activities medium - - [1,2,3,6]"},
    {"touching activities do not overlap",
     {ACT(1, JC, "virksomhedspraktik", "open", "2024-06-01", "2024-06-30", F),
      ACT(2, MH, "genoptraening", "planned", "2024-07-01", "2024-07-30", F),
      ACT(3, MH, "genoptraening", "open", "2024-05-01", "2024-05-31", F)},
     MH,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "invite_department/open_effort medium employment job_centre [1]"},
    {"same-day activities of two departments overlap",
     {ACT(1, JC, "virksomhedspraktik", "open", "2024-06-10", "2024-06-10", F),
      ACT(2, MH, "genoptraening", "open", "2024-06-10", "2024-06-10", F)},
     MH,
     "own_case",
     {NULL},
     {{NULL}},
     COORD_OFF,
     "invite_department/open_effort medium employment job_centre [1]\n"
     "colliding_efforts/overlapping_activities medium - - [1,2]"},

    /* ---- source_stale_or_failing ---- */
    {"sources failing, stale, old and fresh",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F),
      CASE(2, RG, "psykiatrisk_behandling", "open", "2024-01-01", NULL, E)},
     JC,
     "own_case",
     {NULL},
     {{"src-job_centre", JC, GP_REC_SOURCE_OK, 90000, true},
      {"src-region", RG, GP_REC_SOURCE_FAILING, -1, true},
      {"src-social_services", SO, GP_REC_SOURCE_STALE, 3600, true},
      {"src-municipal_health", MH, GP_REC_SOURCE_OK, 10, true},
      {"src-family", FA, GP_REC_SOURCE_FAILING, -1, false},
      {"src-health_regional", RG, GP_REC_SOURCE_STALE, 7200, false}},
     NOTH,
     "source_stale_or_failing/failing medium family family [] src-family\n"
     "source_stale_or_failing/failing medium health_regional region [] src-region\n"
     "source_stale_or_failing/stale low employment job_centre [1] src-job_centre\n"
     "source_stale_or_failing/stale low health_regional region [] src-health_regional\n"
     "source_stale_or_failing/stale low social social_services [] src-social_services"},
    {"source_max_age_s 0: only the sources' own state",
     {CASE(1, JC, "kontanthjaelp", "open", "2024-01-01", NULL, F)},
     JC,
     "own_case",
     {NULL},
     {{"src-job_centre", JC, GP_REC_SOURCE_OK, 900000, true},
      {"src-region", RG, GP_REC_SOURCE_STALE, 100, true}},
     {2, 3, 3, 0},
     "source_stale_or_failing/stale low health_regional region [] src-region"},
};

static size_t recs_of(const struct trec *t, size_t max, struct gp_indexed *x, enum gp_visibility *v)
{
    size_t n = 0;
    while (n < max && t[n].id) {
        mk(&t[n], &x[n]);
        v[n] = t[n].vis;
        n++;
    }
    return n;
}

struct scenario {
    struct gp_indexed x[MAXR * 2];
    enum gp_visibility v[MAXR * 2];
    struct gp_rec_source src[MAXS];
    const char *consents[6];
    struct gp_rec_input in;
    struct gp_rec_thresholds th;
};

static void scenario_of(const struct rrow *r, struct scenario *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->in.n = recs_of(r->recs, MAXR, sc->x, sc->v);
    sc->in.records = sc->x;
    sc->in.visibility = sc->v;
    for (size_t i = 0; i < 6 && r->consents[i]; i++)
        sc->consents[sc->in.n_consent_areas++] = r->consents[i];
    sc->in.consent_areas = sc->consents;
    for (size_t i = 0; i < MAXS && r->sources[i].id; i++) {
        const struct src *s = &r->sources[i];
        sc->src[sc->in.n_sources++] =
            (struct gp_rec_source){s->id, s->dept, s->area, s->state, s->age, s->asked};
    }
    sc->in.sources = sc->src;
    sc->in.caller_department = r->caller_dept;
    sc->in.caller_area = r->caller_area;
    sc->in.purpose = r->purpose;
    sc->in.today = TODAY;
    sc->in.labels = db_labels();
    sc->th = r->th;
    bool defaults = !r->th.coordinated_min_areas && !r->th.coordinated_min_caseworkers &&
                    !r->th.lae265_max_months && r->th.source_max_age_s == 0;
    sc->in.thresholds = defaults ? NULL : &sc->th;
}

static char *run(const struct gp_rec_input *in, bool reasons)
{
    struct gp_recommendation_list l;
    ck_assert_int_eq(gp_recommend(in, &l), GP_REC_OK);
    for (size_t i = 0; i < l.n; i++) {
        const struct gp_recommendation *r = &l.items[i];
        ck_assert(r->reason_da && *r->reason_da && r->reason_en && *r->reason_en);
        ck_assert(r->title_da && *r->title_da && r->title_en && *r->title_en);
        for (size_t k = 1; k < r->n_evidence; k++)
            ck_assert(r->evidence[k - 1] < r->evidence[k]);
    }
    char *s = render(&l, reasons);
    gp_recommendation_list_free(&l);
    return s;
}

START_TEST(test_rules_table)
{
    struct scenario *sc = malloc(sizeof *sc);
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        scenario_of(&rows[i], sc);
        char *got = run(&sc->in, false);
        ck_assert_msg(!strcmp(got, rows[i].want), "%s:\n--- got\n%s\n--- want\n%s", rows[i].name,
                      got, rows[i].want);
        /* the input order does not matter, reasons included */
        char *full = run(&sc->in, true);
        for (size_t k = 0; k < sc->in.n / 2; k++) {
            struct gp_indexed t = sc->x[k];
            sc->x[k] = sc->x[sc->in.n - 1 - k];
            sc->x[sc->in.n - 1 - k] = t;
            enum gp_visibility tv = sc->v[k];
            sc->v[k] = sc->v[sc->in.n - 1 - k];
            sc->v[sc->in.n - 1 - k] = tv;
        }
        char *rev = run(&sc->in, true);
        ck_assert_msg(!strcmp(full, rev), "%s: depends on the input order", rows[i].name);
        free(rev);
        free(full);
        free(got);
    }
    free(sc);
}
END_TEST

/* Reasons say what the evidence is, in both languages. */
START_TEST(test_reasons)
{
    struct scenario *sc = malloc(sizeof *sc);
    const struct rrow *sofie = NULL, *lae = NULL, *src = NULL;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        if (!strcmp(rows[i].name, "new efforts during døgnbehandling and during an admission"))
            sofie = &rows[i];
        if (!strcmp(rows[i].name, "the newest LÆ 265 is older than three months"))
            lae = &rows[i];
        if (!strcmp(rows[i].name, "sources failing, stale, old and fresh"))
            src = &rows[i];
    }
    ck_assert(sofie && lae && src);
    scenario_of(sofie, sc);
    char *s = run(&sc->in, true);
    ck_assert_msg(strstr(s, "Døgnbehandling for stofmisbrug (Socialforvaltningen, "
                            "2024-05-01–2024-08-15) er en døgnindsats, og i samme periode "
                            "starter: Aktivitet 2 (Jobcenter, 2024-06-05); Psykiatrisk "
                            "indlæggelse (Region (hospital, sundhedskoordinator), "
                            "2024-06-20); Aktivitet 3 (Jobcenter, "
                            "2024-07-02)"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Døgnbehandling for stofmisbrug (Social services, "
                            "2024-05-01–2024-08-15) is a residential effort, and during it "
                            "starts:"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Borgeren har åbne indsatser i 3 områder (Beskæftigelse, Regional "
                            "sundhed, Voksen-social) hos 3 forskellige sagsbehandlere"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Jobcenter har åbne indsatser for borgeren: Aktivitet 2, Aktivitet "
                            "4, Aktivitet 5 (sagsbehandler: Sagsbehandler job_centre)"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Aktivitet 2 (Jobcenter) og Aktivitet 7 (Socialforvaltningen) fra "
                            "2024-06-10 til 2024-08-18"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Aktivitet 4 (Jobcenter) og Aktivitet 7 (Socialforvaltningen) fra "
                            "2024-06-10 til 2024-12-31"),
                  "%s", s);
    free(s);

    scenario_of(lae, sc);
    s = run(&sc->in, true);
    ck_assert_msg(strstr(s, "Den nyeste LÆ 265 er fra 2024-03-29 og dermed mere end 3 måneder "
                            "gammel"),
                  "%s", s);
    ck_assert_msg(strstr(s, "The newest LÆ 265 is from 2024-03-29, more than 3 months old"), "%s",
                  s);
    free(s);

    scenario_of(src, sc);
    s = run(&sc->in, true);
    /* Each reason says why: asked and silent, never asked, older than allowed, or read from
     * the index without asking. */
    ck_assert_msg(strstr(s, "Kilden src-region (Region (hospital, sundhedskoordinator)) svarede "
                            "ikke."),
                  "%s", s);
    ck_assert_msg(strstr(s, "Datakilden er ikke spurgt | Data source not asked"), "%s", s);
    ck_assert_msg(strstr(s, "The source src-family (Family department) has not been asked "
                            "about the citizen. Data from it may be missing"),
                  "%s", s);
    ck_assert_msg(strstr(s, "Data fra kilden src-job_centre (Jobcenter) er 25 timer gamle, mere "
                            "end de tilladte 24 timer."),
                  "%s", s);
    ck_assert_msg(strstr(s, "Data from the source src-social_services (Social services) is 60 "
                            "minutes old, as the source did not answer this lookup."),
                  "%s", s);
    ck_assert_msg(strstr(s, "Data from the source src-health_regional (Region (hospital)) is 2 "
                            "hours "
                            "old: the answer came from the index, without asking the source."),
                  "%s", s);
    free(s);
    free(sc);
}
END_TEST

START_TEST(test_bad_input)
{
    struct gp_rec_input in = {.today = "2024-02-30"};
    struct gp_recommendation_list l;
    ck_assert_int_eq(gp_recommend(&in, &l), GP_REC_BAD_TODAY);
    ck_assert_uint_eq(l.n, 0);
    gp_recommendation_list_free(&l);
    in.today = NULL;
    ck_assert_int_eq(gp_recommend(&in, &l), GP_REC_BAD_TODAY);
    struct gp_rec_thresholds th = gp_rec_thresholds_default();
    ck_assert_int_eq(th.coordinated_min_areas, 2);
    ck_assert_int_eq(th.coordinated_min_caseworkers, 3);
    ck_assert_int_eq(th.lae265_max_months, 3);
    ck_assert(th.source_max_age_s == 86400);
    in.today = TODAY;
    in.thresholds = &th;
    th.lae265_max_months = -1;
    ck_assert_int_eq(gp_recommend(&in, &l), GP_REC_BAD_THRESHOLDS);
    th = gp_rec_thresholds_default();
    th.source_max_age_s = -5;
    ck_assert_int_eq(gp_recommend(&in, &l), GP_REC_BAD_THRESHOLDS);
    th = gp_rec_thresholds_default();
    ck_assert_int_eq(gp_recommend(&in, &l), GP_REC_OK);
    ck_assert_uint_eq(l.n, 0);
    gp_recommendation_list_free(&l);
    gp_recommendation_list_free(NULL);
    ck_assert_str_eq(gp_rec_priority_name(GP_REC_HIGH), "high");
    ck_assert_str_eq(gp_rec_priority_name(GP_REC_MEDIUM), "medium");
    ck_assert_str_eq(gp_rec_priority_name(GP_REC_LOW), "low");
}
END_TEST

/* ---- nothing the caller may not see ---------------------------------------------------------- */

/* A scenario where every rule has something to say, with records the caller sees only as
 * existence whose fields would each make a rule fire, and say something, if they were read. */
static const struct rrow leak_base = {
    "leak base",
    {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
     DOC(2, JC, "jobafklaring", "certificate", "2023-01-01", "LÆ 265", F),
     ACT(3, JC, "virksomhedspraktik", "open", "2024-06-01", "2024-07-31", F),
     CASE(4, SO, "bostoette", "open", "2024-02-01", NULL, S),
     CASE_T(9001, FA, "anbringelse", "open", "2024-05-01", NULL, "HEMMELIG anbringelse", E),
     DOC(9002, MH, "genoptraening", "plan", "2024-05-01", "HEMMELIG genoptræningsplan", E),
     CASE_T(9003, RG, "psykiatrisk_behandling", "open", "2024-05-15", "2024-09-01",
            "HEMMELIG døgn indlæggelse", E),
     ACT(9004, RG, "hospitalsforloeb", "open", "2024-06-15", "2024-07-15", E)},
    JC,
    "rehabilitation",
    {NULL},
    {{"src-region", RG, GP_REC_SOURCE_STALE, 7200, true}},
    NOTH,
    NULL,
};

START_TEST(test_existence_leaks_nothing)
{
    struct scenario *sc = malloc(sizeof *sc);
    scenario_of(&leak_base, sc);
    char *base = run(&sc->in, true);
    /* the scenario exercises the rules that may use existence: invite family, ask consent */
    ck_assert_msg(strstr(base, "invite_department/family_case high family - []"), "%s", base);
    ck_assert_msg(strstr(base, "consent_missing medium health_municipal - []"), "%s", base);
    ck_assert_msg(strstr(base, "consent_missing medium health_regional - []"), "%s", base);
    ck_assert_msg(strstr(base, "consent_missing medium social - [4]"), "%s", base);
    static const char *const never[] = {"HEMMELIG",    "9001",       "9002",
                                        "9003",        "9004",       "anbringelse",
                                        "genoptræn",   "psykiatri",  "døgnindsats",
                                        "indlæggelse", "src-family", "src-municipal_health"};
    for (size_t k = 0; k < N_ROWS(never); k++)
        ck_assert_msg(!strstr(base, never[k]), "\"%s\" in\n%s", never[k], base);
    /* every field but the area of the existence-only records, mutated: the answer is the same,
     * to the byte */
    static const char *const kinds[] = {"case", "activity", "document", "encounter"};
    static const char *const types[] = {"anbringelse", "laegeattest_lae265", "genoptraening",
                                        "ressourceforloeb", "misbrugsbehandling"};
    static const char *const dtypes[] = {"certificate", "plan", "case_summary", "grant"};
    static const char *const titles[] = {"LÆ 265", "Døgnbehandling", "Rehabiliteringsplan",
                                         "Genoptræningsplan", ""};
    static const char *const statuses[] = {"open", "planned", "closed", ""};
    static const char *const dates[] = {"2024-06-01", "2020-01-01", "2024-06-30", "", "2024-07-01"};
    static const char *const depts[] = {"job_centre", "social_services", "family", "region", "x"};
    for (int m = 0; m < 200; m++) {
        for (size_t i = 0; i < sc->in.n; i++) {
            if (sc->v[i] != GP_VIS_EXISTENCE)
                continue;
            struct gp_indexed *x = &sc->x[i];
            struct gp_record *r = &x->rec;
            x->id = 9000 + m;
            snprintf(x->department, sizeof x->department, "%s", depts[(m + i) % 5]);
            snprintf(x->case_type, sizeof x->case_type, "%s", types[(m + 2 * i) % 5]);
            snprintf(x->case_label_da, sizeof x->case_label_da, "HEMMELIG %d", m);
            snprintf(x->source_id, sizeof x->source_id, "src-%s", depts[m % 5]);
            snprintf(r->kind, sizeof r->kind, "%s", kinds[(m / 5 + i) % 4]);
            snprintf(r->data_type, sizeof r->data_type, "%s", dtypes[(m / 3 + i) % 4]);
            snprintf(r->title, sizeof r->title, "%s", titles[(m + i) % 5]);
            snprintf(r->source_code, sizeof r->source_code, "%s", titles[(m / 2) % 5]);
            snprintf(r->status, sizeof r->status, "%s", statuses[(m / 4 + i) % 4]);
            snprintf(r->start_date, sizeof r->start_date, "%s", dates[(m + i) % 5]);
            snprintf(r->end_date, sizeof r->end_date, "%s", dates[(m / 7 + i) % 5]);
            snprintf(r->document_date, sizeof r->document_date, "%s", dates[m % 5]);
            snprintf(r->caseworker_name, sizeof r->caseworker_name, "Person %d", m % 7);
        }
        char *got = run(&sc->in, true);
        ck_assert_msg(!strcmp(got, base), "mutation %d changed the answer:\n%s\n--- was\n%s", m,
                      got, base);
        free(got);
    }
    free(base);
    free(sc);
}
END_TEST

/* What summary does not show (title, data type, document date, source, references) changes
 * nothing either; what it shows may. */
START_TEST(test_summary_leaks_nothing)
{
    static const struct rrow r = {
        "summary",
        {CASE(1, JC, "ressourceforloeb", "open", "2024-01-01", NULL, F),
         CASE_T(2, SO, "misbrugsbehandling", "open", "2024-05-01", "2024-08-15", "Ambulant", S),
         ACT(3, JC, "opkvalificering", "open", "2024-06-05", "2024-08-18", F),
         CASE(4, FA, "stoettende_indsats", "open", "2024-02-01", NULL, S),
         ACT(5, MH, "genoptraening", "open", "2024-06-01", "2024-06-30", S)},
        JC,
        "target_group_identification",
        {NULL},
        {{NULL}},
        NOTH,
        NULL,
    };
    struct scenario *sc = malloc(sizeof *sc);
    scenario_of(&r, sc);
    char *base = run(&sc->in, true);
    ck_assert_msg(strstr(base, "overlapping_activities medium - - [3,5]"), "%s", base);
    ck_assert(!strstr(base, "starts_during_residential"));
    static const char *const titles[] = {"Døgnbehandling for stofmisbrug", "LÆ 265",
                                         "Rehabiliteringsplan", "Psykiatrisk indlæggelse",
                                         "HEMMELIG"};
    static const char *const dtypes[] = {"certificate", "plan", "recommendation", "decision"};
    for (int m = 0; m < 40; m++) {
        for (size_t i = 0; i < sc->in.n; i++) {
            if (sc->v[i] != GP_VIS_SUMMARY)
                continue;
            struct gp_record *rec = &sc->x[i].rec;
            snprintf(rec->title, sizeof rec->title, "%s", titles[(m + i) % 5]);
            snprintf(rec->source_code, sizeof rec->source_code, "%s", titles[(m / 5 + i) % 5]);
            snprintf(rec->data_type, sizeof rec->data_type, "%s", dtypes[(m + i) % 4]);
            snprintf(rec->document_date, sizeof rec->document_date, "2023-0%d-01", 1 + m % 9);
            snprintf(rec->source_ref, sizeof rec->source_ref, "secret-ref-%d", m);
            snprintf(rec->parent_ref, sizeof rec->parent_ref, "secret-parent-%d", m);
            snprintf(sc->x[i].source_id, sizeof sc->x[i].source_id, "secret-src-%d", m);
        }
        char *got = run(&sc->in, true);
        ck_assert_msg(!strcmp(got, base), "mutation %d changed the answer:\n%s\n--- was\n%s", m,
                      got, base);
        ck_assert(!strstr(got, "secret") && !strstr(got, "HEMMELIG"));
        free(got);
    }
    /* what summary shows does count: the case type makes an anbringelse of the family area */
    snprintf(sc->x[3].case_type, sizeof sc->x[3].case_type, "anbringelse");
    char *got = run(&sc->in, false);
    ck_assert_msg(strstr(got, "colliding_efforts/starts_during_residential high family family "
                              "[2,3,4,5]"),
                  "%s", got);
    free(got);
    free(base);
    free(sc);
}
END_TEST

/* Hidden records, passed or not, change nothing. */
START_TEST(test_hidden_changes_nothing)
{
    struct scenario *sc = malloc(sizeof *sc);
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        scenario_of(&rows[i], sc);
        char *base = run(&sc->in, true);
        static const struct trec hidden[] = {
            CASE_T(8001, FA, "anbringelse", "open", "2024-01-01", NULL, "Skjult", H),
            CASE_T(8002, SO, "boligsikring", "open", "2024-06-01", NULL, "Døgnbehandling", H),
            DOC(8003, RG, "laegeattest_lae265", "certificate", "2024-06-01", "LÆ 265", H),
            DOC(8004, MH, "genoptraening", "plan", "2024-06-01", "Genoptræningsplan", H),
            ACT(8005, MH, "genoptraening", "open", "2024-06-01", NULL, H),
        };
        for (size_t k = 0; k < N_ROWS(hidden); k++) {
            mk(&hidden[k], &sc->x[sc->in.n]);
            sc->v[sc->in.n++] = GP_VIS_HIDDEN;
        }
        char *got = run(&sc->in, true);
        ck_assert_msg(!strcmp(got, base), "%s: hidden records changed the answer:\n%s",
                      rows[i].name, got);
        free(got);
        free(base);
    }
    free(sc);
}
END_TEST

/* ---- the demo citizens ------------------------------------------------------------------- */

#define METTE "1203849318"
#define SOFIE "1402959302"
#define AS_OF "2026-11-01"

/* The policy with consent, as a caseworker of dept with consents for areas would get it. */
static enum gp_visibility demo_policy(const struct gp_indexed *x, const char *dept,
                                      const char *const *areas)
{
    if (!strcmp(x->department, dept))
        return GP_VIS_FULL;
    if (!x->cross_department)
        return GP_VIS_HIDDEN;
    for (; *areas; areas++) {
        if (!strcmp(*areas, x->area))
            return GP_VIS_FULL;
    }
    return GP_VIS_EXISTENCE;
}

static const struct gp_recommendation *find(const struct gp_recommendation_list *l,
                                            const char *code, const char *trigger, const char *area)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->items[i].code, code) && !strcmp(l->items[i].trigger, trigger) &&
            (!area || !strcmp(l->items[i].area, area)))
            return &l->items[i];
    }
    return NULL;
}

static const struct gp_indexed *by_id(const struct gp_indexed_list *l, int64_t id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i].id == id)
            return &l->items[i];
    }
    return NULL;
}

/* The evidence of r, as "case_type:title" of each record, in evidence order. */
static char *evidence_text(const struct gp_indexed_list *l, const struct gp_recommendation *r)
{
    struct gp_buf b = {0};
    gp_buf_puts(&b, "");
    for (size_t i = 0; i < r->n_evidence; i++) {
        const struct gp_indexed *x = by_id(l, r->evidence[i]);
        ck_assert(x != NULL);
        gp_buf_printf(&b, "%s%s:%s", i ? " | " : "", x->case_type, x->rec.title);
    }
    return gp_buf_steal(&b, NULL);
}

START_TEST(test_demo_mette)
{
    struct gp_indexed_list l;
    gpt_demo_records(METTE, AS_OF, &l);
    /* The job centre prepares her rehabilitation case with consent for social services and
     * health, not for the family department. */
    static const char *const consents[] = {"social", "health_municipal", "health_regional", NULL};
    enum gp_visibility *v = calloc(l.n, sizeof *v);
    for (size_t i = 0; i < l.n; i++)
        v[i] = demo_policy(&l.items[i], "job_centre", consents);
    struct gp_rec_input in = {.records = l.items,
                              .visibility = v,
                              .n = l.n,
                              .consent_areas = consents,
                              .n_consent_areas = 3,
                              .caller_department = "job_centre",
                              .caller_area = "employment",
                              .purpose = "rehabilitation",
                              .today = AS_OF,
                              .labels = db_labels()};
    struct gp_recommendation_list out;
    ck_assert_int_eq(gp_recommend(&in, &out), GP_REC_OK);
    char *all = render(&out, true);
    if (getenv("GP_TEST_PRINT")) /* to read the answers: GP_TEST_PRINT=1 test_recommend */
        fprintf(stderr, "--- Mette, job centre\n%s\n", all);

    const struct gp_recommendation *r =
        find(&out, "coordinated_effort_candidate", "areas_and_caseworkers", NULL);
    ck_assert_msg(r && r->priority == GP_REC_HIGH, "%s", all);
    ck_assert_msg(strstr(r->reason_da, "3 områder (Beskæftigelse, Regional sundhed, "
                                       "Voksen-social)"),
                  "%s", r->reason_da);

    r = find(&out, "gather_before_rehabilitation_meeting", "rehabilitation_plan",
             "health_municipal");
    ck_assert_msg(r != NULL, "%s", all);
    char *ev = evidence_text(&l, r);
    /* the CarePlan of her finished genoptræning and the hospital's GOP document */
    ck_assert_str_eq(ev, "genoptraening:Genoptræningsplan – Genoptræning efter sundhedslovens "
                         "§ 140 | genoptraening:Genoptræningsplan (GOP) fra hospital");
    free(ev);

    /* the same LÆ 265 of 2024-11-20 in the job centre and the region */
    r = find(&out, "gather_before_rehabilitation_meeting", "lae265_outdated", NULL);
    ck_assert_msg(r && r->priority == GP_REC_HIGH && r->n_evidence == 2, "%s", all);
    ev = evidence_text(&l, r);
    ck_assert_str_eq(ev, "jobafklaring:Attest til rehabiliteringsteamet (LÆ 265) | "
                         "sundhedskoordinator:LÆ 265 Attest til rehabiliteringsteamet");
    free(ev);
    ck_assert(strstr(r->reason_da, "2024-11-20"));

    /* the family department: existence only, so no evidence, and consent to ask for */
    r = find(&out, "invite_department", "family_case", "family");
    ck_assert_msg(r && r->n_evidence == 0 && r->priority == GP_REC_HIGH, "%s", all);
    r = find(&out, "gather_before_rehabilitation_meeting", "consent_missing", "family");
    ck_assert_msg(r && r->n_evidence == 0, "%s", all);
    ck_assert_msg(strstr(r->reason_da, "Der findes data i området Børn og familie, som du ikke "
                                       "kan se fuldt ud, og der er intet samtykke til formålet "
                                       "rehabilitering for området."),
                  "%s", r->reason_da);
    ck_assert_msg(!find(&out, "gather_before_rehabilitation_meeting", "consent_missing", "social"),
                  "%s", all);

    r = find(&out, "invite_department", "open_effort", "social");
    ck_assert_msg(r && !strcmp(r->department, "social_services"), "%s", all);
    ev = evidence_text(&l, r);
    ck_assert_str_eq(ev, "bostoette:Socialpædagogisk støtte");
    free(ev);
    r = find(&out, "invite_department", "open_effort", "health_regional");
    ck_assert_msg(r && !strcmp(r->department, "region"), "%s", all);
    ck_assert_msg(!find(&out, "colliding_efforts", "starts_during_residential", NULL), "%s", all);
    /* nothing of her children's cases but the family area */
    ck_assert_msg(!strstr(all, "Oliver") && !strstr(all, "Ida") && !strstr(all, "stoettende") &&
                      !strstr(all, "Familiebehandling"),
                  "%s", all);
    for (size_t i = 0; i < out.n; i++) {
        for (size_t k = 0; k < out.items[i].n_evidence; k++)
            ck_assert_str_ne(by_id(&l, out.items[i].evidence[k])->area, "family");
    }
    free(all);
    gp_recommendation_list_free(&out);
    free(v);
    gp_indexed_list_free(&l);
}
END_TEST

START_TEST(test_demo_sofie)
{
    struct gp_indexed_list l;
    gpt_demo_records(SOFIE, AS_OF, &l);
    /* Social services, her døgnbehandling's department, with her consent for the job centre
     * and the region. */
    static const char *const consents[] = {"employment", "health_regional", NULL};
    enum gp_visibility *v = calloc(l.n, sizeof *v);
    for (size_t i = 0; i < l.n; i++)
        v[i] = demo_policy(&l.items[i], "social_services", consents);
    struct gp_rec_input in = {.records = l.items,
                              .visibility = v,
                              .n = l.n,
                              .consent_areas = consents,
                              .n_consent_areas = 2,
                              .caller_department = "social_services",
                              .caller_area = "social",
                              .purpose = "coordinated_effort",
                              .today = AS_OF,
                              .labels = db_labels()};
    struct gp_recommendation_list out;
    ck_assert_int_eq(gp_recommend(&in, &out), GP_REC_OK);
    char *all = render(&out, true);
    if (getenv("GP_TEST_PRINT"))
        fprintf(stderr, "--- Sofie, social services\n%s\n", all);
    const struct gp_recommendation *r =
        find(&out, "colliding_efforts", "starts_during_residential", "social");
    ck_assert_msg(r && r->priority == GP_REC_HIGH, "%s", all);
    char *ev = evidence_text(&l, r);
    /* døgnbehandling 2026-09-01..12-15; kursus from 10-05, praktik from 11-02 (job centre),
     * psychiatric admission from 10-20 (region); not mentor (since 2025) nor the benefit */
    ck_assert_str_eq(ev, "opkvalificering:Kursus | virksomhedspraktik:Virksomhedspraktik | "
                         "misbrugsbehandling:Døgnbehandling for stofmisbrug | "
                         "psykiatrisk_behandling:Psykiatrisk indlæggelse");
    free(ev);
    ck_assert_msg(strstr(r->reason_da, "Døgnbehandling for stofmisbrug (Socialforvaltningen, "
                                       "2026-09-01–2026-12-15) er en døgnindsats, og i "
                                       "samme periode starter: Kursus (Jobcenter, "
                                       "2026-10-05); Psykiatrisk indlæggelse (Region "
                                       "(hospital, sundhedskoordinator), 2026-10-20); "
                                       "Virksomhedspraktik (Jobcenter, "
                                       "2026-11-02)."),
                  "%s", r->reason_da);
    /* the admission 2026-10-20..11-03 is residential too: the praktik starts during it */
    r = find(&out, "colliding_efforts", "starts_during_residential", "health_regional");
    ck_assert_msg(r != NULL, "%s", all);
    ev = evidence_text(&l, r);
    ck_assert_str_eq(ev, "virksomhedspraktik:Virksomhedspraktik | "
                         "psykiatrisk_behandling:Psykiatrisk indlæggelse");
    free(ev);
    r = find(&out, "coordinated_effort_candidate", "areas_and_caseworkers", NULL);
    ck_assert_msg(r != NULL, "%s", all);
    free(all);
    gp_recommendation_list_free(&out);

    /* The job centre without her consent sees its own records only: no collision it could
     * explain, and nothing of the social or regional records. */
    static const char *const none[] = {NULL};
    for (size_t i = 0; i < l.n; i++)
        v[i] = demo_policy(&l.items[i], "job_centre", none);
    in.consent_areas = none;
    in.n_consent_areas = 0;
    in.caller_department = "job_centre";
    in.caller_area = "employment";
    ck_assert_int_eq(gp_recommend(&in, &out), GP_REC_OK);
    all = render(&out, true);
    ck_assert_msg(!strstr(all, "colliding_efforts") && !strstr(all, "øgn") &&
                      !strstr(all, "sykiatri") && !strstr(all, "social_services") &&
                      !strstr(all, "region"),
                  "%s", all);
    free(all);
    gp_recommendation_list_free(&out);
    free(v);
    gp_indexed_list_free(&l);
}
END_TEST

/* Labels of its own for every area and department of migration 0001: "DA <code>", "EN <code>". */
static void own_labels(struct gp_labels *l)
{
    gpt_demo_labels(l);
    struct gp_label *all[2] = {l->areas, l->departments};
    size_t n[2] = {l->n_areas, l->n_departments};
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < n[t]; i++) {
            free(all[t][i].da);
            free(all[t][i].en);
            all[t][i].da = gp_xasprintf("DA %s", all[t][i].code);
            all[t][i].en = gp_xasprintf("EN %s", all[t][i].code);
        }
    }
}

/* Areas and departments are named by the labels in the input and by nothing else: with labels
 * of its own, no name of the database's (nor of the copy lib/insight/recommend.c once had:
 * "Jobcentret") appears; without labels, a code names itself. */
START_TEST(test_labels_are_input)
{
    struct gp_indexed_list l;
    gpt_demo_records(METTE, AS_OF, &l);
    static const char *const consents[] = {"social", "health_municipal", "health_regional", NULL};
    enum gp_visibility *v = calloc(l.n, sizeof *v);
    for (size_t i = 0; i < l.n; i++)
        v[i] = demo_policy(&l.items[i], "job_centre", consents);
    struct gp_labels own;
    own_labels(&own);
    struct gp_rec_input in = {.records = l.items,
                              .visibility = v,
                              .n = l.n,
                              .consent_areas = consents,
                              .n_consent_areas = 3,
                              .caller_department = "job_centre",
                              .caller_area = "employment",
                              .purpose = "rehabilitation",
                              .today = AS_OF,
                              .labels = &own};
    static const char *const want[] = {
        "3 områder (DA employment, DA health_regional, DA social)",
        "open efforts in 3 areas (EN employment, EN health_regional, EN social)",
        "DA health_municipal har en genoptrænings- eller rehabiliteringsplan: ",
        "EN health_municipal holds a re-training or rehabilitation plan: ",
        "Borgeren har en sag i området DA family",
        "The citizen has a case in the EN family area",
        "Der findes data i området DA family, som du ikke kan se fuldt ud",
        "There is data in the EN family area that you cannot see in full",
        "DA social_services har åbne indsatser for borgeren: ",
        "EN social_services has open efforts for the citizen: ",
        "DA region har åbne indsatser for borgeren: ",
    };
    static const char *const never[] = {"Jobcent",          "Job centre",       "Beskæftigelse",
                                        "Employment",       "Børn og familie",  "Children and",
                                        "Kommunal sundhed", "Municipal health", "Socialforvaltning",
                                        "Social services",  "Voksen-social",    "Regional sundhed"};
    struct gp_recommendation_list out;
    ck_assert_int_eq(gp_recommend(&in, &out), GP_REC_OK);
    char *all = render(&out, true);
    for (size_t i = 0; i < N_ROWS(want); i++)
        ck_assert_msg(strstr(all, want[i]), "no '%s' in\n%s", want[i], all);
    for (size_t i = 0; i < N_ROWS(never); i++)
        ck_assert_msg(!strstr(all, never[i]), "'%s' in\n%s", never[i], all);
    free(all);
    gp_recommendation_list_free(&out);

    /* no labels: the codes */
    in.labels = NULL;
    ck_assert_int_eq(gp_recommend(&in, &out), GP_REC_OK);
    all = render(&out, true);
    ck_assert_msg(strstr(all, "3 områder (employment, health_regional, social)"), "%s", all);
    ck_assert_msg(strstr(all, "Borgeren har en sag i området family"), "%s", all);
    ck_assert_msg(strstr(all, "social_services har åbne indsatser for borgeren: "), "%s", all);
    for (size_t i = 0; i < N_ROWS(never); i++)
        ck_assert_msg(!strstr(all, never[i]), "'%s' in\n%s", never[i], all);
    free(all);
    gp_recommendation_list_free(&out);
    gp_labels_free(&own);
    free(v);
    gp_indexed_list_free(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recommend");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_rules_table);
    tcase_add_test(tc, test_reasons);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("visibility");
    tcase_add_test(tc, test_existence_leaks_nothing);
    tcase_add_test(tc, test_summary_leaks_nothing);
    tcase_add_test(tc, test_hidden_changes_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("demo");
    tcase_add_test(tc, test_demo_mette);
    tcase_add_test(tc, test_demo_sofie);
    tcase_add_test(tc, test_labels_are_input);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
