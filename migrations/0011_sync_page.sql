-- 0011: glasplade sync stages each page in a temporary table of its own session (sync_page,
-- created LIKE sync_staging, emptied when the page's transaction ends) instead of sharing
-- sync_staging: the COPY and the merge are one transaction on one connection, a merge never
-- scans other sessions' pages or dead rows, and several sources can be synced at once.

COMMENT ON TABLE sync_staging IS 'The shape of one staged export page: glasplade sync creates a temporary table LIKE it per database session (sync_page, ON COMMIT DELETE ROWS), copies a page into that with COPY FROM STDIN and merges it into record in the same transaction. This table itself holds no rows since migration 0011.';

-- Rows a sync before 0011 left behind (killed between COPY and merge) are of no use now.
TRUNCATE sync_staging;
