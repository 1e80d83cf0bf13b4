-- 0002: the shared taxonomy as versioned data: data types, sensitivity, case types with their
-- legal basis and KLE number over time, and the spellings of legal bases found in source systems.
--
-- Nothing here is code: a law change, a new case type or a new spelling is a new migration that
-- inserts or closes rows (see "How a law change is recorded" below), never an edit of this file.
--
-- Function bodies are dollar-quoted: the migration must be sent to the server whole (one PQexec),
-- not split on semicolons.

-- ---------------------------------------------------------------------------------------------
-- Data types: what kind of information a record is.

CREATE TABLE data_type (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]*$'),
    label_da     text NOT NULL,
    label_en     text NOT NULL,
    description  text NOT NULL
);
COMMENT ON TABLE data_type IS 'Kinds of information a record holds (from the analyses'' list of what a rehabilitation case gathers). Orthogonal to case type: a bostøtte case has a grant, plans, journal notes ...';

INSERT INTO data_type (code, label_da, label_en, description) VALUES
    ('case_summary',   'Sagsresumé',                          'Case summary',    'The case itself: what it is, status, period, caseworker.'),
    ('grant',          'Bevilling/visitation',                'Grant',           'A granted benefit or service (bevilling, visitation).'),
    ('assessment',     'Udredning/status',                    'Assessment',      'An assessment or status description (udredning, statusattest, børnefaglig undersøgelse as a document).'),
    ('certificate',    'Attest',                              'Certificate',     'A medical or other certificate, e.g. LÆ 265.'),
    ('journal_note',   'Journalnotat',                        'Journal note',    'A caseworker''s or clinician''s journal note.'),
    ('registration',   'Registrering (samtale, udeblivelse)', 'Registration',    'A registered event: a meeting held, an absence.'),
    ('history',        'Forsørgelseshistorik',                'Benefit history', 'The history of the citizen''s means of support over time.'),
    ('plan',           'Plan',                                'Plan',            'A plan: Min Plan, handleplan, genoptræningsplan, rehabiliteringsplan.'),
    ('recommendation', 'Indstilling',                         'Recommendation',  'A recommendation, e.g. the rehabilitation team''s indstilling.'),
    ('decision',       'Afgørelse',                           'Decision',        'An administrative decision (afgørelse).'),
    ('consent_form',   'Samtykkeerklæring',                   'Consent form',    'A signed consent form held by a source system.');

-- ---------------------------------------------------------------------------------------------
-- Sensitivity: a domain rather than an enum, so a later migration can change the allowed values
-- (ALTER DOMAIN ... DROP/ADD CONSTRAINT) and use them in the same transaction, which an enum
-- value added with ALTER TYPE ... ADD VALUE cannot. The shared index reuses the domain.

CREATE DOMAIN sensitivity_level AS text
    CHECK (VALUE IN ('normal', 'sensitive', 'highly_sensitive'));
COMMENT ON DOMAIN sensitivity_level IS 'normal: ordinary personal data (benefits, employment measures). sensitive: health or social circumstances, GDPR art. 9-like (sickness benefit, bostøtte, home care, hospital). highly_sensitive: psychiatric treatment, substance misuse, child protection, and anything unclassified. What each level allows is decided by lib/policy, not here.';

-- ---------------------------------------------------------------------------------------------
-- Case types: the stable identity of a kind of case. What changes with the law (legal basis, KLE
-- number) lives in case_type_version, one row per period. Labels, sensitivity and
-- cross_department are policy, not history: when they change, the new value applies to old
-- records too (a visibility decision is always made by today's rules), so they are updated in
-- place by a later migration.

CREATE TABLE case_type (
    code              text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    area              text REFERENCES area (code),
    label_da          text NOT NULL,
    label_en          text NOT NULL,
    sensitivity       sensitivity_level NOT NULL,
    cross_department  boolean NOT NULL,
    CHECK ((area IS NULL) = (code = 'unclassified'))
);
COMMENT ON TABLE case_type IS 'Kinds of case, normalised across all source systems. Stable identity, area, labels and policy attributes; the legal basis and KLE number over time are in case_type_version. Adapters map every source code to a row here; an unknown code maps to ''unclassified'', never to nothing.';
COMMENT ON COLUMN case_type.area IS 'The area the case type belongs to. NULL only for ''unclassified'' (enforced by a CHECK): an unknown source code has no known area, and the record''s area then comes from its source''s department.';
COMMENT ON COLUMN case_type.sensitivity IS 'Sensitivity of the mere fact that a citizen has a case of this type. ''unclassified'' is highly_sensitive, so an unknown code is treated at least as strictly as any known one.';
COMMENT ON COLUMN case_type.cross_department IS 'false for the types municipalities do not want shared across departments (the list in domain document 002: boligsikring, friplads, hjælpemidler, tandpleje, befordring, helbredstillæg, enkeltydelser ...): never shown to another department, never in the CPR list, whatever the consent. ''unclassified'' is true so that an unknown code is never silently dropped; lib/policy still limits what other departments see of it.';

CREATE INDEX case_type_area_idx ON case_type (area);

INSERT INTO case_type (code, area, label_da, label_en, sensitivity, cross_department) VALUES
    ('unclassified',               NULL,               'Uklassificeret',                                  'Unclassified',                                   'highly_sensitive', true),

    -- Employment (jobcenter).
    ('kontanthjaelp',              'employment',       'Kontanthjælp',                                    'Social assistance',                              'normal',           true),
    ('uddannelseshjaelp',          'employment',       'Uddannelseshjælp',                                'Education assistance (under 30)',                'normal',           true),
    ('ressourceforloeb',           'employment',       'Ressourceforløb',                                 'Resource course',                                'sensitive',        true),
    ('jobafklaring',               'employment',       'Jobafklaringsforløb',                             'Job clarification course',                       'sensitive',        true),
    ('sygedagpenge',               'employment',       'Sygedagpenge',                                    'Sickness benefit',                               'sensitive',        true),
    ('fleksjob',                   'employment',       'Fleksjob',                                        'Flex job',                                       'sensitive',        true),
    ('ledighedsydelse',            'employment',       'Ledighedsydelse',                                 'Benefit while waiting for a flex job',           'sensitive',        true),
    ('mentor',                     'employment',       'Mentorstøtte',                                    'Mentor support',                                 'normal',           true),
    ('virksomhedspraktik',         'employment',       'Virksomhedspraktik',                              'Work placement',                                 'normal',           true),
    ('loentilskud',                'employment',       'Ansættelse med løntilskud',                       'Wage-subsidised employment',                     'normal',           true),
    ('opkvalificering',            'employment',       'Vejledning og opkvalificering (kursus)',          'Guidance and upskilling (courses)',              'normal',           true),
    ('revalidering',               'employment',       'Revalidering',                                    'Vocational rehabilitation',                      'sensitive',        true),
    ('foertidspension',            'employment',       'Førtidspension',                                  'Disability pension',                             'sensitive',        true),
    ('enkeltydelser',              'employment',       'Hjælp til enkeltudgifter (enkeltydelser)',        'One-off expenses grant',                         'normal',           false),

    -- Adult social services.
    ('bostoette',                  'social',           'Socialpædagogisk støtte (bostøtte)',              'Socio-educational support at home',              'sensitive',        true),
    ('botilbud_midlertidigt',      'social',           'Midlertidigt botilbud',                           'Temporary residential care',                     'sensitive',        true),
    ('botilbud_laengerevarende',   'social',           'Længerevarende botilbud',                         'Long-term residential care',                     'sensitive',        true),
    ('misbrugsbehandling',         'social',           'Social stofmisbrugsbehandling',                   'Drug misuse treatment',                          'highly_sensitive', true),
    ('stoette_kontaktperson',      'social',           'Støtte- og kontaktperson',                        'Support and contact person',                     'highly_sensitive', true),
    ('beskyttet_beskaeftigelse',   'social',           'Beskyttet beskæftigelse',                         'Sheltered employment',                           'sensitive',        true),
    ('aktivitets_samvaer',         'social',           'Aktivitets- og samværstilbud',                    'Activity and social centre',                     'sensitive',        true),
    ('boligsikring',               'social',           'Boligsikring / boligydelse',                      'Housing benefit',                                'normal',           false),
    ('helbredstillaeg',            'social',           'Helbredstillæg / medicintillæg',                  'Health supplement for pensioners',               'sensitive',        false),
    ('personligt_tillaeg',         'social',           'Personligt tillæg',                               'Personal supplement for pensioners',             'normal',           false),
    ('varmetillaeg',               'social',           'Varmetillæg',                                     'Heating supplement for pensioners',              'normal',           false),

    -- Children and family.
    ('boernefaglig_undersoegelse', 'family',           'Børnefaglig undersøgelse',                        'Child welfare assessment',                       'highly_sensitive', true),
    ('stoettende_indsats',         'family',           'Støttende indsats',                               'Supportive measure for child or family',         'highly_sensitive', true),
    ('anbringelse',                'family',           'Anbringelse uden for hjemmet',                    'Out-of-home placement',                          'highly_sensitive', true),
    ('forebyggende_indsats',       'family',           'Forebyggende indsats',                            'Preventive measure',                             'sensitive',        true),
    ('eftervaern',                 'family',           'Efterværn / ungestøtte',                          'Aftercare for young people (18-22)',             'highly_sensitive', true),
    ('friplads',                   'family',           'Friplads i dagtilbud/fritidsordning',             'Fee subsidy for day care',                       'normal',           false),
    ('tabt_arbejdsfortjeneste',    'family',           'Tabt arbejdsfortjeneste',                         'Compensation for lost earnings (child care)',    'sensitive',        false),

    -- Municipal health and care. Hjemmepleje is SEL § 83, but municipalities run it from
    -- health and care, so it sits here.
    ('genoptraening',              'health_municipal', 'Genoptræning',                                    'Rehabilitation training',                        'sensitive',        true),
    ('hjemmesygepleje',            'health_municipal', 'Hjemmesygepleje',                                 'Home nursing',                                   'sensitive',        true),
    ('hjemmepleje',                'health_municipal', 'Hjemmepleje (personlig og praktisk hjælp)',       'Home care',                                      'sensitive',        true),
    ('helhedspleje',               'health_municipal', 'Helhedspleje (ældreloven)',                       'Integrated elderly care',                        'sensitive',        true),
    ('rehabilitering',             'health_municipal', 'Rehabiliteringsforløb',                           'Reablement course',                              'sensitive',        true),
    ('sundhedsforloeb',            'health_municipal', 'Sundhedsforløb (forebyggelse, sundhedsfremme)',   'Health promotion course',                        'sensitive',        true),
    ('alkoholbehandling',          'health_municipal', 'Alkoholbehandling',                               'Alcohol treatment',                              'highly_sensitive', true),
    ('hjaelpemidler',              'health_municipal', 'Hjælpemidler',                                    'Assistive devices',                              'sensitive',        false),
    ('tandpleje',                  'health_municipal', 'Tandpleje / tilskud til tandpleje',               'Dental care',                                    'sensitive',        false),
    ('befordring',                 'health_municipal', 'Befordring / kørsel',                             'Transport',                                      'normal',           false),
    ('sundhedspleje',              'health_municipal', 'Ordinær sundhedspleje',                           'Routine health visitor service',                 'sensitive',        false),

    -- Regional health.
    ('hospitalsforloeb',           'health_regional',  'Hospitalsforløb',                                 'Hospital course',                                'sensitive',        true),
    ('psykiatrisk_behandling',     'health_regional',  'Psykiatrisk behandling',                          'Psychiatric treatment',                          'highly_sensitive', true),
    ('sundhedskoordinator',        'health_regional',  'Sundhedskoordinator (rehabiliteringsteam)',       'Health coordinator (rehabilitation team)',       'sensitive',        true),
    ('laegeattest_lae265',         'health_regional',  'Lægeattest LÆ 265',                               'Medical certificate LÆ 265',                     'sensitive',        true),
    ('genoptraening_specialiseret','health_regional',  'Specialiseret genoptræning',                      'Specialised rehabilitation training',            'sensitive',        true);

-- ---------------------------------------------------------------------------------------------
-- Versions: a case type's legal basis and KLE number, per period.
--
-- Periods are half-open, [valid_from, valid_to); NULL at either end means unbounded. A NULL
-- valid_from means "in force since before anything this taxonomy records": it is used where the
-- exact start date is not known, because a wrong date is worse than none.
--
-- Periods of one case type must not overlap. The usual exclusion constraint would need the
-- btree_gist extension; a deferred constraint trigger does the same without it, checked at
-- commit so a migration may insert the new version and close the old one in either order.
--
-- How a law change is recorded, in a new migration:
--   UPDATE case_type_version SET valid_to = '2026-07-01' WHERE case_type = 'x' AND valid_to IS NULL;
--   INSERT INTO case_type_version (case_type, legal_basis, kle, valid_from) VALUES ('x', '...', NULL, '2026-07-01');
--   INSERT INTO legal_basis_alias (...) for the new paragraph, and close the old alias the same way
--   if the old paragraph number is reused for something else.

CREATE FUNCTION taxonomy_no_overlap() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    key_column constant text := TG_ARGV[0];
    clash text;
BEGIN
    -- Re-read the row by id: by commit time it may have been updated again or deleted.
    EXECUTE format(
        'SELECT a.%1$I::text
           FROM %2$I.%3$I a
           JOIN %2$I.%3$I b ON b.%1$I = a.%1$I AND b.id <> a.id
          WHERE a.id = $1
            AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
          LIMIT 1',
        key_column, TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO clash
        USING NEW.id;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION '%: validity periods overlap for %', TG_TABLE_NAME, clash
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION taxonomy_no_overlap() IS 'Constraint trigger for versioned taxonomy tables (id, valid_from, valid_to): rows with the same value in the column named by the trigger argument must not have overlapping [valid_from, valid_to) periods. Replaces an exclusion constraint, which would need btree_gist.';

CREATE TABLE case_type_version (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_type    text NOT NULL REFERENCES case_type (code) CHECK (case_type <> 'unclassified'),
    legal_basis  text NOT NULL CHECK (legal_basis <> '' AND legal_basis = btrim(legal_basis)),
    kle          text CHECK (kle ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$'),
    valid_from   date,
    valid_to     date,
    note         text,
    CHECK (valid_to > valid_from),
    UNIQUE NULLS NOT DISTINCT (case_type, valid_from)
);
COMMENT ON TABLE case_type_version IS 'A case type''s legal basis and KLE number for one period [valid_from, valid_to). Periods of one case type never overlap (constraint trigger). ''unclassified'' has no versions. A law change closes the current row and inserts a new one, in a new migration.';
COMMENT ON COLUMN case_type_version.legal_basis IS 'The legal basis as shown to people, in the usual abbreviated form (''SEL § 85'', ''Barnets Lov § 32'', ''LAB kap. 19''). Where the exact paragraph is not known for certain, only the law is named (''SUL'', ''Barnets Lov''): a wrong paragraph is worse than a general reference. Spellings recognised in source data are in legal_basis_alias, not here.';
COMMENT ON COLUMN case_type_version.kle IS 'KLE (KL Emnesystematik) subject number, format NN.NN.NN. Only the numbers DESIGN.md gives as published examples are seeded (SEL § 85 27.36.12, § 107 27.57.04, § 108 27.57.08, § 83 27.36.04, § 101 27.51.04, SUL § 140 29.24.04, LAB § 42 15.20.04, 34.10.10 børnefaglig undersøgelse); every other row is NULL, because a wrong KLE number is worse than none. They have not been checked against KLE-online (licensed): verify before relying on them.';
COMMENT ON COLUMN case_type_version.valid_from IS 'First day this version applies. NULL: since before anything this taxonomy records (the start date is not known).';
COMMENT ON COLUMN case_type_version.valid_to IS 'First day this version no longer applies (exclusive). NULL: still current.';
COMMENT ON COLUMN case_type_version.note IS 'Provenance and caveats for this row, for the next person who has to check it.';

CREATE CONSTRAINT TRIGGER case_type_version_no_overlap
    AFTER INSERT OR UPDATE ON case_type_version
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION taxonomy_no_overlap('case_type');

CREATE INDEX case_type_version_kle_idx ON case_type_version (kle) WHERE kle IS NOT NULL;

INSERT INTO case_type_version (case_type, legal_basis, kle, valid_from, valid_to, note) VALUES
    -- Employment. Lov om en aktiv beskæftigelsesindsats (LAB) was re-enacted with new numbering
    -- from 1 January 2020 (lov nr. 548 af 7. maj 2019); LAB paragraphs are therefore versioned.
    ('kontanthjaelp',              'LAS § 11',                          NULL,       NULL,         NULL,         NULL),
    ('uddannelseshjaelp',          'LAS § 23',                          NULL,       NULL,         NULL,         NULL),
    ('ressourceforloeb',           'LAB kap. 12 a',                     NULL,       NULL,         '2020-01-01', 'Chapter of the LAB in force before 2020.'),
    ('ressourceforloeb',           'LAB kap. 19',                       NULL,       '2020-01-01', NULL,         NULL),
    ('jobafklaring',               'LAB kap. 18',                       NULL,       '2020-01-01', NULL,         'The basis before 2020 is not recorded.'),
    ('sygedagpenge',               'Sygedagpengeloven',                 NULL,       NULL,         NULL,         NULL),
    ('fleksjob',                   'LAB',                               NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('ledighedsydelse',            'LAS',                               NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('mentor',                     'LAB § 31 b',                        NULL,       NULL,         '2020-01-01', 'Mentor paragraph of the LAB in force before 2020.'),
    ('mentor',                     'LAB § 167',                         NULL,       '2020-01-01', NULL,         NULL),
    ('virksomhedspraktik',         'LAB § 42',                          '15.20.04', NULL,         '2020-01-01', 'KLE as DESIGN.md gives it for LAB § 42.'),
    ('virksomhedspraktik',         'LAB § 57',                          '15.20.04', '2020-01-01', NULL,         'KLE carried over from LAB § 42 (same subject, renumbered in 2020); verify.'),
    ('loentilskud',                'LAB',                               NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('opkvalificering',            'LAB',                               NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('revalidering',               'LAS kap. 6',                        NULL,       NULL,         NULL,         NULL),
    ('foertidspension',            'Lov om social pension',             NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('enkeltydelser',              'LAS § 81',                          NULL,       NULL,         NULL,         NULL),

    -- Adult social services.
    ('bostoette',                  'SEL § 85',                          '27.36.12', NULL,         NULL,         NULL),
    ('botilbud_midlertidigt',      'SEL § 107',                         '27.57.04', NULL,         NULL,         NULL),
    ('botilbud_laengerevarende',   'SEL § 108',                         '27.57.08', NULL,         NULL,         NULL),
    ('misbrugsbehandling',         'SEL § 101',                         '27.51.04', NULL,         NULL,         NULL),
    ('stoette_kontaktperson',      'SEL § 99',                          NULL,       NULL,         NULL,         NULL),
    ('beskyttet_beskaeftigelse',   'SEL § 103',                         NULL,       NULL,         NULL,         NULL),
    ('aktivitets_samvaer',         'SEL § 104',                         NULL,       NULL,         NULL,         NULL),
    ('boligsikring',               'Lov om individuel boligstøtte',     NULL,       NULL,         NULL,         NULL),
    ('helbredstillaeg',            'Lov om social pension',             NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('personligt_tillaeg',         'Lov om social pension',             NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('varmetillaeg',               'Lov om social pension',             NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),

    -- Children and family: Barnets Lov replaced the children's sections of Serviceloven on
    -- 1 January 2024. KLE group 34 is where children's cases sit now; the numbers used for them
    -- before 2024 are not recorded.
    ('boernefaglig_undersoegelse', 'SEL § 50',                          NULL,       NULL,         '2024-01-01', NULL),
    ('boernefaglig_undersoegelse', 'Barnets Lov § 20',                  '34.10.10', '2024-01-01', NULL,         NULL),
    ('stoettende_indsats',         'SEL § 52, stk. 3',                  NULL,       NULL,         '2024-01-01', NULL),
    ('stoettende_indsats',         'Barnets Lov § 32',                  NULL,       '2024-01-01', NULL,         NULL),
    ('anbringelse',                'SEL § 52, stk. 3, nr. 7 og § 58',   NULL,       NULL,         '2024-01-01', NULL),
    ('anbringelse',                'Barnets Lov §§ 46-47',              NULL,       '2024-01-01', NULL,         'DESIGN.md gives 34.25.00 and 34.30.00 for placement without saying which is which (with or without consent); left NULL until verified.'),
    ('forebyggende_indsats',       'SEL § 11',                          NULL,       NULL,         '2024-01-01', NULL),
    ('forebyggende_indsats',       'Barnets Lov',                       NULL,       '2024-01-01', NULL,         'Paragraph not verified (the preventive measures of the old SEL § 11); law only.'),
    ('eftervaern',                 'SEL § 76',                          NULL,       NULL,         '2024-01-01', NULL),
    ('eftervaern',                 'Barnets Lov',                       NULL,       '2024-01-01', NULL,         'Ungestøtte; the ministry''s guidance places it in Barnets Lov §§ 111-121, exact paragraph not verified.'),
    ('friplads',                   'Dagtilbudsloven',                   NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),
    ('tabt_arbejdsfortjeneste',    'SEL § 42',                          NULL,       NULL,         '2024-01-01', NULL),
    ('tabt_arbejdsfortjeneste',    'Barnets Lov § 87',                  NULL,       '2024-01-01', NULL,         NULL),

    -- Municipal health and care.
    ('genoptraening',              'SUL § 140',                         '29.24.04', NULL,         NULL,         NULL),
    ('hjemmesygepleje',            'SUL § 138',                         NULL,       NULL,         NULL,         NULL),
    ('hjemmepleje',                'SEL § 83',                          '27.36.04', NULL,         NULL,         'For people over pension age, Ældreloven (case type helhedspleje) applies from 2025-07-01.'),
    ('helhedspleje',               'Ældreloven',                        NULL,       '2025-07-01', NULL,         'Paragraph not verified; law only.'),
    ('rehabilitering',             'SEL § 83 a',                        NULL,       NULL,         NULL,         NULL),
    ('sundhedsforloeb',            'SUL § 119',                         NULL,       NULL,         NULL,         NULL),
    ('alkoholbehandling',          'SUL § 141',                         NULL,       NULL,         NULL,         NULL),
    ('hjaelpemidler',              'SEL § 112',                         NULL,       NULL,         NULL,         NULL),
    ('tandpleje',                  'SUL',                               NULL,       NULL,         NULL,         'Children''s and adults'' dental care and subsidies have different paragraphs; law only.'),
    ('befordring',                 'SUL',                               NULL,       NULL,         NULL,         'Transport to treatment; other transport allowances (LAB, SEL) map here too. Law only.'),
    ('sundhedspleje',              'SUL',                               NULL,       NULL,         NULL,         'Paragraph not verified; law only.'),

    -- Regional health. KLE is a municipal classification; regional cases have none.
    ('hospitalsforloeb',           'SUL',                               NULL,       NULL,         NULL,         NULL),
    ('psykiatrisk_behandling',     'SUL',                               NULL,       NULL,         NULL,         'Coercion falls under the Psychiatry Act; law only.'),
    ('sundhedskoordinator',        'Lov om organisering og understøttelse af beskæftigelsesindsatsen', NULL, NULL, NULL, 'The rehabilitation team and its health coordinator.'),
    ('laegeattest_lae265',         'Lov om organisering og understøttelse af beskæftigelsesindsatsen', NULL, NULL, NULL, 'LÆ 265 is the certificate requested for the rehabilitation team.'),
    ('genoptraening_specialiseret','SUL § 140',                         NULL,       NULL,         NULL,         'Specialised rehabilitation under a genoptræningsplan, delivered by the region.');

-- ---------------------------------------------------------------------------------------------
-- Legal-basis spellings found in source systems.
--
-- legal_basis_key() is the normalisation rule. It is the reference implementation: C code that
-- computes keys itself (e.g. to cache lookups) must give the same result, and a test should
-- compare the two on many inputs. Adapters may instead call legal_basis_resolve() below.

CREATE FUNCTION legal_basis_key(spelling text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    k text := spelling;
BEGIN
    -- 1. Danish letters become ASCII digraphs (either case gives lower case).
    k := replace(replace(replace(k, 'Æ', 'ae'), 'æ', 'ae'), 'Ø', 'oe');
    k := replace(replace(replace(k, 'ø', 'oe'), 'Å', 'aa'), 'å', 'aa');
    -- 2. ASCII letters become lower case. translate(), not lower(): lower() depends on the locale.
    k := translate(k, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
    -- 3. Whitespace (U+0009-U+000D, U+0020, U+00A0), full stops and commas are removed.
    k := translate(k, chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(160) || '.,', '');
    -- 4. 'kapitel' becomes 'kap', anywhere.
    k := replace(k, 'kapitel', 'kap');
    -- 5. A law name at the very start becomes its abbreviation (one of these applies at most).
    k := regexp_replace(k, '^(lovomsocialservice|servicelovens|serviceloven)', 'sel');
    k := regexp_replace(k, '^(sundhedslovens|sundhedsloven)', 'sul');
    k := regexp_replace(k, '^(lovomenaktivbeskaeftigelsesindsats|lovomaktivbeskaeftigelsesindsats|beskaeftigelsesindsatslovens|beskaeftigelsesindsatsloven)', 'lab');
    k := regexp_replace(k, '^(lovomaktivsocialpolitik|aktivlovens|aktivloven)', 'las');
    k := regexp_replace(k, '^(lovomsygedagpenge|sygedagpengelovens|sygedagpengeloven)', 'sdl');
    k := regexp_replace(k, '^barnetslovs', 'barnetslov');
    RETURN k;
END
$$;
COMMENT ON FUNCTION legal_basis_key(text) IS 'Normalised lookup key of a legal-basis spelling; see legal_basis_alias.key for the rule. Reference implementation for the C code.';

CREATE TABLE legal_basis_alias (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    spelling             text NOT NULL CHECK (spelling <> '' AND spelling = btrim(spelling)),
    key                  text NOT NULL GENERATED ALWAYS AS (legal_basis_key(spelling)) STORED,
    case_type            text NOT NULL REFERENCES case_type (code),
    current_legal_basis  text NOT NULL CHECK (current_legal_basis <> ''),
    valid_from           date,
    valid_to             date,
    note                 text,
    CHECK (valid_to > valid_from),
    UNIQUE NULLS NOT DISTINCT (key, valid_from)
);
COMMENT ON TABLE legal_basis_alias IS 'Every legal basis recognised in source data, current and old, mapped to a case type and to today''s legal basis: ''SEL § 50'' (before 2024) is a børnefaglig undersøgelse, now Barnets Lov § 20. Spelling variants need no rows of their own: they share a key (legal_basis_key). A key maps to one case type per period: where one provision covers case types in two areas (SUL § 140: municipal and specialised regional genoptræning), the row names the common one and adapters classify the other by their native codes. No match: case type ''unclassified'', with the source''s text kept on the record.';
COMMENT ON COLUMN legal_basis_alias.spelling IS 'One spelling of the legal basis as source systems write it, e.g. ''SEL § 52, stk. 3, nr. 7''. Other spellings with the same key are covered by this row.';
COMMENT ON COLUMN legal_basis_alias.key IS 'legal_basis_key(spelling). The rule, in order: (1) Æ æ -> ae, Ø ø -> oe, Å å -> aa; (2) ASCII A-Z -> a-z (no other case folding); (3) delete U+0009-U+000D, U+0020, U+00A0, ''.'' and '',''; (4) replace every ''kapitel'' with ''kap''; (5) if the result starts with one of these law names, replace that prefix: lovomsocialservice, servicelovens, serviceloven -> sel; sundhedslovens, sundhedsloven -> sul; lovomenaktivbeskaeftigelsesindsats, lovomaktivbeskaeftigelsesindsats, beskaeftigelsesindsatslovens, beskaeftigelsesindsatsloven -> lab; lovomaktivsocialpolitik, aktivlovens, aktivloven -> las; lovomsygedagpenge, sygedagpengelovens, sygedagpengeloven -> sdl; barnetslovs -> barnetslov. Everything else, ''§'' (U+00A7) included, is kept. Examples: ''Servicelovens § 85'', ''SEL §85'' -> ''sel§85''; ''SEL § 52, stk. 3, nr. 7'' -> ''sel§52stk3nr7''; ''Barnets lov § 20'' -> ''barnetslov§20''. Lookup (legal_basis_resolve): the full key first, then with a trailing ''nr<digits>[a-z]'' removed, then also with a trailing ''stk<digits>[a-z]'' removed; the first key with a row whose period contains the record''s date wins.';
COMMENT ON COLUMN legal_basis_alias.current_legal_basis IS 'The legal basis today for what the spelling denotes. Where the successor paragraph is not known for certain, only the law is named (''Barnets Lov'').';
COMMENT ON COLUMN legal_basis_alias.valid_from IS 'First day (by the record''s date) on which the spelling has this meaning. NULL: no lower bound.';
COMMENT ON COLUMN legal_basis_alias.valid_to IS 'First day on which it no longer has this meaning, normally the day the provision was repealed or renumbered (exclusive). A record dated later that still cites it is unclassified, which shows the stale code instead of guessing. NULL: still current.';

CREATE CONSTRAINT TRIGGER legal_basis_alias_no_overlap
    AFTER INSERT OR UPDATE ON legal_basis_alias
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION taxonomy_no_overlap('key');

CREATE INDEX legal_basis_alias_case_type_idx ON legal_basis_alias (case_type);

INSERT INTO legal_basis_alias (spelling, case_type, current_legal_basis, valid_from, valid_to, note) VALUES
    -- Current provisions, recognised as themselves.
    ('SEL § 83',                'hjemmepleje',                'SEL § 83',          NULL,         NULL,         NULL),
    ('SEL § 83 a',              'rehabilitering',             'SEL § 83 a',        NULL,         NULL,         NULL),
    ('SEL § 85',                'bostoette',                  'SEL § 85',          NULL,         NULL,         NULL),
    ('SEL § 99',                'stoette_kontaktperson',      'SEL § 99',          NULL,         NULL,         NULL),
    ('SEL § 101',               'misbrugsbehandling',         'SEL § 101',         NULL,         NULL,         NULL),
    ('SEL § 103',               'beskyttet_beskaeftigelse',   'SEL § 103',         NULL,         NULL,         NULL),
    ('SEL § 104',               'aktivitets_samvaer',         'SEL § 104',         NULL,         NULL,         NULL),
    ('SEL § 107',               'botilbud_midlertidigt',      'SEL § 107',         NULL,         NULL,         NULL),
    ('SEL § 108',               'botilbud_laengerevarende',   'SEL § 108',         NULL,         NULL,         NULL),
    ('SEL § 112',               'hjaelpemidler',              'SEL § 112',         NULL,         NULL,         NULL),
    ('SUL § 119',               'sundhedsforloeb',            'SUL § 119',         NULL,         NULL,         NULL),
    ('SUL § 138',               'hjemmesygepleje',            'SUL § 138',         NULL,         NULL,         NULL),
    ('SUL § 140',               'genoptraening',              'SUL § 140',         NULL,         NULL,         'Also the basis of specialised regional genoptræning; see the table comment.'),
    ('SUL § 141',               'alkoholbehandling',          'SUL § 141',         NULL,         NULL,         NULL),
    ('LAS § 11',                'kontanthjaelp',              'LAS § 11',          NULL,         NULL,         NULL),
    ('LAS § 23',                'uddannelseshjaelp',          'LAS § 23',          NULL,         NULL,         NULL),
    ('LAS § 81',                'enkeltydelser',              'LAS § 81',          NULL,         NULL,         NULL),
    ('LAB § 57',                'virksomhedspraktik',         'LAB § 57',          '2020-01-01', NULL,         NULL),
    ('LAB § 167',               'mentor',                     'LAB § 167',         '2020-01-01', NULL,         NULL),
    ('LAB kap. 18',             'jobafklaring',               'LAB kap. 18',       '2020-01-01', NULL,         NULL),
    ('LAB kap. 19',             'ressourceforloeb',           'LAB kap. 19',       '2020-01-01', NULL,         NULL),
    ('Barnets Lov § 20',        'boernefaglig_undersoegelse', 'Barnets Lov § 20',  '2024-01-01', NULL,         NULL),
    ('Barnets Lov § 32',        'stoettende_indsats',         'Barnets Lov § 32',  '2024-01-01', NULL,         NULL),
    ('Barnets Lov § 46',        'anbringelse',                'Barnets Lov § 46',  '2024-01-01', NULL,         'Placement with consent.'),
    ('Barnets Lov § 47',        'anbringelse',                'Barnets Lov § 47',  '2024-01-01', NULL,         'Placement without consent.'),
    ('Barnets Lov § 87',        'tabt_arbejdsfortjeneste',    'Barnets Lov § 87',  '2024-01-01', NULL,         NULL),

    -- The LAB before its re-enactment on 1 January 2020; the numbers are reused since.
    ('LAB § 31 b',              'mentor',                     'LAB § 167',         NULL,         '2020-01-01', NULL),
    ('LAB § 42',                'virksomhedspraktik',         'LAB § 57',          NULL,         '2020-01-01', NULL),
    ('LAB kap. 12 a',           'ressourceforloeb',           'LAB kap. 19',       NULL,         '2020-01-01', NULL),

    -- Serviceloven's children's sections, replaced by Barnets Lov on 1 January 2024.
    ('SEL § 11',                'forebyggende_indsats',       'Barnets Lov',       NULL,         '2024-01-01', 'Successor paragraph not verified; law only.'),
    ('SEL § 42',                'tabt_arbejdsfortjeneste',    'Barnets Lov § 87',  NULL,         '2024-01-01', NULL),
    ('SEL § 50',                'boernefaglig_undersoegelse', 'Barnets Lov § 20',  NULL,         '2024-01-01', NULL),
    ('SEL § 52, stk. 3',        'stoettende_indsats',         'Barnets Lov § 32',  NULL,         '2024-01-01', 'Also matches nr. 1-6 and 8-10 by the lookup''s fallback.'),
    ('SEL § 52, stk. 3, nr. 7', 'anbringelse',                'Barnets Lov §§ 46-47', NULL,      '2024-01-01', 'nr. 7 names the placement itself, with or without consent (a § 58 decision places under nr. 7 too), so it maps to both successors; only SEL § 58 identifies placement without consent.'),
    ('SEL § 58',                'anbringelse',                'Barnets Lov § 47',  NULL,         '2024-01-01', 'Placement without consent.'),
    ('SEL § 76',                'eftervaern',                 'Barnets Lov',       NULL,         '2024-01-01', 'Now ungestøtte; successor paragraph not verified (Barnets Lov §§ 111-121); law only.');

CREATE FUNCTION legal_basis_resolve(raw_spelling text, on_date date DEFAULT current_date)
    RETURNS TABLE (case_type text, current_legal_basis text, matched_key text)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH full_key AS (
        SELECT legal_basis_key(raw_spelling) AS k
    ), candidate AS (
        SELECT 1 AS rank, k AS key FROM full_key
        UNION ALL
        SELECT 2, regexp_replace(k, 'nr[0-9]+[a-z]?$', '') FROM full_key
        UNION ALL
        SELECT 3, regexp_replace(regexp_replace(k, 'nr[0-9]+[a-z]?$', ''), 'stk[0-9]+[a-z]?$', '') FROM full_key
    )
    SELECT a.case_type, a.current_legal_basis, a.key
      FROM candidate c
      JOIN legal_basis_alias a ON a.key = c.key
     WHERE daterange(a.valid_from, a.valid_to) @> on_date
     ORDER BY c.rank
     LIMIT 1;
END;
COMMENT ON FUNCTION legal_basis_resolve(text, date) IS 'The case type and today''s legal basis for a legal basis as a source wrote it, for a record dated on_date (its start date, else its document date, else today). No row: the record is unclassified. See legal_basis_alias.key for the lookup rule.';

-- ---------------------------------------------------------------------------------------------

CREATE VIEW case_type_current AS
SELECT t.code, t.area, t.label_da, t.label_en, t.sensitivity, t.cross_department,
       v.legal_basis, v.kle, v.valid_from, v.valid_to
  FROM case_type t
  LEFT JOIN case_type_version v
         ON v.case_type = t.code
        AND daterange(v.valid_from, v.valid_to) @> current_date;
COMMENT ON VIEW case_type_current IS 'Every case type with the version valid today. legal_basis and kle are NULL for ''unclassified'' and for a case type with no version today (e.g. one abolished by a later law).';
