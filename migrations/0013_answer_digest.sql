-- 0013: what the index last stored of each source's answer, as a digest, so that a press whose
-- source answers exactly what it answered before can skip parsing and storing it (api/lookup.c,
-- lib/index.c). The digest covers the answer's bytes and what turns them into records (the
-- adapter kind, the source's department, the binary's build id), so a new build, a changed
-- taxonomy (it ships in the binary's migrations) or a re-homed source invalidates it by itself.
-- Every other writer of record clears the digests of the citizens whose records it changed
-- (the bulk sync, lib/sync.c). A digest is trusted for a bounded time only
-- (GLASPLADE_INDEX_DIGEST_TTL_S): after that the answer is stored in full again, which rewrites
-- nothing that is unchanged and repairs anything that is not.

ALTER TABLE source_fetch ADD COLUMN answer_digest bytea,
    ADD COLUMN answer_digest_at timestamptz;
COMMENT ON COLUMN source_fetch.answer_digest IS 'SHA-256 of the last answer stored in full for this citizen and source (with the adapter kind, department and build id); NULL when none is vouched for. While set, the index holds exactly that answer''s records.';
COMMENT ON COLUMN source_fetch.answer_digest_at IS 'When answer_digest was last stored in full (not merely found unchanged): a digest older than GLASPLADE_INDEX_DIGEST_TTL_S is not trusted.';
