-- name: timeline
-- description: Every event in time order with its origin and how it was attributed.
-- params: role, who, session (an access key id), since, until, account (all optional)
WITH who_sessions(key) AS (
    SELECT access_key_id FROM sessions WHERE identity = :who
    UNION
    SELECT access_key_id FROM sessions WHERE repo = :who_repo
),
who_events(id) AS (
    -- With --who, the events that can be that identity's, found through indexes: those its sessions
    -- signed, those that name it themselves, and the cross-account copies of either.
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
),
picked AS (
    SELECT * FROM event_origin WHERE :who IS NULL
    UNION ALL
    SELECT * FROM event_origin
    WHERE :who IS NOT NULL
      AND id IN (SELECT id FROM with_copies)
      AND (identity = :who OR (kind = 'github-actions' AND :who_repo IS NOT NULL AND github_repo(identity) = :who_repo))
)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', o.time, 'unixepoch') AS time,
       o.event_id,
       o.identity,
       o.kind,
       o.attribution,
       o.session_role_arn AS role_arn,
       o.access_key_id AS session,
       o.account,
       o.region,
       o.service,
       o.action,
       o.resource,
       o.error_code,
       o.source_ip,
       o.user_agent
FROM picked o
WHERE (:role IS NULL
       OR o.signing_session IN (SELECT s.id FROM sessions s
                                WHERE s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
       OR (o.req_role_arn IS NOT NULL
           AND (o.req_role_name = :role OR o.req_role_arn = :role OR o.req_permission_set = :role)))
  AND (:session IS NULL OR o.access_key_id = :session)
  AND (:account IS NULL OR o.account = :account)
  AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
ORDER BY o.time, o.event_id;
