-- name: github-refs
-- description: GitHub repositories and what ran (branch, tag, environment, pull request, custom claims) per role.
-- params: role (optional), since, until, account
SELECT s.role_arn,
       s.repo AS repository,
       github_context(s.identity) AS ref,
       COUNT(*) AS sessions,
       SUM(s.calls) AS calls,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(s.created), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(s.created), 'unixepoch') AS last_seen
FROM sessions s
WHERE s.repo IS NOT NULL
  AND (:role IS NULL OR s.role_name = :role OR s.role_arn = :role)
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
GROUP BY s.role_arn, repository, ref
ORDER BY s.role_arn, repository, ref;
