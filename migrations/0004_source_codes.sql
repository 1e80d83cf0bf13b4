-- 0004: the department systems' own type codes, mapped onto the case-type taxonomy (0002).
--
-- lib/index classifies a record by (adapter kind, source code) through this table first — a
-- vendor's own code is the most specific thing a record says about itself (Momentum cites
-- "Aktivloven § 11" for both kontanthjælp and uddannelseshjælp, but its ydelse codes differ)
-- — and then by its legal basis (legal_basis_resolve), which covers systems whose codes are
-- not mapped here, paragraphs DUBU abbreviates ('BL § 20') and old paragraphs.
-- Every code the simulators emit (cmd/deptsim/catalogue.c) that needs it has a row, so the
-- demo population classifies fully except for what must stay visible as 'unclassified':
--
--   planted unknown codes, left unmapped on purpose:
--     momentum  saertilbud_2019 (forløb), XYZ-99 (ydelse)
--     sensum    'Særlig indsats (lokal)' (SEL § 999)
--     fhir-r4   .../forloebstype|ZZ-999 (both health systems)
--     dubu      UKENDT (SEL § 999, Barnets Lov § 999)
--   two codes lacked a case type in 0002; this migration adds them at the end:
--     momentum  nytteindsats (activity; the simulators cite LAB § 56, not verified)
--     sensum    'Ledsageordning' (SEL § 97)
--
-- The benefit types municipalities do not share across departments map onto their excluded
-- case types (case_type.cross_department = false), so the policy hides them: befordring,
-- enkeltydelser, hjælpemidler, helbredstillæg, boligsikring, tandpleje, sundhedspleje,
-- friplads, tabt arbejdsfortjeneste.
--
-- What the source codes look like per adapter (see adapters/*.c):
--   momentum  forloebstype, ydelse_kode, aktivitetstype as written ('ressourceforloeb', 'RFY')
--   sensum    the CaseType name (Sensum has no type code): 'Socialpædagogisk støtte'
--   fhir-r4   '<system>|<code>' of the resource's first type coding
--   dubu      measureCode ('FAMILIEBEHANDLING')
-- Documents, activities without their own legal basis and (FHIR) resources whose case is in the
-- same answer carry their case's code, so the rows below are case codes, benefits and
-- activities; document and encounter type codes need no rows.

COMMENT ON COLUMN source_code_map.source_code IS 'The code exactly as the adapter reports it in gp_record.source_code: momentum forloebstype/ydelse_kode/aktivitetstype; sensum the CaseType name; fhir-r4 ''<system>|<code>'' of the first type coding; dubu measureCode. Compared byte for byte.';

INSERT INTO source_code_map (adapter_kind, source_code, case_type) VALUES
    -- Job centre (Momentum): forløbstyper. Kontanthjælp resolves by its legal basis
    -- (Aktivloven § 11 = LAS § 11); the others cite paragraphs the taxonomy does not hold.
    ('momentum', 'kontanthjaelp',        'kontanthjaelp'),
    ('momentum', 'uddannelseshjaelp',    'uddannelseshjaelp'),
    ('momentum', 'sygedagpenge',         'sygedagpenge'),
    ('momentum', 'jobafklaringsforloeb', 'jobafklaring'),
    ('momentum', 'ressourceforloeb',     'ressourceforloeb'),
    ('momentum', 'fleksjob',             'fleksjob'),
    ('momentum', 'revalidering',         'revalidering'),
    ('momentum', 'ledighedsydelse',      'ledighedsydelse'),
    -- Ydelser (benefits; no legal basis in the answer).
    ('momentum', 'KH',                   'kontanthjaelp'),
    ('momentum', 'UH',                   'uddannelseshjaelp'),
    ('momentum', 'SDP',                  'sygedagpenge'),
    ('momentum', 'JAY',                  'jobafklaring'),
    ('momentum', 'RFY',                  'ressourceforloeb'),
    ('momentum', 'FLT',                  'fleksjob'),
    ('momentum', 'REV',                  'revalidering'),
    ('momentum', 'LY',                   'ledighedsydelse'),
    ('momentum', 'BEF',                  'befordring'),      -- excluded: never shared
    ('momentum', 'EKY',                  'enkeltydelser'),   -- excluded: never shared
    -- Aktiviteter. Virksomhedspraktik cites LAB § 42, which the taxonomy resolves only for
    -- activities that started before 2020 (the number was reused in the new LAB).
    ('momentum', 'praktik',              'virksomhedspraktik'),
    ('momentum', 'mentor',               'mentor'),
    ('momentum', 'kursus',               'opkvalificering'),
    ('momentum', 'loentilskud',          'loentilskud'),

    -- Social (Sensum): CaseType names. The SEL paragraphs resolve by themselves; the rows
    -- make the name enough when a case carries no or an unknown paragraph.
    ('sensum', 'Socialpædagogisk støtte',          'bostoette'),
    ('sensum', 'Midlertidigt botilbud',            'botilbud_midlertidigt'),
    ('sensum', 'Længerevarende botilbud',          'botilbud_laengerevarende'),
    ('sensum', 'Stofmisbrugsbehandling, ambulant', 'misbrugsbehandling'),
    ('sensum', 'Døgnbehandling for stofmisbrug',   'misbrugsbehandling'),
    ('sensum', 'Støtte- og kontaktperson',         'stoette_kontaktperson'),
    ('sensum', 'Beskyttet beskæftigelse',          'beskyttet_beskaeftigelse'),
    ('sensum', 'Aktivitets- og samværstilbud',     'aktivitets_samvaer'),
    ('sensum', 'Hjælpemidler',                     'hjaelpemidler'),   -- excluded
    ('sensum', 'Helbredstillæg',                   'helbredstillaeg'), -- excluded (Pensionslovens § 14 a)
    ('sensum', 'Boligydelse til pensionister',     'boligsikring'),    -- excluded (Lov om individuel boligstøtte)

    -- Municipal health and care (Nexus-like FHIR): EpisodeOfCare.type.
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SUL140', 'genoptraening'),
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SUL138', 'hjemmesygepleje'),
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SEL83',  'hjemmepleje'),
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SEL83A', 'rehabilitering'),
    -- Vedligeholdelsestræning (SEL § 86, stk. 2) has no case type of its own; it is the
    -- municipality's training to keep function, closest to (and run with) genoptræning.
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SEL86',  'genoptraening'),
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SUL119', 'sundhedsforloeb'),
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SUL131', 'tandpleje'),     -- excluded (omsorgstandpleje)
    ('fhir-r4', 'https://nexus.glasby.example/fhir/CodeSystem/forloebstype|SUL121', 'sundhedspleje'), -- excluded (ordinary health visitor)

    -- Region (hospital EPJ-like FHIR): EpisodeOfCare.type. 'SUL § 79' and the Psychiatry Act
    -- do not resolve, so the native code decides somatic or psychiatric.
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/forloebstype|PSYK-AMB', 'psykiatrisk_behandling'),
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/forloebstype|PSYK-IND', 'psykiatrisk_behandling'),
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/forloebstype|SOM',      'hospitalsforloeb'),
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/forloebstype|PAKKE',    'hospitalsforloeb'),
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/forloebstype|SUNDKOOR', 'sundhedskoordinator'),
    -- A document normally carries its course's code. One that arrives without its course (an
    -- export page can end between a course and its documents) keeps its own type code: only
    -- LÆ 265 is a case type of its own. Other document, encounter and plan codes stay
    -- unmapped on purpose: how sensitive a note is depends on its course, and unclassified is
    -- the strictest level.
    ('fhir-r4', 'https://epj.glasby.example/fhir/CodeSystem/dokumenttype|LAE265',   'laegeattest_lae265'),

    -- Children and family (DUBU): measureCode. Serviceloven paragraphs of cases opened before
    -- 2024 resolve by the case's start date; these rows cover the abbreviated Barnets Lov
    -- spellings ('BL § 20'), § 30 and later citations of repealed paragraphs.
    ('dubu', 'UNDERSOEGELSE',     'boernefaglig_undersoegelse'),
    ('dubu', 'FAMILIEBEHANDLING', 'stoettende_indsats'),
    ('dubu', 'AFLASTNING',        'stoettende_indsats'),
    ('dubu', 'KONTAKTPERSON',     'stoettende_indsats'),
    ('dubu', 'ANBRINGELSE',       'anbringelse'),
    ('dubu', 'ANBRINGELSE-TVANG', 'anbringelse'),
    ('dubu', 'FOREBYGGENDE',      'forebyggende_indsats'),
    ('dubu', 'FRIPLADS',          'friplads'),                -- excluded (Dagtilbudsloven)
    ('dubu', 'TABT-ARB',          'tabt_arbejdsfortjeneste'); -- excluded

-- Case types the simulated systems use that 0002 lacked.
INSERT INTO case_type (code, area, label_da, label_en, sensitivity, cross_department) VALUES
    ('nytteindsats',   'employment', 'Nytteindsats',   'Community work placement',          'normal',    true),
    ('ledsageordning', 'social',     'Ledsageordning', 'Escort scheme for disabled adults', 'sensitive', true);

INSERT INTO case_type_version (case_type, legal_basis, kle, valid_from, valid_to, note) VALUES
    ('nytteindsats',   'LAB',      NULL, NULL, NULL, 'Paragraph not verified; only the law is named.'),
    ('ledsageordning', 'SEL § 97', NULL, NULL, NULL, NULL);

INSERT INTO legal_basis_alias (spelling, case_type, current_legal_basis, valid_from, valid_to, note) VALUES
    ('SEL § 97', 'ledsageordning', 'SEL § 97', NULL, NULL, NULL);

INSERT INTO source_code_map (adapter_kind, source_code, case_type) VALUES
    ('momentum', 'nytteindsats',   'nytteindsats'),
    ('sensum',   'Ledsageordning', 'ledsageordning');
