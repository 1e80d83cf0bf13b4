/* The vendor catalogues: what each simulated system calls its case types, benefits, activities,
 * documents and encounters, how it spells the legal basis, and how often each occurs.
 *
 * Legal references follow the Danish acts as commonly cited in case systems (Serviceloven = SEL,
 * Sundhedsloven = SUL, Barnets Lov, Lov om en aktiv beskæftigelsesindsats = LAB). The
 * simulators need them to be plausible and varied, not authoritative: the taxonomy owner
 * verifies codes before mapping them (DESIGN.md). Entries flagged DS_K_UNKNOWN are planted
 * codes the taxonomy must not know; DS_K_EXCLUDED entries are the benefit types municipalities
 * do not share across departments (boligsikring, friplads, hjælpemidler, tandpleje, befordring,
 * helbredstillæg, enkeltydelser, tabt arbejdsfortjeneste, ordinære sundhedsplejebesøg). */
#include "cmd/deptsim/model.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One catalogue entry per line. Columns: native code, label, legal-basis spellings (the first
 * is the usual one), family only: the Barnets Lov spellings, weight, flags, duration in days
 * (min, max), the citizen's age (min, max; 0, 0 = any). */
/* clang-format off */
/* ---- job centre (Momentum) -------------------------------------------------------------- */

static const struct ds_kind jc_cases[] = {
    {"kontanthjaelp",        "Kontanthjælp",            {"Aktivloven § 11"},       {0}, 20,            0,  60,  900, 30, 66},
    {"uddannelseshjaelp",    "Uddannelseshjælp",        {"Aktivloven § 11"},       {0},  8,            0,  60,  700, 18, 29},
    {"sygedagpenge",         "Sygedagpenge",            {"Sygedagpengeloven § 7"}, {0}, 22,            0,  30,  365, 18, 66},
    {"jobafklaringsforloeb", "Jobafklaringsforløb",     {"LAB § 68 c"},            {0}, 10,            0, 120,  600, 18, 66},
    {"ressourceforloeb",     "Ressourceforløb",         {"LAB § 68 b"},            {0}, 12,            0, 365, 1500, 18, 66},
    {"fleksjob",             "Fleksjob",                {"LAB § 116"},             {0},  8,            0, 365, 2500, 25, 66},
    {"revalidering",         "Revalidering",            {"Aktivloven § 46"},       {0},  4,            0, 180, 1100, 18, 66},
    {"ledighedsydelse",      "Ledighedsydelse",         {"Aktivloven § 74"},       {0},  4,            0,  60,  540, 25, 66},
    {"saertilbud_2019",      "Særtilbud (konverteret)", {0},                       {0},  1, DS_K_UNKNOWN,  90,  700, 18, 66},
};

/* Benefits: the first eight match jc_cases one to one (the case's main benefit). */
static const struct ds_kind jc_benefits[] = {
    {"KH",     "Kontanthjælp",                              {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"UH",     "Uddannelseshjælp",                          {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"SDP",    "Sygedagpenge",                              {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"JAY",    "Ressourceforløbsydelse under jobafklaring", {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"RFY",    "Ressourceforløbsydelse",                    {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"FLT",    "Fleksløntilskud",                           {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"REV",    "Revalideringsydelse",                       {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"LY",     "Ledighedsydelse",                           {0},                 {0}, 0,             0,  0,   0, 0, 0},
    {"XYZ-99", "Ukendt ydelse (migreret)",                  {0},                 {0}, 3,  DS_K_UNKNOWN, 30, 365, 0, 0},
    {"BEF",    "Befordringsgodtgørelse",                    {"LAB § 82"},        {0}, 5, DS_K_EXCLUDED, 14, 180, 0, 0},
    {"EKY",    "Enkeltydelse",                              {"Aktivloven § 81"}, {0}, 5, DS_K_EXCLUDED,  1,   1, 0, 0},
};

static const struct ds_kind jc_activities[] = {
    {"praktik",      "Virksomhedspraktik",        {"LAB § 42"}, {0}, 30,           0, 28, 182, 0, 0},
    {"mentor",       "Mentorstøtte",              {"LAB § 78"}, {0}, 20,           0, 60, 365, 0, 0},
    {"kursus",       "Kursus",                    {"LAB § 32"}, {0}, 25,           0,  5,  90, 0, 0},
    {"loentilskud",  "Ansættelse med løntilskud", {"LAB § 51"}, {0}, 10,           0, 90, 365, 0, 0},
    {"nytteindsats", "Nytteindsats",              {"LAB § 56"}, {0},  5,           0, 30, 120, 0, 0},
    {"jobsamtale",   "Jobsamtale",                {0},          {0}, 15, DS_K_ONEDAY,  1,   1, 0, 0},
};

static const struct ds_kind jc_documents[] = {
    {"LÆ 265",              "Attest til rehabiliteringsteamet (LÆ 265)", {0}, {0}, 10, 0, 0, 0, 0, 0},
    {"indstilling",         "Rehabiliteringsteamets indstilling",        {0}, {0},  8, 0, 0, 0, 0, 0},
    {"journalnotat",        "Journalnotat",                              {0}, {0}, 40, 0, 0, 0, 0, 0},
    {"min_plan",            "Min Plan",                                  {0}, {0}, 15, 0, 0, 0, 0, 0},
    {"rehabiliteringsplan", "Rehabiliteringsplan, forberedende del",     {0}, {0},  8, 0, 0, 0, 0, 0},
    {"afgoerelse",          "Afgørelse",                                 {0}, {0}, 12, 0, 0, 0, 0, 0},
};

/* ---- social (Sensum) -------------------------------------------------------------------- */

static const struct ds_kind so_cases[] = {
    {"SEL85",   "Socialpædagogisk støtte",          {"SEL § 85", "SEL §85", "Servicelovens § 85", "SEL § 85, stk. 1"}, {0}, 30,             0, 180, 2000, 18,  0},
    {"SEL107",  "Midlertidigt botilbud",            {"SEL § 107", "SEL §107", "Servicelovens § 107"},                  {0},  8,             0,  90, 1000, 18,  0},
    {"SEL108",  "Længerevarende botilbud",          {"SEL § 108", "SEL §108", "Servicelovens § 108"},                  {0},  5,             0, 700, 4000, 18,  0},
    {"SEL101",  "Stofmisbrugsbehandling, ambulant", {"SEL § 101", "SEL §101", "Servicelovens § 101"},                  {0}, 10,             0,  60,  500, 18,  0},
    {"SEL101D", "Døgnbehandling for stofmisbrug",   {"SEL § 101", "SEL § 101, stk. 2"},                                {0},  4,             0,  60,  240, 18,  0},
    {"SEL99",   "Støtte- og kontaktperson",         {"SEL § 99", "Servicelovens § 99"},                                {0},  8,             0,  90,  700, 18,  0},
    {"SEL103",  "Beskyttet beskæftigelse",          {"SEL § 103", "SEL §103"},                                         {0},  5,             0, 180, 2000, 18, 66},
    {"SEL104",  "Aktivitets- og samværstilbud",     {"SEL § 104", "Servicelovens § 104"},                              {0},  6,             0, 180, 2000, 18,  0},
    {"SEL97",   "Ledsageordning",                   {"SEL § 97"},                                                      {0},  4,             0, 180, 1500, 18, 66},
    {"SEL112",  "Hjælpemidler",                     {"SEL § 112", "Servicelovens § 112"},                              {0},  3, DS_K_EXCLUDED,   1,    1, 18,  0},
    {"PL14A",   "Helbredstillæg",                   {"Pensionslovens § 14 a"},                                         {0},  2, DS_K_EXCLUDED, 180, 1000, 65,  0},
    {"BOLIG",   "Boligydelse til pensionister",     {"Lov om individuel boligstøtte § 13"},                            {0},  2, DS_K_EXCLUDED, 365, 2000, 65,  0},
    {"SEL999",  "Særlig indsats (lokal)",           {"SEL § 999"},                                                     {0},  2,  DS_K_UNKNOWN,  90,  500, 18,  0},
};

static const struct ds_kind so_documents[] = {
    {"Handleplan",   "Handleplan (SEL § 141)", {0}, {0}, 15, 0, 0, 0, 0, 0},
    {"Journalnotat", "Journalnotat",           {0}, {0}, 40, 0, 0, 0, 0, 0},
    {"Afgørelse",    "Afgørelse",              {0}, {0}, 15, 0, 0, 0, 0, 0},
    {"Udredning",    "VUM-udredning",          {0}, {0}, 10, 0, 0, 0, 0, 0},
    {"Statusnotat",  "Statusnotat",            {0}, {0}, 10, 0, 0, 0, 0, 0},
};

/* ---- municipal health (Nexus, FHIR) ------------------------------------------------------ */

static const struct ds_kind he_cases[] = {
    {"SUL140", "Genoptræning efter sundhedslovens § 140",         {"SUL § 140"},        {0}, 25,             0,  30,  180,  0, 0},
    {"SUL138", "Hjemmesygepleje",                                 {"SUL § 138"},        {0}, 20,             0,  14,  700,  0, 0},
    {"SEL83",  "Hjemmepleje (personlig pleje og praktisk hjælp)", {"SEL § 83"},         {0}, 20,             0,  90, 2000, 50, 0},
    {"SEL83A", "Rehabiliteringsforløb",                           {"SEL § 83 a"},       {0}, 10,             0,  56,  120, 50, 0},
    {"SEL86",  "Vedligeholdelsestræning",                         {"SEL § 86, stk. 2"}, {0},  8,             0,  60,  365, 40, 0},
    {"SUL119", "Forebyggelsesforløb (KOL, diabetes)",             {"SUL § 119"},        {0},  6,             0,  56,  120, 30, 0},
    {"SUL131", "Omsorgstandpleje",                                {"SUL § 131"},        {0},  3, DS_K_EXCLUDED, 365, 1500, 60, 0},
    {"SUL121", "Ordinært sundhedsplejebesøg",                     {"SUL § 121"},        {0},  2, DS_K_EXCLUDED,   1,    1,  0, 6},
    {"ZZ-999", "Ukendt forløbstype",                              {0},                  {0},  2,  DS_K_UNKNOWN,  30,  200,  0, 0},
};

static const struct ds_kind he_careplans[] = {
    {"genoptraeningsplan",  "Genoptræningsplan",   {0}, {0}, 0, 0, 0, 0, 0, 0},
    {"plejeplan",           "Plejeplan",           {0}, {0}, 0, 0, 0, 0, 0, 0},
    {"rehabiliteringsplan", "Rehabiliteringsplan", {0}, {0}, 0, 0, 0, 0, 0, 0},
    {"forebyggelsesplan",   "Forebyggelsesplan",   {0}, {0}, 0, 0, 0, 0, 0, 0},
};

static const struct ds_kind he_activities[] = {
    {"genoptraening-hold",       "Genoptræning på hold",     {0}, {0}, 30, 0, 28,  84, 0, 0},
    {"genoptraening-individuel", "Individuel genoptræning",  {0}, {0}, 20, 0, 14,  56, 0, 0},
    {"sygeplejebesoeg",          "Sygeplejebesøg",           {0}, {0}, 25, 0, 14, 180, 0, 0},
    {"personlig-pleje",          "Personlig pleje",          {0}, {0}, 20, 0, 60, 365, 0, 0},
    {"bostoette-praktisk",       "Praktisk hjælp i hjemmet", {0}, {0}, 10, 0, 60, 365, 0, 0},
};

static const struct ds_kind he_documents[] = {
    {"sygeplejenotat",   "Sygeplejenotat",                       {0}, {0}, 35, 0, 0, 0, 0, 0},
    {"gop",              "Genoptræningsplan (GOP) fra hospital", {0}, {0}, 15, 0, 0, 0, 0, 0},
    {"funktionsevne",    "Funktionsevnevurdering",               {0}, {0}, 15, 0, 0, 0, 0, 0},
    {"status-jobcenter", "Status til jobcenter",                 {0}, {0},  8, 0, 0, 0, 0, 0},
};

/* ---- region (EPJ, FHIR) ------------------------------------------------------------------ */

static const struct ds_kind re_cases[] = {
    {"PSYK-AMB", "Ambulant psykiatrisk behandling",          {"SUL § 79"},           {0}, 30,            0, 90, 900,  0,  0},
    {"PSYK-IND", "Psykiatrisk indlæggelse",                  {"Psykiatriloven § 3"}, {0},  8,            0,  7,  90,  0,  0},
    {"SOM",      "Somatisk behandlingsforløb",               {"SUL § 79"},           {0}, 30,            0, 14, 365,  0,  0},
    {"SUNDKOOR", "Sundhedskoordinator, rehabiliteringsteam", {"LAB § 68 e"},         {0}, 12,            0, 30, 400, 18, 66},
    {"PAKKE",    "Kræftpakkeforløb",                         {"SUL § 82"},           {0},  8,            0, 30, 300, 25,  0},
    {"ZZ-999",   "Ukendt forløbstype",                       {0},                    {0},  2, DS_K_UNKNOWN, 30, 200,  0,  0},
};

static const struct ds_kind re_encounters[] = {
    {"AMB",  "Ambulant besøg",    {0}, {0}, 60, DS_K_ONEDAY, 1,  1, 0, 0},
    {"IMP",  "Indlæggelse",       {0}, {0}, 15,           0, 2, 30, 0, 0},
    {"EMER", "Akut kontakt",      {0}, {0}, 10, DS_K_ONEDAY, 1,  1, 0, 0},
    {"VR",   "Videokonsultation", {0}, {0}, 15, DS_K_ONEDAY, 1,  1, 0, 0},
};

static const struct ds_kind re_documents[] = {
    {"LAE265",   "LÆ 265 Attest til rehabiliteringsteamet", {0}, {0}, 12, 0, 0, 0, 0, 0},
    {"EPIKRISE", "Epikrise",                                {0}, {0}, 25, 0, 0, 0, 0, 0},
    {"AMBNOTAT", "Ambulant notat",                          {0}, {0}, 40, 0, 0, 0, 0, 0},
    {"SKUDT",    "Sundhedskoordinatorens udtalelse",        {0}, {0}, 10, 0, 0, 0, 0, 0},
    {"UDSKRIV",  "Udskrivningsbrev",                        {0}, {0}, 15, 0, 0, 0, 0, 0},
};

/* ---- family (DUBU) ---------------------------------------------------------------------- */

static const struct ds_kind fa_cases[] = {
    {"UNDERSOEGELSE",     "Børnefaglig undersøgelse",     {"SEL § 50", "SEL §50", "Servicelovens § 50"},        {"Barnets Lov § 20", "BL § 20"},                               25,                           0,  60,  180, 0, 17},
    {"FAMILIEBEHANDLING", "Familiebehandling",            {"SEL § 52, stk. 3, nr. 3", "SEL § 52 stk. 3 nr. 3"}, {"Barnets Lov § 32, stk. 1, nr. 3", "BL § 32, stk. 1, nr. 3"}, 25,                           0,  90,  700, 0, 17},
    {"AFLASTNING",        "Aflastningsophold",            {"SEL § 52, stk. 3, nr. 5"},                          {"Barnets Lov § 32, stk. 1, nr. 5"},                            8,                           0,  90, 1000, 0, 17},
    {"KONTAKTPERSON",     "Fast kontaktperson",           {"SEL § 52, stk. 3, nr. 6"},                          {"Barnets Lov § 32, stk. 1, nr. 6"},                           12,                           0, 180,  900, 6, 17},
    {"ANBRINGELSE",       "Anbringelse uden for hjemmet", {"SEL § 52, stk. 3, nr. 7"},                          {"Barnets Lov § 46"},                                           8,                           0, 180, 3000, 0, 17},
    {"ANBRINGELSE-TVANG", "Anbringelse uden samtykke",    {"Servicelovens § 58", "SEL § 58"},                   {"Barnets Lov § 47"},                                           3,                           0, 180, 3000, 0, 17},
    {"FOREBYGGENDE",      "Forebyggende indsats",         {"SEL § 11, stk. 3", "SEL § 11"},                     {"Barnets Lov § 30"},                                          12,                           0,  30,  365, 0, 17},
    {"FRIPLADS",          "Økonomisk friplads",           {"Dagtilbudslovens § 43"},                            {"Dagtilbudslovens § 43"},                                      3,               DS_K_EXCLUDED, 180, 1000, 0,  9},
    {"TABT-ARB",          "Tabt arbejdsfortjeneste",      {"SEL § 42", "Servicelovens § 42"},                   {"SEL § 42"},                                                   2, DS_K_EXCLUDED | DS_K_PARENT, 180, 1500, 0, 17},
    {"UKENDT",            "Ukendt foranstaltning",        {"SEL § 999"},                                        {"Barnets Lov § 999"},                                          2,                DS_K_UNKNOWN,  60,  400, 0, 17},
};

static const struct ds_kind fa_documents[] = {
    {"UNDERSOEGELSE", "Børnefaglig undersøgelse",              {0}, {0}, 20, 0, 0, 0, 0, 0},
    {"HANDLEPLAN",    "Barnets plan / handleplan",             {0}, {0}, 25, 0, 0, 0, 0, 0},
    {"JOURNALNOTAT",  "Journalnotat",                          {0}, {0}, 40, 0, 0, 0, 0, 0},
    {"INDSTILLING",   "Indstilling til børn og unge-udvalget", {0}, {0},  5, 0, 0, 0, 0, 0},
    {"AFGOERELSE",    "Afgørelse",                             {0}, {0}, 15, 0, 0, 0, 0, 0},
};

/* clang-format on */

#define CAT(a)                                                                                     \
    {                                                                                              \
        a, N(a)                                                                                    \
    }
static const struct ds_catalogue empty = {NULL, 0};

/* [system][kind], kind = ds_item_kind, and DS_CAT_CASE for the case types. */
static const struct ds_catalogue catalogues[DS_NSYSTEMS][6] = {
    [DS_JOBCENTRE] = {[DS_ITEM_BENEFIT] = CAT(jc_benefits),
                      [DS_ITEM_ACTIVITY] = CAT(jc_activities),
                      [DS_ITEM_DOCUMENT] = CAT(jc_documents),
                      [DS_CAT_CASE] = CAT(jc_cases)},
    [DS_SOCIAL] = {[DS_ITEM_DOCUMENT] = CAT(so_documents), [DS_CAT_CASE] = CAT(so_cases)},
    [DS_HEALTH] = {[DS_ITEM_ACTIVITY] = CAT(he_activities),
                   [DS_ITEM_DOCUMENT] = CAT(he_documents),
                   [DS_ITEM_CAREPLAN] = CAT(he_careplans),
                   [DS_CAT_CASE] = CAT(he_cases)},
    [DS_REGION] = {[DS_ITEM_DOCUMENT] = CAT(re_documents),
                   [DS_ITEM_ENCOUNTER] = CAT(re_encounters),
                   [DS_CAT_CASE] = CAT(re_cases)},
    [DS_FAMILY] = {[DS_ITEM_DOCUMENT] = CAT(fa_documents), [DS_CAT_CASE] = CAT(fa_cases)},
};

const struct ds_catalogue *ds_catalogue(enum ds_system s, int kind_or_case)
{
    if ((int)s < 0 || s >= DS_NSYSTEMS || kind_or_case < 0 || kind_or_case > DS_CAT_CASE)
        return &empty;
    return &catalogues[s][kind_or_case];
}

static const char *const system_names[DS_NSYSTEMS] = {"jobcentre", "social", "health", "region",
                                                      "family"};

const char *ds_system_name(enum ds_system s)
{
    return ((int)s >= 0 && s < DS_NSYSTEMS) ? system_names[s] : "?";
}

int ds_system_from_name(const char *name)
{
    for (int i = 0; name && i < DS_NSYSTEMS; i++) {
        if (strcmp(name, system_names[i]) == 0)
            return i;
    }
    return -1;
}
