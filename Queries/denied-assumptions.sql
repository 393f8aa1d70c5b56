-- name: denied-assumptions
-- description: Failed attempts to assume a role, with who tried, from where and the error.
-- params: role (optional), since, until, account
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', o.time, 'unixepoch') AS time,
       o.identity,
       o.kind,
       o.action,
       o.req_role_arn AS role_arn,
       o.error_code,
       o.source_ip,
       o.event_id
FROM event_origin o
WHERE o.req_role_arn IS NOT NULL AND o.error_code IS NOT NULL AND o.twin_of IS NULL
  AND o.service = 'sts.amazonaws.com'
  AND (:role IS NULL OR o.req_role_name = :role OR o.req_role_arn = :role OR o.req_permission_set = :role)
  AND (:account IS NULL OR o.account = :account)
  AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
ORDER BY o.time, o.event_id;
