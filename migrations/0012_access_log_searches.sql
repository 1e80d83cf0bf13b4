-- 0012: a citizen's access log also lists the CPR-list searches that returned them. A search's
-- audit row has no CPR of its own (it is about many citizens); the CPRs it returned are in
-- details->'returned'. This index finds the searches that returned one CPR.

CREATE INDEX audit_log_search_returned ON audit_log USING gin ((details -> 'returned') jsonb_path_ops)
    WHERE action = 'search';
COMMENT ON INDEX audit_log_search_returned IS 'The CPR-list searches (action search) by the CPR numbers they returned (details->''returned'', a JSON array of strings): for a citizen''s access log.';
