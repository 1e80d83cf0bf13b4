/* Record containers, caseworkers, names and identifiers shared by generator and renderers. */
#include "cmd/deptsim/model.h"

#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small internal objects: out-of-memory aborts (STYLE.md, "decide out-of-memory once"). */
static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("deptsim: out of memory\n", stderr);
        abort();
    }
    return q;
}

void ds_record_free(struct ds_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ncases; i++)
        free(r->cases[i].items);
    free(r->cases);
    r->cases = NULL;
    r->ncases = r->cap = 0;
}

struct ds_case *ds_record_add_case(struct ds_record *r)
{
    if (r->ncases == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->cases = xrealloc(r->cases, r->cap * sizeof *r->cases);
    }
    struct ds_case *c = &r->cases[r->ncases++];
    memset(c, 0, sizeof *c);
    c->end = DS_NO_DATE;
    c->child = -1;
    return c;
}

struct ds_item *ds_case_add_item(struct ds_case *c, enum ds_item_kind kind)
{
    if (c->nitems == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->items = xrealloc(c->items, c->cap * sizeof *c->items);
    }
    struct ds_item *it = &c->items[c->nitems++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->end = DS_NO_DATE;
    return it;
}

void ds_record_modified(const struct ds_record *r, int *day, int *secs)
{
    *day = DS_NO_DATE;
    *secs = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const struct ds_case *c = &r->cases[i];
        if (c->modified_day > *day || (c->modified_day == *day && c->modified_secs > *secs)) {
            *day = c->modified_day;
            *secs = c->modified_secs;
        }
    }
}

size_t ds_record_count_items(const struct ds_record *r)
{
    size_t n = r->ncases;
    for (size_t i = 0; i < r->ncases; i++)
        n += r->cases[i].nitems;
    return n;
}

void ds_fmt_hex16(uint64_t id, char *buf)
{
    snprintf(buf, 17, "%016llx", (unsigned long long)id);
}

void ds_fmt_uuid(uint64_t id, char *buf)
{
    uint64_t lo = ds_mix64(id ^ 0x7575696475756964ULL);
    /* Version 4, variant 10xx: the shape Momentum's identifiers have. */
    snprintf(buf, 37, "%08llx-%04llx-4%03llx-%04llx-%012llx", (unsigned long long)(id >> 32),
             (unsigned long long)((id >> 16) & 0xffff), (unsigned long long)(id & 0xfff),
             (unsigned long long)(0x8000 | (lo >> 48 & 0x3fff)),
             (unsigned long long)(lo & 0xffffffffffffULL));
}

static const char *const female_first[] = {
    "Anna",   "Mette",     "Hanne",   "Susanne", "Lene",  "Maria",    "Marianne", "Camilla",
    "Louise", "Charlotte", "Kirsten", "Pia",     "Sofie", "Ida",      "Emma",     "Julie",
    "Laura",  "Signe",     "Line",    "Karen",   "Inge",  "Birgitte", "Helle",    "Tina",
    "Rikke",  "Nanna",     "Freja",   "Clara",   "Ella",  "Alma",     "Bodil",    "Grethe"};
static const char *const male_first[] = {
    "Peter", "Jens",      "Lars",   "Michael",  "Henrik", "Thomas",  "Søren", "Jan",
    "Niels", "Christian", "Martin", "Anders",   "Morten", "Jesper",  "Mads",  "Rasmus",
    "Kim",   "Hans",      "Per",    "Ole",      "Lucas",  "William", "Noah",  "Oscar",
    "Emil",  "Victor",    "Magnus", "Frederik", "Jonas",  "Mikkel",  "Bent",  "Jørgen"};
static const char *const last_names[] = {
    "Nielsen",   "Jensen",       "Hansen",    "Pedersen",    "Andersen", "Christensen", "Larsen",
    "Sørensen",  "Rasmussen",    "Jørgensen", "Petersen",    "Madsen",   "Kristensen",  "Olsen",
    "Thomsen",   "Christiansen", "Poulsen",   "Johansen",    "Møller",   "Mortensen",   "Knudsen",
    "Jakobsen",  "Mikkelsen",    "Olesen",    "Frederiksen", "Laursen",  "Henriksen",   "Lund",
    "Schmidt",   "Eriksen",      "Holm",      "Kristiansen", "Clausen",  "Simonsen",    "Svendsen",
    "Andreasen", "Iversen",      "Jeppesen",  "Mogensen",    "Jacobsen"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void ds_person_name(uint64_t h, bool female, char *first, size_t first_len, char *last,
                    size_t last_len)
{
    const char *f =
        female ? female_first[h % NELEM(female_first)] : male_first[h % NELEM(male_first)];
    const char *l = last_names[(h >> 20) % NELEM(last_names)];
    snprintf(first, first_len, "%s", f);
    snprintf(last, last_len, "%s", l);
}

/* Lower-case ASCII for e-mail addresses: æ → ae, ø → oe, å → aa. */
static void ascii_lower(const char *in, char *out, size_t out_len)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 3 < out_len; p++) {
        if (p[0] == 0xc3 && p[1]) {
            const char *rep = NULL;
            switch (p[1]) {
            case 0xa6: /* æ */
            case 0x86: /* Æ */
                rep = "ae";
                break;
            case 0xb8: /* ø */
            case 0x98: /* Ø */
                rep = "oe";
                break;
            case 0xa5: /* å */
            case 0x85: /* Å */
                rep = "aa";
                break;
            default:
                rep = "x";
                break;
            }
            for (; *rep; rep++)
                out[o++] = *rep;
            p++;
        } else if (*p >= 'A' && *p <= 'Z') {
            out[o++] = (char)(*p - 'A' + 'a');
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

static const char *const units[DS_NSYSTEMS][4] = {
    [DS_JOBCENTRE] = {"Jobcenter Glasby, Team Ressourceforløb",
                      "Jobcenter Glasby, Team Sygedagpenge", "Jobcenter Glasby, Team Kontanthjælp",
                      "Jobcenter Glasby, Team Fleksjob"},
    [DS_SOCIAL] = {"Socialafdelingen, Team Bostøtte Øst", "Socialafdelingen, Team Bostøtte Vest",
                   "Socialafdelingen, Misbrugscentret", "Socialafdelingen, Myndighed Voksne"},
    [DS_HEALTH] = {"Sundhed og Omsorg, Genoptræningen", "Sundhed og Omsorg, Hjemmesygeplejen",
                   "Sundhed og Omsorg, Hjemmeplejen Nord", "Sundhed og Omsorg, Forebyggelse"},
    [DS_REGION] = {"Psykiatrisk Center Glasby", "Glasby Sygehus, Medicinsk Afdeling",
                   "Region Glasland, Sundhedskoordinator", "Glasby Sygehus, Ortopædkirurgi"},
    [DS_FAMILY] = {"Børn og Familie, Team Nord", "Børn og Familie, Team Syd",
                   "Børn og Familie, Handicapteamet", "Børn og Familie, Modtagelsen"},
};
static const char *const domains[DS_NSYSTEMS] = {"jobcenter.glasby.example",
                                                 "social.glasby.example", "sundhed.glasby.example",
                                                 "rglas.example", "bf.glasby.example"};

void ds_worker_get(uint64_t seed, enum ds_system s, uint32_t w, struct ds_worker *out)
{
    uint64_t h = ds_hash4(seed, 0x776f726b6572ULL, (uint64_t)s, w);
    bool female = (h >> 40) % 3 != 0; /* caseworkers are mostly women */
    ds_person_name(h, female, out->first, sizeof out->first, out->last, sizeof out->last);
    snprintf(out->name, sizeof out->name, "%s %s", out->first, out->last);
    /* Eight digits: a per-system exchange (7220..7224) and the worker's extension. */
    snprintf(out->phone_digits, sizeof out->phone_digits, "722%d%04u", (int)s, w % 10000);
    char f[24], l[24];
    ascii_lower(out->first, f, sizeof f);
    ascii_lower(out->last, l, sizeof l);
    snprintf(out->email, sizeof out->email, "%s.%s%u@%s", f, l, w % 100, domains[s]);
    out->unit = units[s][(h >> 8) % 4];
}
