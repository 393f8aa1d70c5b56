-- name: sso-users
-- description: Identity Center users per permission set and account, with their sessions.
-- params: role (a permission set, optional), since, until, account
SELECT s.permission_set,
       s.account,
       s.identity AS user,
       COUNT(*) AS sessions,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(s.created), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(s.created), 'unixepoch') AS last_seen
FROM sessions s
WHERE s.permission_set IS NOT NULL AND s.kind = 'sso'
  AND (:role IS NULL OR s.permission_set = :role)
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
GROUP BY s.permission_set, s.account, s.identity
ORDER BY s.permission_set, s.account, s.identity;
