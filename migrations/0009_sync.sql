-- 0009: `glasplade sync`: each source's bulk-export pass (where it stands, so an interrupted
-- sync resumes where it stopped), the staging table export pages are copied into, and the
-- records the pass under way has seen (so a completed pass can mark the rest removed).
-- lib/sync.c is the only writer.

CREATE TABLE sync_state (
    source_id             text PRIMARY KEY REFERENCES source (id) ON DELETE CASCADE,
    kind                  text NOT NULL,
    base_url              text NOT NULL,
    pass_started_at       timestamptz,
    cursor                text,
    pages                 bigint NOT NULL DEFAULT 0 CHECK (pages >= 0),
    records               bigint NOT NULL DEFAULT 0 CHECK (records >= 0),
    carry                 jsonb,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    last_pass_started_at  timestamptz,
    last_completed_at     timestamptz,
    last_pages            bigint,
    last_records          bigint,
    last_removed          bigint,
    last_error            text,
    last_error_at         timestamptz,
    CHECK ((pass_started_at IS NULL) = (cursor IS NULL))
);
COMMENT ON TABLE sync_state IS 'One row per source that glasplade sync has read: the pass under way (pass_started_at and cursor set) and the last completed one. A pass is one walk through the source''s whole bulk export, page by page; each page is merged into record in the same transaction that moves cursor on, so a sync that is killed or stopped (--max-pages) resumes at the first page not merged, without duplicates or loss.';
COMMENT ON COLUMN sync_state.kind IS 'The adapter kind and base URL the pass under way reads. When the source''s configuration no longer matches, its cursor means nothing there and the next sync starts a new pass.';
COMMENT ON COLUMN sync_state.cursor IS 'The export cursor of the next page to fetch; '''' is the first page. NULL exactly when no pass is under way.';
COMMENT ON COLUMN sync_state.carry IS 'The last citizen''s records of the last merged page (JSON: what a child record takes from its case). A page may end inside a citizen (FHIR pages count resources), so the next page''s documents and encounters find their case here and are classified exactly as in a per-CPR lookup. Holds personal data; the CPR is inside.';
COMMENT ON COLUMN sync_state.last_removed IS 'Records the last completed pass marked removed: live records of the source that the whole export no longer contained.';
COMMENT ON COLUMN sync_state.last_error IS 'Why the last sync of this source failed (CPR numbers masked); cleared by the next page merged.';

-- Unlogged: it holds one page between COPY and merge; a crash that empties it loses nothing,
-- the page is fetched again from the cursor.
CREATE UNLOGGED TABLE sync_staging (
    source_id           text NOT NULL,
    cpr                 char(10) NOT NULL,
    source_ref          text NOT NULL,
    parent_ref          text,
    source_code         text,
    legal_basis_raw     text,
    data_type           text,
    kind                text,
    title               text,
    status              text,
    start_date          date,
    end_date            date,
    document_date       date,
    unit                text,
    caseworker_name     text,
    caseworker_contact  text,
    source_updated      timestamptz
);
COMMENT ON TABLE sync_staging IS 'One export page per source being synced, copied in with COPY FROM STDIN and consumed (deleted) by the statement that merges it into record. Rows left by a killed sync are deleted when the next sync of that source starts.';

CREATE TABLE sync_seen (
    source_id   text NOT NULL,
    cpr         char(10) NOT NULL,
    source_ref  text NOT NULL
);
COMMENT ON TABLE sync_seen IS 'The records the pass under way has merged, per source. When the pass completes, the source''s live records not in here (and not refreshed by a per-CPR lookup since the pass began) are marked removed, and the rows are deleted. Logged, unlike sync_staging: a pass resumed after a crash must still know what it saw before.';
