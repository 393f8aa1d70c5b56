-- name: first-seen
-- description: Identities whose first event falls in the window: new people, pipelines and services.
-- params: since, until, account (all optional; without since, every identity is new)
SELECT identity,
       kind,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(time), 'unixepoch') AS first_seen,
       COUNT(*) AS events
FROM event_origin
WHERE identity IS NOT NULL AND time IS NOT NULL
  AND (:account IS NULL OR account = :account)
GROUP BY identity, kind
HAVING (:since IS NULL OR MIN(time) >= :since) AND (:until IS NULL OR MIN(time) < :until)
ORDER BY MIN(time), identity;
