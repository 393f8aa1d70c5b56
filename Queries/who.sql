-- name: who
-- description: Identities that assumed, or tried to assume, a role: sessions, denied attempts, calls, accounts and source IPs.
-- params: role (a role name, role ARN or Identity Center permission set), since, until, account
WITH matched AS (
    SELECT s.id, s.identity, s.kind, s.account, s.source_ip, s.created
    FROM sessions s
    WHERE (s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
      AND (:account IS NULL OR s.account = :account)
),
activity AS (
    -- Each successful assumption (the orphans' first sighting included).
    SELECT m.identity, m.kind, m.id AS session, 0 AS denied, 0 AS call, m.created AS time, m.source_ip, m.account
    FROM matched m
    WHERE (:since IS NULL OR m.created >= :since) AND (:until IS NULL OR m.created < :until)
    UNION ALL
    -- Each call signed by those sessions; the target-account copy of a cross-account call counts once.
    SELECT m.identity, m.kind, NULL, 0, 1, e.time, e.source_ip, m.account
    FROM matched m JOIN events e ON e.session_id = m.id
    WHERE e.twin_of IS NULL
      AND (:since IS NULL OR e.time >= :since) AND (:until IS NULL OR e.time < :until)
    UNION ALL
    -- Each failed attempt to assume the role.
    SELECT o.identity, o.kind, NULL, 1, 0, o.time, o.source_ip,
           COALESCE(arn_account(o.req_role_arn), o.account)
    FROM event_origin o
    WHERE o.req_role_arn IS NOT NULL AND o.error_code IS NOT NULL AND o.twin_of IS NULL
      AND o.service = 'sts.amazonaws.com'
      AND o.action IN ('AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML')
      AND (o.req_role_name = :role OR o.req_role_arn = :role OR o.req_permission_set = :role)
      AND (:account IS NULL OR arn_account(o.req_role_arn) = :account)
      AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
)
SELECT identity,
       kind,
       COUNT(DISTINCT session) AS sessions,
       SUM(denied) AS denied,
       SUM(call) AS calls,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(time), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(time), 'unixepoch') AS last_seen,
       json_group_array(DISTINCT account) AS "accounts:list",
       json_group_array(DISTINCT source_ip) AS "source_ips:list"
FROM activity
GROUP BY identity, kind
ORDER BY MAX(time) DESC, identity;
