-- name: what
-- description: What an identity did: each service, action and resource with its calls and errors.
-- params: who (an identity, or a GitHub repository such as acme/api), since, until, account
SELECT service,
       action,
       resource,
       COUNT(*) AS calls,
       SUM(error_code IS NOT NULL) AS errors,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(time), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(time), 'unixepoch') AS last_seen
FROM event_origin
WHERE twin_of IS NULL
  AND (identity = :who OR (kind = 'github-actions' AND github_repo(identity) = :who_repo))
  AND (:account IS NULL OR account = :account)
  AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
GROUP BY service, action, resource
ORDER BY calls DESC, service, action, resource;
