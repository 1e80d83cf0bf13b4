-- 0006: record.fetched_at now moves only when a record's content changes: a refresh that
-- returns what the index already has writes nothing (lib/index.c), and removal is decided by
-- the references a complete answer contains, not by timestamps.
COMMENT ON COLUMN record.fetched_at IS 'When Glasplade last received a new or changed version of this record. When the source last answered for the citizen is source_fetch.last_ok_at.';
