#include "lib/insight/recommend.h"

#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/core/date.h"
#include "lib/core/text.h"
#include "lib/insight/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DISTINCT 64 /* distinct areas, departments or caseworkers a rule tells apart */

struct gp_rec_thresholds gp_rec_thresholds_default(void)
{
    return (struct gp_rec_thresholds){.coordinated_min_areas = 2,
                                      .coordinated_min_caseworkers = 3,
                                      .lae265_max_months = 3,
                                      .source_max_age_s = 86400};
}

const char *gp_rec_priority_name(enum gp_rec_priority p)
{
    switch (p) {
    case GP_REC_HIGH:
        return "high";
    case GP_REC_MEDIUM:
        return "medium";
    default:
        return "low";
    }
}

void gp_recommendation_list_free(struct gp_recommendation_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].reason_da);
        free(l->items[i].reason_en);
        free(l->items[i].evidence);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* ---- words ---------------------------------------------------------------------------------- */

/* The purposes of lib/core/purpose.c, as a reason names them. Purposes are a fixed vocabulary
 * of the code, not data in the database (areas and departments are: their names come in the
 * input's labels). */
static const struct {
    const char *code, *da, *en;
} purpose_labels[] = {
    {"rehabilitation", "rehabilitering", "rehabilitation"},
    {"coordinated_effort", "helhedsorienteret indsats", "coordinated effort"},
    {"target_group_identification", "udsøgning af målgruppen", "target-group identification"},
    {"own_case", "egen sag", "own case"},
};

static const char *purpose_label(const char *code, bool da)
{
    for (size_t i = 0; i < sizeof purpose_labels / sizeof *purpose_labels; i++) {
        if (!strcmp(purpose_labels[i].code, code))
            return da ? purpose_labels[i].da : purpose_labels[i].en;
    }
    return code;
}

static bool is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static bool any_of(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (is(s, *list))
            return true;
    }
    return false;
}

static bool folded_has(const char *s, const char *kw)
{
    char f[512];
    gp_text_fold(s, GP_FOLD_ALNUM, f, sizeof f);
    return strstr(f, kw) != NULL;
}

/* ---- the views the rules read ----------------------------------------------------------- */

struct ctx {
    const struct gp_rec_input *in;
    struct gp_rec_thresholds th;
    int32_t today;
    struct gp_view *v;
    size_t nv;
    struct gp_recommendation_list *out;
    size_t cap;
};

/* An area's or a department's name as the input's labels (the database's) give it. */
static const char *area_name(const struct ctx *c, const char *code, bool da)
{
    return gp_label_area(c->in->labels, code, da);
}

static const char *dept_name(const struct ctx *c, const char *code, bool da)
{
    return gp_label_department(c->in->labels, code, da);
}

static bool seen(const struct gp_view *v)
{
    return v->vis >= GP_VIS_SUMMARY;
}

static bool day_of(const char *s, int32_t *d)
{
    return s && *s && gp_day_parse(s, d);
}

/* A case or an activity with a start date, seen at summary or full. */
static bool effort(const struct gp_view *v)
{
    int32_t d;
    return seen(v) && (is(v->kind, "case") || is(v->kind, "activity")) && day_of(v->start, &d);
}

static bool current(const struct gp_view *v)
{
    return is(v->status, "open") || is(v->status, "planned");
}

static int32_t start_day(const struct gp_view *v)
{
    int32_t d = 0;
    day_of(v->start, &d);
    return d;
}

/* The last day of a period; open-ended: the end of time. */
static int32_t end_day(const struct gp_view *v)
{
    int32_t d;
    return day_of(v->end, &d) ? d : INT32_MAX;
}

/* Case types of income support: an activity of one of these is a benefit paid (a Momentum
 * ydelse, or a registration inheriting its course's type), not something the citizen
 * attends. */
static bool benefit(const struct gp_view *v)
{
    static const char *const types[] = {"kontanthjaelp",
                                        "uddannelseshjaelp",
                                        "sygedagpenge",
                                        "jobafklaring",
                                        "ressourceforloeb",
                                        "fleksjob",
                                        "revalidering",
                                        "ledighedsydelse",
                                        "foertidspension",
                                        "enkeltydelser",
                                        NULL};
    return is(v->kind, "activity") && any_of(v->case_type, types);
}

/* How a record is named in a reason: its title when seen in full, else its case type. */
static const char *name_of(const struct gp_view *v, bool da)
{
    if (v->vis == GP_VIS_FULL && v->title[0])
        return v->title;
    const char *l = da ? v->label_da : v->label_en;
    return l[0] ? l : v->case_type;
}

static bool consented(const struct ctx *c, const char *area)
{
    for (size_t i = 0; i < c->in->n_consent_areas; i++) {
        if (is(c->in->consent_areas[i], area))
            return true;
    }
    return false;
}

static bool caller_dept(const struct ctx *c, const char *dept)
{
    const char *d = c->in->caller_department;
    return d && *d && is(d, dept);
}

/* ---- building recommendations ------------------------------------------------------------ */

struct draft {
    struct gp_recommendation *r;
    struct gp_buf da, en;
    size_t cap;
};

static void draft_begin(struct ctx *c, struct draft *d, const char *code, const char *trigger,
                        const char *title_da, const char *title_en, enum gp_rec_priority prio,
                        const char *area, const char *department)
{
    if (c->out->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->out->items = gp_xrealloc(c->out->items, c->cap * sizeof *c->out->items);
    }
    memset(d, 0, sizeof *d);
    d->r = &c->out->items[c->out->n++];
    memset(d->r, 0, sizeof *d->r);
    d->r->code = code;
    d->r->trigger = trigger;
    d->r->title_da = title_da;
    d->r->title_en = title_en;
    d->r->priority = prio;
    snprintf(d->r->area, sizeof d->r->area, "%s", area ? area : "");
    snprintf(d->r->department, sizeof d->r->department, "%s", department ? department : "");
}

static void evidence(struct draft *d, const struct gp_view *v)
{
    if (!seen(v) || v->id <= 0)
        return; /* only records the caller sees individually are evidence */
    struct gp_recommendation *r = d->r;
    if (r->n_evidence == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        r->evidence = gp_xrealloc(r->evidence, d->cap * sizeof *r->evidence);
    }
    r->evidence[r->n_evidence++] = v->id;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void draft_end(struct draft *d)
{
    struct gp_recommendation *r = d->r;
    if (r->n_evidence) {
        qsort(r->evidence, r->n_evidence, sizeof *r->evidence, id_cmp);
        size_t k = 1;
        for (size_t i = 1; i < r->n_evidence; i++) {
            if (r->evidence[i] != r->evidence[k - 1])
                r->evidence[k++] = r->evidence[i];
        }
        r->n_evidence = k;
    }
    r->reason_da = gp_buf_steal(&d->da, NULL);
    r->reason_en = gp_buf_steal(&d->en, NULL);
}

/* A list of distinct strings (areas, departments, names), in first-seen order. */
struct set {
    const char *s[MAX_DISTINCT];
    size_t n;
};

static bool set_add(struct set *st, const char *s)
{
    for (size_t i = 0; i < st->n; i++) {
        if (!strcmp(st->s[i], s))
            return false;
    }
    if (st->n < MAX_DISTINCT)
        st->s[st->n++] = s;
    return true;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void set_sort(struct set *st)
{
    qsort(st->s, st->n, sizeof st->s[0], str_cmp);
}

/* Appends the distinct names of vs[0..n) as "a, b, c". */
static void names(struct gp_buf *b, struct gp_view *const *vs, size_t n, bool da)
{
    struct set st = {0};
    for (size_t i = 0; i < n; i++)
        set_add(&st, name_of(vs[i], da));
    for (size_t i = 0; i < st.n; i++)
        gp_buf_printf(b, "%s%s", i ? ", " : "", st.s[i]);
}

/* ---- rule: coordinated_effort_candidate ------------------------------------------------------ */

static void rule_coordinated(struct ctx *c)
{
    struct set areas = {0}, workers = {0};
    char folded[MAX_DISTINCT][128];
    size_t nf = 0;
    for (size_t i = 0; i < c->nv; i++) {
        struct gp_view *v = &c->v[i];
        if (!effort(v) || !is(v->status, "open"))
            continue;
        set_add(&areas, v->area);
        if (v->caseworker_name[0] && nf < MAX_DISTINCT) {
            gp_text_fold(v->caseworker_name, GP_FOLD_ALNUM, folded[nf], sizeof folded[nf]);
            if (folded[nf][0] && set_add(&workers, folded[nf]))
                nf++;
        }
    }
    int min_a = c->th.coordinated_min_areas, min_w = c->th.coordinated_min_caseworkers;
    bool by_areas = min_a > 0 && areas.n >= (size_t)min_a;
    bool by_workers = min_w > 0 && workers.n >= (size_t)min_w;
    if (!by_areas && !by_workers)
        return;
    struct draft d;
    draft_begin(c, &d, "coordinated_effort_candidate",
                by_areas && by_workers ? "areas_and_caseworkers"
                : by_areas             ? "areas"
                                       : "caseworkers",
                "Kandidat til en helhedsorienteret indsats", "Candidate for a coordinated effort",
                by_areas && by_workers ? GP_REC_HIGH : GP_REC_MEDIUM, NULL, NULL);
    set_sort(&areas);
    gp_buf_printf(&d.da, "Borgeren har åbne indsatser i %zu %s (", areas.n,
                  areas.n == 1 ? "område" : "områder");
    gp_buf_printf(&d.en, "The citizen has open efforts in %zu %s (", areas.n,
                  areas.n == 1 ? "area" : "areas");
    for (size_t i = 0; i < areas.n; i++) {
        gp_buf_printf(&d.da, "%s%s", i ? ", " : "", area_name(c, areas.s[i], true));
        gp_buf_printf(&d.en, "%s%s", i ? ", " : "", area_name(c, areas.s[i], false));
    }
    gp_buf_printf(&d.da,
                  ") hos %zu forskellige sagsbehandlere. Tærsklen er %d områder eller %d "
                  "sagsbehandlere.",
                  workers.n, min_a, min_w);
    gp_buf_printf(&d.en,
                  ") with %zu different caseworkers. The threshold is %d areas or %d "
                  "caseworkers.",
                  workers.n, min_a, min_w);
    for (size_t i = 0; i < c->nv; i++) {
        if (effort(&c->v[i]) && is(c->v[i].status, "open"))
            evidence(&d, &c->v[i]);
    }
    draft_end(&d);
}

/* ---- rule: gather_before_rehabilitation_meeting ------------------------------------------ */

static bool rehabilitation_context(const struct ctx *c)
{
    static const char *const courses[] = {"ressourceforloeb", "jobafklaring", "sundhedskoordinator",
                                          NULL};
    if (is(c->in->purpose, "rehabilitation"))
        return true;
    for (size_t i = 0; i < c->nv; i++) {
        const struct gp_view *v = &c->v[i];
        if (effort(v) && current(v) && any_of(v->case_type, courses))
            return true;
        if (v->vis == GP_VIS_FULL && is(v->data_type, "plan") &&
            folded_has(v->title, "rehabiliteringsplan"))
            return true;
    }
    return false;
}

static bool rehabilitation_plan(const struct ctx *c, const struct gp_view *v)
{
    return v->vis == GP_VIS_FULL && is(v->data_type, "plan") && is(v->area, "health_municipal") &&
           !caller_dept(c, v->department) &&
           (is(v->case_type, "genoptraening") || is(v->case_type, "rehabilitering") ||
            folded_has(v->title, "genoptr") || folded_has(v->title, "rehabilit"));
}

static bool lae265(const struct gp_view *v, int32_t *date)
{
    if (v->vis != GP_VIS_FULL || !is(v->data_type, "certificate"))
        return false;
    if (!is(v->case_type, "laegeattest_lae265") && !folded_has(v->title, "lae265") &&
        !folded_has(v->source_code, "lae265"))
        return false;
    return day_of(v->document_date, date) || day_of(v->start, date);
}

static void gather_plans(struct ctx *c)
{
    struct gp_view *plans[MAX_DISTINCT];
    size_t n = 0;
    struct set depts = {0};
    for (size_t i = 0; i < c->nv && n < MAX_DISTINCT; i++) {
        if (rehabilitation_plan(c, &c->v[i])) {
            plans[n++] = &c->v[i];
            set_add(&depts, c->v[i].department);
        }
    }
    if (!n)
        return;
    struct draft d;
    draft_begin(c, &d, "gather_before_rehabilitation_meeting", "rehabilitation_plan",
                "Indhent genoptrænings- eller rehabiliteringsplanen før mødet",
                "Gather the re-training or rehabilitation plan before the meeting", GP_REC_MEDIUM,
                "health_municipal", depts.n == 1 ? depts.s[0] : NULL);
    gp_buf_printf(&d.da, "%s har en genoptrænings- eller rehabiliteringsplan: ",
                  area_name(c, "health_municipal", true));
    gp_buf_printf(&d.en, "%s holds a re-training or rehabilitation plan: ",
                  area_name(c, "health_municipal", false));
    for (size_t i = 0; i < n; i++) {
        const struct gp_view *v = plans[i];
        const char *date = v->document_date[0] ? v->document_date : v->start;
        gp_buf_printf(&d.da, "%s%s%s%s%s", i ? "; " : "", name_of(v, true), date[0] ? " (" : "",
                      date, date[0] ? ")" : "");
        gp_buf_printf(&d.en, "%s%s%s%s%s", i ? "; " : "", name_of(v, false), date[0] ? " (" : "",
                      date, date[0] ? ")" : "");
        evidence(&d, v);
    }
    gp_buf_puts(&d.da, ". Planen og forløbet kan have betydning for borgerens arbejdsevne; tag "
                       "den med i rehabiliteringsplanens forberedende del.");
    gp_buf_puts(&d.en, ". The plan and its progress can matter for the citizen's capacity to "
                       "work; include it in the rehabilitation plan's preparatory part.");
    draft_end(&d);
}

static void gather_lae265(struct ctx *c)
{
    int months = c->th.lae265_max_months;
    if (months <= 0)
        return;
    int32_t newest = INT32_MIN, date;
    for (size_t i = 0; i < c->nv; i++) {
        if (lae265(&c->v[i], &date) && date > newest)
            newest = date;
    }
    struct draft d;
    if (newest == INT32_MIN) {
        draft_begin(c, &d, "gather_before_rehabilitation_meeting", "lae265_missing",
                    "Bestil en LÆ 265 før mødet", "Request a LÆ 265 before the meeting",
                    GP_REC_MEDIUM, NULL, NULL);
        gp_buf_puts(&d.da, "Der er ingen LÆ 265 (attest til rehabiliteringsteamet) blandt de "
                           "data, du kan se. Bestil den hos borgerens egen læge i god tid før "
                           "mødet i rehabiliteringsteamet.");
        gp_buf_puts(&d.en, "There is no LÆ 265 (certificate for the rehabilitation team) among "
                           "the data you can see. Request it from the citizen's own doctor well "
                           "before the rehabilitation team meets.");
        draft_end(&d);
        return;
    }
    if (newest >= gp_day_minus_months(c->today, months))
        return;
    struct set areas = {0};
    for (size_t i = 0; i < c->nv; i++) {
        if (lae265(&c->v[i], &date) && date == newest)
            set_add(&areas, c->v[i].area);
    }
    char day[11];
    gp_day_format(newest, day);
    draft_begin(c, &d, "gather_before_rehabilitation_meeting", "lae265_outdated",
                "Bestil en ny LÆ 265 før mødet", "Request a new LÆ 265 before the meeting",
                GP_REC_HIGH, areas.n == 1 ? areas.s[0] : NULL, NULL);
    gp_buf_printf(&d.da,
                  "Den nyeste LÆ 265 er fra %s og dermed mere end %d måneder gammel. Bestil en "
                  "ny hos borgerens egen læge før mødet i rehabiliteringsteamet.",
                  day, months);
    gp_buf_printf(&d.en,
                  "The newest LÆ 265 is from %s, more than %d months old. Request a new one "
                  "from the citizen's own doctor before the rehabilitation team meets.",
                  day, months);
    for (size_t i = 0; i < c->nv; i++) {
        if (lae265(&c->v[i], &date) && date == newest)
            evidence(&d, &c->v[i]);
    }
    draft_end(&d);
}

static void gather_consent(struct ctx *c)
{
    struct set areas = {0};
    for (size_t i = 0; i < c->nv; i++) {
        if (c->v[i].vis != GP_VIS_FULL && !consented(c, c->v[i].area))
            set_add(&areas, c->v[i].area);
    }
    set_sort(&areas);
    const char *purpose = c->in->purpose && *c->in->purpose ? c->in->purpose : NULL;
    for (size_t a = 0; a < areas.n; a++) {
        struct draft d;
        draft_begin(c, &d, "gather_before_rehabilitation_meeting", "consent_missing",
                    "Spørg borgeren om samtykke", "Ask the citizen for consent", GP_REC_MEDIUM,
                    areas.s[a], NULL);
        gp_buf_printf(&d.da,
                      "Der findes data i området %s, som du ikke kan se fuldt ud, og der er "
                      "intet samtykke til formålet %s for området. Spørg borgeren om samtykke, "
                      "hvis data herfra skal indgå før mødet i rehabiliteringsteamet.",
                      area_name(c, areas.s[a], true), purpose ? purpose_label(purpose, true) : "-");
        gp_buf_printf(&d.en,
                      "There is data in the %s area that you cannot see in full, and there is "
                      "no consent for the purpose %s for that area. Ask the citizen for consent "
                      "if data from it is to be included before the rehabilitation team meets.",
                      area_name(c, areas.s[a], false),
                      purpose ? purpose_label(purpose, false) : "-");
        for (size_t i = 0; i < c->nv; i++) {
            if (c->v[i].vis == GP_VIS_SUMMARY && is(c->v[i].area, areas.s[a]))
                evidence(&d, &c->v[i]);
        }
        draft_end(&d);
    }
}

static void rule_gather(struct ctx *c)
{
    if (!rehabilitation_context(c))
        return;
    gather_plans(c);
    gather_lae265(c);
    gather_consent(c);
}

/* ---- rule: invite_department -------------------------------------------------------------- */

static void invite_family(struct ctx *c)
{
    if (is(c->in->caller_area, "family"))
        return;
    bool exists = false;
    struct gp_view *open[MAX_DISTINCT];
    size_t n = 0;
    struct set depts = {0};
    for (size_t i = 0; i < c->nv; i++) {
        struct gp_view *v = &c->v[i];
        if (!is(v->area, "family"))
            continue;
        if (v->vis == GP_VIS_EXISTENCE)
            exists = true;
        else if (effort(v) && current(v) && n < MAX_DISTINCT) {
            open[n++] = v;
            set_add(&depts, v->department);
        }
    }
    if (!exists && !n)
        return;
    struct draft d;
    draft_begin(c, &d, "invite_department", "family_case", "Inviter familieafdelingen",
                "Invite the family department", GP_REC_HIGH, "family",
                depts.n == 1 ? depts.s[0] : NULL);
    gp_buf_printf(&d.da, "Borgeren har en sag i området %s", area_name(c, "family", true));
    gp_buf_printf(&d.en, "The citizen has a case in the %s area", area_name(c, "family", false));
    if (n) {
        gp_buf_puts(&d.da, " (åben eller planlagt: ");
        gp_buf_puts(&d.en, " (open or planned: ");
        names(&d.da, open, n, true);
        names(&d.en, open, n, false);
        gp_buf_puts(&d.da, ")");
        gp_buf_puts(&d.en, ")");
        for (size_t i = 0; i < n; i++)
            evidence(&d, open[i]);
    }
    gp_buf_puts(&d.da, ". En familie- eller børnesag kan have afgørende betydning for borgerens "
                       "situation: inviter familieafdelingen til mødet.");
    gp_buf_puts(&d.en, ". A family or child case can be decisive for the citizen's situation: "
                       "invite the family department to the meeting.");
    draft_end(&d);
}

static void invite_others(struct ctx *c)
{
    struct set depts = {0};
    for (size_t i = 0; i < c->nv; i++) {
        struct gp_view *v = &c->v[i];
        if (effort(v) && is(v->status, "open") && !is(v->area, "family") && v->department[0] &&
            !caller_dept(c, v->department))
            set_add(&depts, v->department);
    }
    set_sort(&depts);
    for (size_t k = 0; k < depts.n; k++) {
        struct gp_view *open[MAX_DISTINCT];
        size_t n = 0;
        struct set workers = {0}, areas = {0};
        for (size_t i = 0; i < c->nv && n < MAX_DISTINCT; i++) {
            struct gp_view *v = &c->v[i];
            if (effort(v) && is(v->status, "open") && !is(v->area, "family") &&
                is(v->department, depts.s[k])) {
                open[n++] = v;
                set_add(&areas, v->area);
                if (v->caseworker_name[0])
                    set_add(&workers, v->caseworker_name);
            }
        }
        struct draft d;
        draft_begin(c, &d, "invite_department", "open_effort", "Inviter en forvaltning til mødet",
                    "Invite a department to the meeting", GP_REC_MEDIUM,
                    areas.n == 1 ? areas.s[0] : NULL, depts.s[k]);
        gp_buf_printf(&d.da,
                      "%s har åbne indsatser for borgeren: ", dept_name(c, depts.s[k], true));
        gp_buf_printf(&d.en,
                      "%s has open efforts for the citizen: ", dept_name(c, depts.s[k], false));
        names(&d.da, open, n, true);
        names(&d.en, open, n, false);
        if (workers.n) {
            gp_buf_puts(&d.da, " (sagsbehandler: ");
            gp_buf_puts(&d.en, " (caseworker: ");
            for (size_t i = 0; i < workers.n; i++) {
                gp_buf_printf(&d.da, "%s%s", i ? ", " : "", workers.s[i]);
                gp_buf_printf(&d.en, "%s%s", i ? ", " : "", workers.s[i]);
            }
            gp_buf_puts(&d.da, ")");
            gp_buf_puts(&d.en, ")");
        }
        gp_buf_puts(&d.da, ". Inviter forvaltningen til mødet, så indsatserne kan koordineres.");
        gp_buf_puts(&d.en, ". Invite the department to the meeting so the efforts can be "
                           "coordinated.");
        for (size_t i = 0; i < n; i++)
            evidence(&d, open[i]);
        draft_end(&d);
    }
}

static void rule_invite(struct ctx *c)
{
    invite_family(c);
    invite_others(c);
}

/* ---- rule: colliding_efforts ---------------------------------------------------------------- */

static bool residential(const struct gp_view *v)
{
    if (!effort(v) || !current(v))
        return false;
    if (is(v->case_type, "anbringelse"))
        return true;
    if (v->vis != GP_VIS_FULL)
        return false;
    return folded_has(v->title, "doegn") || folded_has(v->title, "indlaeggelse") ||
           folded_has(v->source_code, "doegn") || folded_has(v->source_code, "indlaeggelse");
}

static void period_text(struct gp_buf *b, const struct gp_view *v, bool da)
{
    gp_buf_printf(b, "%s–%s", v->start, v->end[0] ? v->end : da ? "løbende" : "ongoing");
}

static void collide_residential(struct ctx *c)
{
    for (size_t r = 0; r < c->nv; r++) {
        struct gp_view *R = &c->v[r];
        if (!residential(R))
            continue;
        int32_t rs = start_day(R), re = end_day(R);
        struct gp_view *during[MAX_DISTINCT];
        size_t n = 0;
        for (size_t i = 0; i < c->nv && n < MAX_DISTINCT; i++) {
            struct gp_view *E = &c->v[i];
            if (i == r || !effort(E) || !current(E) || benefit(E) ||
                is(E->department, R->department))
                continue;
            int32_t es = start_day(E);
            if (es >= rs && es <= re)
                during[n++] = E;
        }
        if (!n)
            continue;
        /* in the order they start (insertion sort: a handful at most) */
        for (size_t i = 1; i < n; i++) {
            for (size_t k = i; k > 0 && start_day(during[k]) < start_day(during[k - 1]); k--) {
                struct gp_view *t = during[k];
                during[k] = during[k - 1];
                during[k - 1] = t;
            }
        }
        struct draft d;
        draft_begin(c, &d, "colliding_efforts", "starts_during_residential",
                    "Ny indsats under døgnindsats", "New effort during a residential effort",
                    GP_REC_HIGH, R->area, R->department);
        gp_buf_printf(&d.da, "%s (%s, ", name_of(R, true), dept_name(c, R->department, true));
        gp_buf_printf(&d.en, "%s (%s, ", name_of(R, false), dept_name(c, R->department, false));
        period_text(&d.da, R, true);
        period_text(&d.en, R, false);
        gp_buf_puts(&d.da, ") er en døgnindsats, og i samme periode starter: ");
        gp_buf_puts(&d.en, ") is a residential effort, and during it starts: ");
        evidence(&d, R);
        for (size_t i = 0; i < n; i++) {
            gp_buf_printf(&d.da, "%s%s (%s, %s)", i ? "; " : "", name_of(during[i], true),
                          dept_name(c, during[i]->department, true), during[i]->start);
            gp_buf_printf(&d.en, "%s%s (%s, %s)", i ? "; " : "", name_of(during[i], false),
                          dept_name(c, during[i]->department, false), during[i]->start);
            evidence(&d, during[i]);
        }
        gp_buf_puts(&d.da, ". En ny indsats under døgnbehandling, indlæggelse eller anbringelse "
                           "bør koordineres med den eller udskydes.");
        gp_buf_puts(&d.en, ". A new effort during residential treatment, an admission or a "
                           "placement should be coordinated with it or postponed.");
        draft_end(&d);
    }
}

static bool attended_activity(const struct gp_view *v)
{
    return effort(v) && is(v->kind, "activity") && current(v) && !benefit(v);
}

static void collide_activities(struct ctx *c)
{
    struct draft d;
    bool any = false;
    for (size_t i = 0; i < c->nv; i++) {
        struct gp_view *a = &c->v[i];
        if (!attended_activity(a))
            continue;
        for (size_t j = i + 1; j < c->nv; j++) {
            struct gp_view *b = &c->v[j];
            if (!attended_activity(b) || is(a->department, b->department))
                continue;
            int32_t s = start_day(a) > start_day(b) ? start_day(a) : start_day(b);
            int32_t e = end_day(a) < end_day(b) ? end_day(a) : end_day(b);
            if (s > e)
                continue;
            if (!any) {
                draft_begin(c, &d, "colliding_efforts", "overlapping_activities",
                            "Aktiviteter overlapper", "Activities overlap", GP_REC_MEDIUM, NULL,
                            NULL);
                gp_buf_puts(&d.da, "Aktiviteter i forskellige forvaltninger ligger samtidig: ");
                gp_buf_puts(&d.en, "Activities of different departments run at the same time: ");
                any = true;
            } else {
                gp_buf_puts(&d.da, "; ");
                gp_buf_puts(&d.en, "; ");
            }
            char from[11], to[11];
            gp_day_format(s, from);
            if (e != INT32_MAX)
                gp_day_format(e, to);
            gp_buf_printf(&d.da, "%s (%s) og %s (%s) fra %s%s%s", name_of(a, true),
                          dept_name(c, a->department, true), name_of(b, true),
                          dept_name(c, b->department, true), from, e != INT32_MAX ? " til " : "",
                          e != INT32_MAX ? to : "");
            gp_buf_printf(&d.en, "%s (%s) and %s (%s) from %s%s%s", name_of(a, false),
                          dept_name(c, a->department, false), name_of(b, false),
                          dept_name(c, b->department, false), from, e != INT32_MAX ? " to " : "",
                          e != INT32_MAX ? to : "");
            evidence(&d, a);
            evidence(&d, b);
        }
    }
    if (!any)
        return;
    gp_buf_puts(&d.da, ". Aftal med de involverede forvaltninger, hvordan aktiviteterne "
                       "tilrettelægges.");
    gp_buf_puts(&d.en, ". Agree with the departments involved how the activities are arranged.");
    draft_end(&d);
}

static void rule_colliding(struct ctx *c)
{
    collide_residential(c);
    collide_activities(c);
}

/* ---- rule: source_stale_or_failing ----------------------------------------------------------- */

static void age_text(struct gp_buf *b, double s, bool da)
{
    if (s < 120)
        gp_buf_printf(b, "%.0f %s", s, da ? "sekunder" : "seconds");
    else if (s < 7200)
        gp_buf_printf(b, "%.0f %s", s / 60, da ? "minutter" : "minutes");
    else if (s < 172800)
        gp_buf_printf(b, "%.0f %s", s / 3600, da ? "timer" : "hours");
    else
        gp_buf_printf(b, "%.0f %s", s / 86400, da ? "dage" : "days");
}

static int source_cmp(const void *a, const void *b)
{
    const struct gp_rec_source *x = *(const struct gp_rec_source *const *)a;
    const struct gp_rec_source *y = *(const struct gp_rec_source *const *)b;
    return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static void rule_sources(struct ctx *c)
{
    size_t n = c->in->n_sources;
    if (!n)
        return;
    const struct gp_rec_source **order = gp_xcalloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = &c->in->sources[i];
    qsort(order, n, sizeof *order, source_cmp);
    for (size_t k = 0; k < n; k++) {
        const struct gp_rec_source *s = order[k];
        bool failing = s->state == GP_REC_SOURCE_FAILING;
        bool stale = s->state == GP_REC_SOURCE_STALE ||
                     (s->state == GP_REC_SOURCE_OK && c->th.source_max_age_s > 0 &&
                      s->age_s > c->th.source_max_age_s);
        if (!failing && !stale)
            continue;
        const char *id = s->id ? s->id : "";
        const char *dept = s->department ? s->department : "";
        struct draft d;
        const char *title_da = !failing   ? "Data fra kilden er forældede"
                               : s->asked ? "Datakilde svarer ikke"
                                          : "Datakilden er ikke spurgt";
        const char *title_en = !failing   ? "Data from the source is out of date"
                               : s->asked ? "Data source not answering"
                                          : "Data source not asked";
        draft_begin(c, &d, "source_stale_or_failing", failing ? "failing" : "stale", title_da,
                    title_en, failing ? GP_REC_MEDIUM : GP_REC_LOW, s->area, dept);
        snprintf(d.r->source_id, sizeof d.r->source_id, "%s", id);
        if (failing && !s->asked) {
            gp_buf_printf(&d.da, "Kilden %s (%s) er ikke spurgt om borgeren", id,
                          dept_name(c, dept, true));
            gp_buf_printf(&d.en, "The source %s (%s) has not been asked about the citizen", id,
                          dept_name(c, dept, false));
            gp_buf_puts(&d.da, ". Data herfra kan mangle: slå op med opdatering, eller spørg "
                               "forvaltningen.");
            gp_buf_puts(&d.en, ". Data from it may be missing: look up with a refresh, or ask the "
                               "department.");
        } else if (failing) {
            gp_buf_printf(&d.da, "Kilden %s (%s) svarede ikke", id, dept_name(c, dept, true));
            gp_buf_printf(&d.en, "The source %s (%s) did not answer", id,
                          dept_name(c, dept, false));
            if (s->age_s >= 0) {
                gp_buf_puts(&d.da, "; seneste svar er ");
                gp_buf_puts(&d.en, "; its last answer is ");
                age_text(&d.da, s->age_s, true);
                age_text(&d.en, s->age_s, false);
                gp_buf_puts(&d.da, " gammelt");
                gp_buf_puts(&d.en, " old");
            }
            gp_buf_puts(&d.da, ". Data herfra kan mangle: slå op igen, eller spørg forvaltningen.");
            gp_buf_puts(&d.en, ". Data from it may be missing: look up again, or ask the "
                               "department.");
        } else {
            gp_buf_printf(&d.da, "Data fra kilden %s (%s) er ", id, dept_name(c, dept, true));
            gp_buf_printf(&d.en, "Data from the source %s (%s) is ", id, dept_name(c, dept, false));
            if (s->age_s >= 0) {
                age_text(&d.da, s->age_s, true);
                age_text(&d.en, s->age_s, false);
                gp_buf_puts(&d.da, " gamle");
                gp_buf_puts(&d.en, " old");
            } else {
                gp_buf_puts(&d.da, "af ukendt alder");
                gp_buf_puts(&d.en, "of unknown age");
            }
            if (s->state == GP_REC_SOURCE_OK) {
                gp_buf_puts(&d.da, ", mere end de tilladte ");
                gp_buf_puts(&d.en, ", more than the ");
                age_text(&d.da, (double)c->th.source_max_age_s, true);
                age_text(&d.en, (double)c->th.source_max_age_s, false);
                gp_buf_puts(&d.en, " allowed");
            } else if (s->asked) {
                gp_buf_puts(&d.da, ", fordi kilden ikke svarede på dette opslag");
                gp_buf_puts(&d.en, ", as the source did not answer this lookup");
            } else {
                gp_buf_puts(&d.da, ": svaret kom fra indekset, uden at kilden blev spurgt");
                gp_buf_puts(&d.en, ": the answer came from the index, without asking the source");
            }
            gp_buf_puts(&d.da, ". Opdater, før de bruges i sagen.");
            gp_buf_puts(&d.en, ". Refresh before using it in the case.");
        }
        for (size_t i = 0; i < c->nv; i++) {
            if (c->v[i].vis == GP_VIS_FULL && is(c->v[i].source_id, id))
                evidence(&d, &c->v[i]);
        }
        draft_end(&d);
    }
    free(order);
}

/* ---- the whole ------------------------------------------------------------------------------ */

static const char *const rule_order[] = {"coordinated_effort_candidate",
                                         "gather_before_rehabilitation_meeting",
                                         "invite_department",
                                         "colliding_efforts",
                                         "source_stale_or_failing",
                                         NULL};

static int rule_rank(const char *code)
{
    int i = 0;
    for (; rule_order[i]; i++) {
        if (!strcmp(rule_order[i], code))
            break;
    }
    return i;
}

static int rec_cmp(const void *a, const void *b)
{
    const struct gp_recommendation *x = a, *y = b;
    int c;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    if (rule_rank(x->code) != rule_rank(y->code))
        return rule_rank(x->code) < rule_rank(y->code) ? -1 : 1;
    if ((c = strcmp(x->trigger, y->trigger)) || (c = strcmp(x->area, y->area)) ||
        (c = strcmp(x->department, y->department)) || (c = strcmp(x->source_id, y->source_id)))
        return c;
    int64_t ex = x->n_evidence ? x->evidence[0] : 0, ey = y->n_evidence ? y->evidence[0] : 0;
    return ex < ey ? -1 : ex > ey;
}

static int view_cmp(const void *a, const void *b)
{
    const struct gp_view *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->area, y->area);
}

enum gp_rec_rc gp_recommend(const struct gp_rec_input *in, struct gp_recommendation_list *out)
{
    memset(out, 0, sizeof *out);
    struct ctx c = {.in = in, .out = out};
    c.th = in->thresholds ? *in->thresholds : gp_rec_thresholds_default();
    if (!gp_day_parse(in->today, &c.today))
        return GP_REC_BAD_TODAY;
    if (c.th.coordinated_min_areas < 0 || c.th.coordinated_min_caseworkers < 0 ||
        c.th.lae265_max_months < 0 || c.th.source_max_age_s < 0)
        return GP_REC_BAD_THRESHOLDS;

    /* Every rule reads records through their views, and only through them. */
    c.v = in->n ? gp_xcalloc(in->n, sizeof *c.v) : NULL;
    for (size_t i = 0; i < in->n; i++) {
        if (gp_view_of(&in->records[i], in->visibility[i], &c.v[c.nv]))
            c.nv++;
    }
    /* Input order is the index's; rules iterate views, so fix their order. */
    if (c.nv)
        qsort(c.v, c.nv, sizeof *c.v, view_cmp);

    rule_coordinated(&c);
    rule_gather(&c);
    rule_invite(&c);
    rule_colliding(&c);
    rule_sources(&c);

    free(c.v);
    if (out->n)
        qsort(out->items, out->n, sizeof *out->items, rec_cmp);
    return GP_REC_OK;
}
