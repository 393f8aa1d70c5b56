-- name: what
-- description: What an identity did: each service, action and resource with its calls and errors.
-- params: who (an identity, or a GitHub repository such as acme/api), since, until, account
WITH who_sessions(key) AS (
    SELECT access_key_id FROM sessions WHERE identity = :who
    UNION
    SELECT access_key_id FROM sessions WHERE repo = :who_repo
),
who_events(id) AS (
    -- The events that can be the identity's, found through indexes (see timeline.sql).
    SELECT e.id FROM who_sessions w CROSS JOIN events e ON e.access_key_id = w.key
    UNION
    SELECT e.id FROM events e WHERE e.own_identity = :who AND (e.own_attribution = 'direct' OR e.access_key_id IS NULL)
    UNION
    SELECT e.id FROM events e
    WHERE e.own_kind = 'github-actions' AND e.own_attribution = 'direct' AND :who_repo IS NOT NULL
      AND github_repo(e.own_identity) = :who_repo
    UNION
    SELECT e.id FROM events e WHERE e.on_behalf_of IN (SELECT user_id FROM sso_names WHERE user_name = :who)
),
with_copies(id) AS (
    SELECT id FROM who_events
    UNION
    SELECT e.id FROM events e WHERE e.twin_of IN (SELECT id FROM who_events)
)
SELECT service,
       action,
       resource,
       COUNT(*) AS calls,
       SUM(error_code IS NOT NULL) AS errors,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(time), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(time), 'unixepoch') AS last_seen
FROM event_origin
WHERE id IN (SELECT id FROM who_events)
  AND twin_of IS NULL
  AND (identity = :who OR (kind = 'github-actions' AND :who_repo IS NOT NULL AND github_repo(identity) = :who_repo))
  AND (:account IS NULL OR account = :account)
  AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
GROUP BY service, action, resource
ORDER BY calls DESC, service, action, resource;
