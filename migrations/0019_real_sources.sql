-- 0019: real department systems. Credentials and options per source (the secrets themselves
-- stay outside the database: a source names a file or an environment variable), terminology as
-- a ConceptMap-like table consulted for every coding a record carries, the codes a source sends
-- that map to nothing, and a note on a record whose status Glasplade reconciled with its dates.
--
-- Function bodies are dollar-quoted or BEGIN ATOMIC: the migration is sent to the server whole.

-- ---------------------------------------------------------------------------------------------
-- Sources: options and credentials.

ALTER TABLE source
    ADD COLUMN options jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(options) = 'object'),
    ADD COLUMN auth_kind text NOT NULL DEFAULT 'none'
        CHECK (auth_kind IN ('none', 'bearer', 'basic', 'oauth2_client_credentials', 'mtls')),
    ADD COLUMN auth_secret text
        CHECK (auth_secret ~ '^(file:/[^[:cntrl:]]+|env:[A-Za-z_][A-Za-z0-9_]*)$'),
    ADD COLUMN auth_username text CHECK (auth_username <> '' AND auth_username !~ '[[:cntrl:]]'),
    ADD COLUMN auth_token_url text CHECK (auth_token_url ~ '^https?://[^@/?#]+(/|$)'),
    ADD COLUMN auth_scope text CHECK (auth_scope <> '' AND auth_scope !~ '[[:cntrl:]]'),
    ADD COLUMN tls_cert_file text CHECK (tls_cert_file ~ '^/[^[:cntrl:]]*$'),
    ADD COLUMN tls_key_file text CHECK (tls_key_file ~ '^/[^[:cntrl:]]*$'),
    ADD COLUMN tls_ca_file text CHECK (tls_ca_file ~ '^/[^[:cntrl:]]*$'),
    ADD CONSTRAINT source_auth_complete CHECK (CASE auth_kind
        WHEN 'none' THEN auth_secret IS NULL AND auth_username IS NULL AND auth_token_url IS NULL
        WHEN 'bearer' THEN auth_secret IS NOT NULL
        WHEN 'basic' THEN auth_secret IS NOT NULL AND auth_username IS NOT NULL
        WHEN 'oauth2_client_credentials' THEN
            auth_secret IS NOT NULL AND auth_username IS NOT NULL AND auth_token_url IS NOT NULL
        WHEN 'mtls' THEN tls_cert_file IS NOT NULL AND auth_secret IS NULL
        END),
    ADD CONSTRAINT source_client_cert CHECK ((tls_cert_file IS NULL) = (tls_key_file IS NULL)),
    -- Credentials never travel in the URL. NOT VALID: a row written before this migration is
    -- left as it is (and shown with its user information masked); every change must comply.
    ADD CONSTRAINT source_url_no_userinfo
        CHECK (base_url !~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@') NOT VALID;

COMMENT ON COLUMN source.options IS 'Options of the source''s adapter kind, a JSON object of strings checked by the adapter (glasplade source set --option KEY=VALUE). fhir-r4: search (per-type | system), patient (pdqm | identifier), types (a comma list of EpisodeOfCare, CarePlan, DocumentReference, Encounter), include (yes | no). {} is the kind''s defaults.';
COMMENT ON COLUMN source.auth_kind IS 'How Glasplade authenticates to the system: none, bearer (a static token), basic, oauth2_client_credentials (RFC 6749 4.4, client authentication by HTTP Basic; tokens cached in memory until shortly before they expire and fetched again once after a 401), mtls (a client certificate alone). A client certificate (tls_cert_file, tls_key_file) may go with any kind.';
COMMENT ON COLUMN source.auth_secret IS 'Where the secret is, never the secret: file:/absolute/path (the file''s content, a trailing newline dropped) or env:NAME (the server''s environment variable). The bearer token, the basic password or the OAuth 2.0 client secret. Never shown by GET /v1/sources or glasplade source list.';
COMMENT ON COLUMN source.auth_username IS 'basic: the user name. oauth2_client_credentials: the client id. Not a secret.';
COMMENT ON COLUMN source.tls_ca_file IS 'A PEM bundle of the certificate authorities that may sign the system''s server certificate, instead of the machine''s.';

-- The FHIR adapter used to append /fhir to the base URL and search system-wide with the
-- chained patient.identifier parameter. It now takes the base URL as given; existing sources
-- keep exactly what they were asked before.
UPDATE source
   SET base_url = rtrim(base_url, '/') || '/fhir',
       options = '{"search": "system", "patient": "identifier"}'
 WHERE kind = 'fhir-r4';

-- ---------------------------------------------------------------------------------------------
-- Terminology: a ConceptMap as a table.

CREATE TABLE concept_map (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    map_version     text NOT NULL CHECK (map_version <> ''),
    system          text NOT NULL CHECK (system ~ '^[a-z][a-z0-9+.-]*:[^[:space:]|]+$'),
    system_version  text,
    code            text NOT NULL CHECK (code <> '' AND code !~ '[[:cntrl:]]'),
    display         text,
    area            text REFERENCES area (code),
    case_type       text REFERENCES case_type (code) CHECK (case_type <> 'unclassified'),
    sensitivity     sensitivity_level,
    equivalence     text NOT NULL DEFAULT 'equivalent'
                    CHECK (equivalence IN ('equivalent', 'wider', 'narrower', 'relatedto')),
    valid_from      date,
    valid_to        date,
    provenance      text,
    note            text,
    map_key         text GENERATED ALWAYS AS (system || '|' || code || '|' || coalesce(area, '*'))
                    STORED,
    CHECK (valid_to > valid_from),
    CHECK (case_type IS NOT NULL OR sensitivity IS NOT NULL)
);
COMMENT ON TABLE concept_map IS 'Codings onto the taxonomy, in the spirit of a FHIR ConceptMap: (system, code) of a coding a record carries -> a case type, and/or a sensitivity the record has at least (security labels). record_classify reads every coding of a record in the order the adapter gives them (most specific first: the resource''s type, then its class, then its security labels) and takes the first that names a case type; the sensitivity is the strictest of the case type''s and every matched row''s. A coding no row maps is listed per source in source_unmapped. A new code, or a changed mapping, is a new migration: close the old row (valid_to) and insert one.';
COMMENT ON COLUMN concept_map.map_version IS 'The release of this map the row was added in (''2026.1''), as ConceptMap.version.';
COMMENT ON COLUMN concept_map.system IS 'The code system URI exactly as FHIR codings carry it (http://snomed.info/sct, urn:oid:1.2.208.176.2.4 for SKS).';
COMMENT ON COLUMN concept_map.system_version IS 'The code system version the mapping was made against, for the record; codings match on system and code alone.';
COMMENT ON COLUMN concept_map.area IS 'The row applies only to sources whose department is of this area; NULL: to every source. A scoped row wins over an unscoped one for the same coding. Setting codes (an ambulatory contact) mean a hospital course at a hospital, not at a municipality.';
COMMENT ON COLUMN concept_map.sensitivity IS 'The least sensitivity of a record carrying this coding (a security label: v3-Confidentiality V, very restricted); NULL: the case type''s own.';
COMMENT ON COLUMN concept_map.equivalence IS 'How the case type relates to the code (ConceptMap.group.element.target.equivalence, R4): equivalent, wider (the case type is broader than the code), narrower, relatedto.';
COMMENT ON COLUMN concept_map.valid_from IS 'First day (of the record''s own date: start, else document date, else today) the row applies; NULL: always before valid_to.';
COMMENT ON COLUMN concept_map.valid_to IS 'First day the row no longer applies (exclusive); NULL: still current.';
COMMENT ON COLUMN concept_map.provenance IS 'Where the code and its meaning come from (the public material).';

CREATE INDEX concept_map_coding_idx ON concept_map (system, code);
CREATE CONSTRAINT TRIGGER concept_map_no_overlap
    AFTER INSERT OR UPDATE ON concept_map
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION taxonomy_no_overlap('map_key');

-- The FHIR codes 0004 mapped move here ('<system>|<code>' split at the first '|').
INSERT INTO concept_map (map_version, system, code, case_type, provenance, note)
SELECT '2026.1', split_part(m.source_code, '|', 1),
       substr(m.source_code, strpos(m.source_code, '|') + 1), m.case_type,
       'cmd/deptsim/catalogue.c (simulated vendor code systems)', 'Moved from source_code_map (0004).'
  FROM source_code_map m
 WHERE m.adapter_kind = 'fhir-r4' AND strpos(m.source_code, '|') > 1;
DELETE FROM source_code_map WHERE adapter_kind = 'fhir-r4';

INSERT INTO concept_map (map_version, system, code, display, area, case_type, sensitivity, equivalence, provenance, note) VALUES
    -- HL7 v3 ActCode, the encounter classes of FHIR R4 (Encounter.class; DK Core and MedCom
    -- use the same value set). A setting, not a case: mapped only where the setting decides the
    -- case type — at a hospital, any contact is part of a hospital course.
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'AMB',   'ambulatory',       'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode), FHIR R4 v3-ActEncounterCode', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'IMP',   'inpatient encounter', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'ACUTE', 'inpatient acute',  'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'NONAC', 'inpatient non-acute', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'EMER',  'emergency',        'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'OBSENC','observation encounter', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'SS',    'short stay',       'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'VR',    'virtual',          'health_regional', 'hospitalsforloeb', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'HH',    'home health',      'health_municipal', 'hjemmesygepleje', NULL, 'wider', 'HL7 v3 ActCode (_ActEncounterCode)', 'Home health from a municipality is home nursing (SUL § 138); from a hospital it stays unmapped.'),

    -- SKS (Sundhedsvæsenets Klassifikations System, urn:oid:1.2.208.176.2.4): the LPR3 contact
    -- types every Danish hospital contact is reported with.
    ('2026.1', 'urn:oid:1.2.208.176.2.4', 'ALCA00', 'fysisk fremmøde', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SKS, LPR3 kontakttype (public examples: DK FHIR questionnaires, CDA documents with codeSystem 1.2.208.176.2.4)', NULL),
    ('2026.1', 'urn:oid:1.2.208.176.2.4', 'ALCA03', 'virtuel kontakt', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SKS, LPR3 kontakttype (as above)', NULL),

    -- FHIR R4 episodeofcare-type (EpisodeOfCare.type's example value set).
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/episodeofcare-type', 'hacc', 'Home and Community Care', 'health_municipal', 'hjemmepleje', NULL, 'equivalent', 'HL7 FHIR R4 CodeSystem episodeofcare-type', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/episodeofcare-type', 'cacp', 'Community-based aged care', 'health_municipal', 'hjemmepleje', NULL, 'wider', 'HL7 FHIR R4 CodeSystem episodeofcare-type', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/episodeofcare-type', 'pac', 'Post Acute Care', 'health_municipal', 'genoptraening', NULL, 'relatedto', 'HL7 FHIR R4 CodeSystem episodeofcare-type', 'After a hospital stay a municipality trains (SUL § 140); ''da'' (drug and alcohol) stays unmapped: SEL § 101 or SUL § 141 cannot be told apart.'),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/episodeofcare-type', 'diab', 'Post coordinated diabetes program', 'health_municipal', 'sundhedsforloeb', NULL, 'relatedto', 'HL7 FHIR R4 CodeSystem episodeofcare-type', NULL),

    -- LOINC document types (DocumentReference.type) a hospital sends.
    ('2026.1', 'http://loinc.org', '34108-1', 'Outpatient Note',     'health_regional', 'hospitalsforloeb', NULL, 'wider', 'LOINC', NULL),
    ('2026.1', 'http://loinc.org', '11506-3', 'Progress note',       'health_regional', 'hospitalsforloeb', NULL, 'wider', 'LOINC', NULL),
    ('2026.1', 'http://loinc.org', '18842-5', 'Discharge summary',   'health_regional', 'hospitalsforloeb', NULL, 'wider', 'LOINC', NULL),
    ('2026.1', 'http://loinc.org', '34117-2', 'History and physical note', 'health_regional', 'hospitalsforloeb', NULL, 'wider', 'LOINC', NULL),

    -- SNOMED CT encounter types in HL7's R4 examples (Encounter.type).
    ('2026.1', 'http://snomed.info/sct', '11429006',  'Consultation',                   'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SNOMED CT (HL7 R4 example Encounter/f201)', NULL),
    ('2026.1', 'http://snomed.info/sct', '367336001', 'Chemotherapy',                   'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SNOMED CT (HL7 R4 example Encounter/f202)', NULL),
    ('2026.1', 'http://snomed.info/sct', '183807002', 'Inpatient stay for nine days',   'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SNOMED CT (HL7 R4 example Encounter/f203)', NULL),
    ('2026.1', 'http://snomed.info/sct', '270427003', 'Patient-initiated encounter',    'health_regional', 'hospitalsforloeb', NULL, 'wider', 'SNOMED CT (HL7 R4 example Encounter/f001)', NULL),

    -- Security labels (meta.security, DocumentReference.securityLabel): HL7 v3 Confidentiality
    -- and the sensitivity codes of v3 ActCode (_InformationSensitivityPolicy). They raise a
    -- record's sensitivity and name no case type.
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', 'R', 'restricted',      NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 Confidentiality', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', 'V', 'very restricted', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 Confidentiality', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'PSY',  'psychiatry information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'ETH',  'substance abuse information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'SUD',  'substance use disorder information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'HIV',  'HIV/AIDS information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'STD',  'sexually transmitted disease information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'SDV',  'sexual assault, abuse, or domestic violence information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'SEX',  'sexuality and reproductive health information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL),
    ('2026.1', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'GDIS', 'genetic disease information sensitivity', NULL, NULL, 'highly_sensitive', 'equivalent', 'HL7 v3 ActCode (_InformationSensitivityPolicy)', NULL);

-- ---------------------------------------------------------------------------------------------
-- Classification, reading the concept map. Same signature and answer as 0007's: the sync and
-- the CPR button call it unchanged.

CREATE OR REPLACE FUNCTION record_classify(p_source_id text, p_source_code text,
                                           p_legal_basis_raw text, p_on_date date)
    RETURNS TABLE (case_type text, area text, legal_basis text, sensitivity sensitivity_level)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    WITH src AS (
        SELECT s.kind, d.area AS dept_area
          FROM source s JOIN department d ON d.id = s.department
         WHERE s.id = p_source_id
    ), coding AS (
        SELECT c.ord, split_part(c.line, '|', 1) AS sys,
               substr(c.line, strpos(c.line, '|') + 1) AS code
          FROM unnest(string_to_array(p_source_code, E'\n')) WITH ORDINALITY AS c (line, ord)
         WHERE strpos(c.line, '|') > 1
    ), matched AS (
        SELECT cd.ord, m.area IS NULL AS general, m.case_type AS ct, m.sensitivity AS floor
          FROM coding cd
          JOIN concept_map m ON m.system = cd.sys AND m.code = cd.code
          CROSS JOIN src
         WHERE (m.area IS NULL OR m.area = src.dept_area)
           AND daterange(m.valid_from, m.valid_to) @> coalesce(p_on_date, current_date)
    ), by_coding AS (
        SELECT x.ct FROM matched x WHERE x.ct IS NOT NULL ORDER BY x.ord, x.general LIMIT 1
    ), floor AS (
        SELECT max(CASE x.floor WHEN 'normal' THEN 1 WHEN 'sensitive' THEN 2
                                WHEN 'highly_sensitive' THEN 3 END) AS rank
          FROM matched x
    )
    SELECT ct.code,
           coalesce(ct.area, src.dept_area),
           CASE WHEN lb.case_type = ct.code THEN lb.current_legal_basis
                ELSE coalesce(ctc.legal_basis, lb.current_legal_basis, nullif(p_legal_basis_raw, ''))
           END,
           (CASE greatest(CASE ct.sensitivity WHEN 'normal' THEN 1 WHEN 'sensitive' THEN 2 ELSE 3 END,
                          coalesce(floor.rank, 0))
                WHEN 1 THEN 'normal' WHEN 2 THEN 'sensitive' ELSE 'highly_sensitive' END)::sensitivity_level
      FROM src
      CROSS JOIN floor
      LEFT JOIN by_coding bc ON true
      LEFT JOIN LATERAL (
            SELECT r.case_type, r.current_legal_basis
              FROM legal_basis_resolve(nullif(p_legal_basis_raw, ''), coalesce(p_on_date, current_date)) r
             LIMIT 1) lb ON true
      LEFT JOIN source_code_map m ON m.adapter_kind = src.kind AND m.source_code = p_source_code
      JOIN case_type ct ON ct.code = coalesce(bc.ct, m.case_type, lb.case_type, 'unclassified')
      LEFT JOIN case_type_current ctc ON ctc.code = ct.code;
END;
COMMENT ON FUNCTION record_classify(text, text, text, date) IS 'The case type, area, current legal basis and sensitivity of a record from source p_source_id. p_source_code is the record''s codes, one per line: each ''system|code'' line is looked up in concept_map (in order; a row scoped to the source''s area before an unscoped one), and the first that names a case type decides; else the whole code through source_code_map (the JSON vendors'' own names, by adapter kind); else the legal basis as the source wrote it, resolved for the record''s date (start, else document date, else today); else ''unclassified'' — visible, never silent — in the area of the source''s department. The sensitivity is the case type''s, raised to the strictest concept_map row any line matched (security labels). No row for an unknown source.';

-- ---------------------------------------------------------------------------------------------
-- What a source sends that maps to nothing.

CREATE TABLE source_unmapped (
    source_id        text NOT NULL REFERENCES source (id),
    source_code      text NOT NULL,
    legal_basis_raw  text NOT NULL,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, source_code, legal_basis_raw)
);
COMMENT ON TABLE source_unmapped IS 'Codes (with the legal basis as written) of records a source sent that classified as ''unclassified'': what concept_map, source_code_map and legal_basis_alias lack. Written by every store of records (CPR button and sync); last_seen is coarse (updated at most hourly) so a busy code is not a hot row. Listed by glasplade source unmapped ID and counted on /metrics. A row stays after its code is mapped: see last_seen.';

-- ---------------------------------------------------------------------------------------------
-- A record whose status Glasplade decided against the source's word says so.

ALTER TABLE record ADD COLUMN status_note text;
COMMENT ON COLUMN record.status_note IS 'Why the status differs from what the source said, when it does (''the source says active; its period ended 2017-06-01''); NULL otherwise.';
ALTER TABLE sync_staging ADD COLUMN status_note text;
