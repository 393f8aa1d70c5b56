-- name: timeline
-- description: Every event in time order with its origin and how it was attributed.
-- params: role, who, session (an access key id), since, until, account (all optional)
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
FROM event_origin o
WHERE (:role IS NULL
       OR o.signing_session IN (SELECT s.id FROM sessions s
                                WHERE s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
       OR (o.req_role_arn IS NOT NULL
           AND (o.req_role_name = :role OR o.req_role_arn = :role OR o.req_permission_set = :role)))
  AND (:who IS NULL OR o.identity = :who
       OR (o.kind = 'github-actions' AND github_repo(o.identity) = :who_repo))
  AND (:session IS NULL OR o.access_key_id = :session)
  AND (:account IS NULL OR o.account = :account)
  AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
ORDER BY o.time, o.event_id;
