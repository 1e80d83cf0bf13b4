-- 0030: the citizen is a caller too (DESIGN "Who sees what"): a client role of its own, bound to
-- one CPR. Identity (issue 17) needs it for citizens who sign in through their identity provider
-- (MitID via NemLog-in); the lawful-sharing work (issue 13) adds the same value in its own
-- migration, hence IF NOT EXISTS. Alone in its migration because PostgreSQL lets a new enum value
-- be used only after the transaction that added it commits.

ALTER TYPE client_role ADD VALUE IF NOT EXISTS 'citizen';
