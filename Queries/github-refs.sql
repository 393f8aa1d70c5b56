-- name: github-refs
-- description: GitHub repositories and refs (branches, tags, environments, pull requests) that assumed each role.
-- params: role (optional), since, until, account
SELECT s.role_arn,
       substr(s.identity, 6, instr(substr(s.identity, 6), ':') - 1) AS repository,
       substr(s.identity, 6 + instr(substr(s.identity, 6), ':')) AS ref,
       COUNT(*) AS sessions,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(s.created), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(s.created), 'unixepoch') AS last_seen
FROM sessions s
WHERE s.kind = 'github-actions' AND s.identity LIKE 'repo:%'
  AND (:role IS NULL OR s.role_name = :role OR s.role_arn = :role)
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
GROUP BY s.role_arn, repository, ref
ORDER BY s.role_arn, repository, ref;
