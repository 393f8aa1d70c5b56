-- name: orphan-sessions
-- description: Sessions whose origin is not in the imported logs, with what was inferred and the calls they signed.
-- params: role, since, until, account (all optional)
SELECT s.access_key_id,
       s.identity,
       s.kind,
       s.role_arn,
       s.session_name,
       s.account,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.created, 'unixepoch') AS started,
       s.calls
FROM sessions s
WHERE s.attribution = 'inferred'
  AND (:role IS NULL OR s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
ORDER BY s.created, s.access_key_id;
