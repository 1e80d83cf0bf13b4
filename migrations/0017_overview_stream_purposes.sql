-- 0017: the streamed CPR button (GET /v1/citizens/{cpr}/overview/stream) is the same read as the
-- overview, so the same roles may state the same purposes on it (role_purpose, migration 0016).

INSERT INTO role_purpose (role, purpose, route)
SELECT role, purpose, 'GET /v1/citizens/{cpr}/overview/stream'
  FROM role_purpose
 WHERE route = 'GET /v1/citizens/{cpr}/overview'
ON CONFLICT DO NOTHING;
