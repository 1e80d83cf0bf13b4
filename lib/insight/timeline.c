#include "lib/insight/timeline.h"

#include "lib/core/alloc.h"
#include "lib/core/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* ---- gaps -------------------------------------------------------------------------------- */

void gp_tl_gaps_free(struct gp_tl_gaps *g)
{
    if (!g)
        return;
    free(g->items);
    memset(g, 0, sizeof *g);
}

struct span {
    int32_t s, e; /* inclusive */
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

static void gap_add(struct gp_tl_gaps *out, size_t *cap, int32_t s, int32_t e)
{
    if (out->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        out->items = gp_xrealloc(out->items, *cap * sizeof *out->items);
    }
    struct gp_tl_gap *g = &out->items[out->n++];
    gp_day_format(s, g->start);
    gp_day_format(e, g->end);
    g->days = e - s + 1;
}

/* An optional date: NULL or "" is absent; anything else must be a real date. */
static bool opt_day(const char *s, bool *present, int32_t *day)
{
    *present = s && *s;
    return !*present || gp_day_parse(s, day);
}

enum gp_tl_rc gp_timeline_gaps(const struct gp_tl_period *periods, size_t n, const char *from,
                               const char *to, const char *today, struct gp_tl_gaps *out)
{
    memset(out, 0, sizeof *out);
    int32_t t, f = 0, u = 0;
    bool has_from, has_to;
    if (!gp_day_parse(today, &t) || !opt_day(from, &has_from, &f) || !opt_day(to, &has_to, &u))
        return GP_TL_BAD_DATE;
    if (has_from && has_to && f > u)
        return GP_TL_BAD_RANGE;

    struct span *sp = n ? gp_xcalloc(n, sizeof *sp) : NULL;
    size_t k = 0;
    int32_t earliest = INT32_MAX;
    for (size_t i = 0; i < n; i++) {
        int32_t s, e;
        bool has_end;
        if (!gp_day_parse(periods[i].start, &s) || !opt_day(periods[i].end, &has_end, &e)) {
            free(sp);
            return GP_TL_BAD_DATE;
        }
        if (!has_end)
            e = t; /* open-ended: ongoing to today */
        else if (e < s)
            e = s;
        if (s < earliest)
            earliest = s;
        if (e >= s) /* an open-ended period starting after today covers nothing yet */
            sp[k++] = (struct span){s, e};
    }

    int32_t w0 = has_from ? f : earliest;
    int32_t w1 = has_to && u < t ? u : t;
    if (!has_from && n == 0) {
        free(sp);
        return GP_TL_OK; /* nothing known and no window asked for */
    }
    if (w0 > w1) {
        free(sp);
        return GP_TL_OK; /* the window lies wholly in the future */
    }
    gp_day_format(w0, out->from);
    gp_day_format(w1, out->to);

    if (k)
        qsort(sp, k, sizeof *sp, span_cmp);
    size_t cap = 0;
    int32_t cur = w0; /* the first day not yet known to be covered */
    for (size_t i = 0; i < k && cur <= w1; i++) {
        if (sp[i].e < cur)
            continue;
        if (sp[i].s > w1)
            break;
        if (sp[i].s > cur)
            gap_add(out, &cap, cur, sp[i].s - 1);
        cur = sp[i].e + 1;
    }
    if (cur <= w1)
        gap_add(out, &cap, cur, w1);
    free(sp);
    return GP_TL_OK;
}

/* ---- events -------------------------------------------------------------------------------- */

const char *gp_tl_kind_name(enum gp_tl_kind k)
{
    switch (k) {
    case GP_TL_CASE_OPENED:
        return "case_opened";
    case GP_TL_ACTIVITY:
        return "activity";
    case GP_TL_ENCOUNTER:
        return "encounter";
    case GP_TL_DOCUMENT:
        return "document";
    case GP_TL_CASE_CLOSED:
        return "case_closed";
    }
    return "document";
}

void gp_timeline_free(struct gp_timeline *t)
{
    if (!t)
        return;
    free(t->events);
    gp_tl_gaps_free(&t->gaps);
    memset(t, 0, sizeof *t);
}

static void copy(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s ? s : "");
}
#define COPY(field, s) copy((field), sizeof(field), (s))

static int event_cmp(const void *a, const void *b)
{
    const struct gp_tl_event *x = a, *y = b;
    int c = strcmp(x->date, y->date);
    if (c)
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if ((c = strcmp(x->area, y->area)))
        return c;
    return x->record_id < y->record_id ? -1 : x->record_id > y->record_id;
}

struct builder {
    const struct gp_timeline_query *q;
    int32_t from, to, today;
    bool has_from, has_to;
    struct gp_tl_event *ev;
    size_t n, cap;
};

static bool valid(const char *s)
{
    int32_t d;
    return gp_day_parse(s, &d);
}

/* A dated event is in the window when its date is; a period event when its period overlaps. */
static bool in_window(const struct builder *b, const char *date, bool period, const char *end)
{
    int32_t d, e;
    gp_day_parse(date, &d);
    if (b->has_to && d > b->to)
        return false;
    if (!b->has_from)
        return true;
    if (!period)
        return d >= b->from;
    return !gp_day_parse(end, &e) || e >= b->from;
}

static void event_add(struct builder *b, const struct gp_view *v, enum gp_tl_kind kind,
                      const char *date, bool period)
{
    if (!in_window(b, date, period, v->end))
        return;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->ev = gp_xrealloc(b->ev, b->cap * sizeof *b->ev);
    }
    struct gp_tl_event *e = &b->ev[b->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->record_id = v->id;
    e->visibility = v->vis;
    COPY(e->date, date);
    if (valid(v->start))
        COPY(e->start, v->start);
    if (valid(v->end))
        COPY(e->end, v->end);
    e->ongoing = period && !e->end[0] && is(v->status, "open");
    COPY(e->area, v->area);
    COPY(e->department, v->department);
    COPY(e->case_type, v->case_type);
    COPY(e->case_label_da, v->label_da);
    COPY(e->case_label_en, v->label_en);
    COPY(e->status, v->status);
    COPY(e->data_type, v->data_type);
    COPY(e->title, v->title);
}

static void record_events(struct builder *b, const struct gp_view *v)
{
    int32_t end;
    if (is(v->kind, "case")) {
        if (valid(v->start))
            event_add(b, v, GP_TL_CASE_OPENED, v->start, false);
        if (gp_day_parse(v->end, &end) && (is(v->status, "closed") || end <= b->today))
            event_add(b, v, GP_TL_CASE_CLOSED, v->end, false);
    } else if (is(v->kind, "activity") || is(v->kind, "encounter")) {
        if (valid(v->start))
            event_add(b, v, is(v->kind, "activity") ? GP_TL_ACTIVITY : GP_TL_ENCOUNTER, v->start,
                      true);
    } else {
        /* document, and any other kind a source may invent: a dated thing */
        const char *d = valid(v->document_date) ? v->document_date : v->start;
        if (valid(d))
            event_add(b, v, GP_TL_DOCUMENT, d, false);
    }
}

/* The record's effort period for gaps, or false when it is not an effort. */
static bool effort_period(const struct gp_view *v, struct gp_tl_period *p)
{
    if (v->vis < GP_VIS_SUMMARY || (!is(v->kind, "case") && !is(v->kind, "activity")))
        return false;
    if (is(v->status, "planned") || !valid(v->start))
        return false;
    if (v->end[0] && !valid(v->end))
        return false;
    p->start = v->start;
    /* closed without an end date: its start day only */
    p->end = v->end[0] ? v->end : is(v->status, "closed") ? v->start : "";
    return true;
}

static int area_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void existence_add(struct gp_timeline *t, const char *area)
{
    for (size_t i = 0; i < t->n_existence; i++) {
        if (!strcmp(t->existence[i], area))
            return;
    }
    if (t->n_existence < GP_TL_MAX_EXISTENCE)
        COPY(t->existence[t->n_existence++], area);
}

enum gp_tl_rc gp_timeline_build(const struct gp_indexed *records, const enum gp_visibility *vis,
                                size_t n, const struct gp_timeline_query *q,
                                struct gp_timeline *out)
{
    memset(out, 0, sizeof *out);
    struct builder b = {.q = q};
    if (!gp_day_parse(q->today, &b.today) || !opt_day(q->from, &b.has_from, &b.from) ||
        !opt_day(q->to, &b.has_to, &b.to))
        return GP_TL_BAD_DATE;
    if (b.has_from && b.has_to && b.from > b.to)
        return GP_TL_BAD_RANGE;
    const char *area = q->area && *q->area ? q->area : NULL;

    struct gp_tl_period *periods = n ? gp_xcalloc(n, sizeof *periods) : NULL;
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (vis[i] != GP_VIS_FULL)
            out->redacted = true;
        struct gp_view v;
        if (!gp_view_of(&records[i], vis[i], &v))
            continue;
        if (effort_period(&v, &periods[np]))
            np++;
        if (area && !is(v.area, area))
            continue;
        if (v.vis == GP_VIS_EXISTENCE)
            existence_add(out, v.area);
        else
            record_events(&b, &v);
    }
    enum gp_tl_rc rc = gp_timeline_gaps(periods, np, q->from, q->to, q->today, &out->gaps);
    free(periods);
    if (rc != GP_TL_OK) {
        free(b.ev);
        gp_timeline_free(out);
        return rc;
    }
    if (b.n)
        qsort(b.ev, b.n, sizeof *b.ev, event_cmp);
    out->events = b.ev;
    out->n_events = b.n;
    qsort(out->existence, out->n_existence, sizeof out->existence[0], area_cmp);
    return GP_TL_OK;
}
