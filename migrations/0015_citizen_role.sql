-- 0015: the citizen is a caller too (DESIGN "Who sees what"): a client role of its own, bound to
-- one CPR (migration 0016 adds the column and what it allows). Alone in its migration because
-- PostgreSQL lets a new enum value be used only after the transaction that added it commits.

ALTER TYPE client_role ADD VALUE IF NOT EXISTS 'citizen';
