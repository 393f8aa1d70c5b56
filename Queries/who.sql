-- name: who
-- description: Identities that assumed, or tried to assume, a role: sessions, denied attempts, calls, accounts and source IPs.
-- params: role (a role name, role ARN or Identity Center permission set), since, until, account
WITH matched AS (
    -- With a time window: the role's sessions, one by one.
    SELECT s.id, s.access_key_id, s.identity, s.kind, s.account, s.source_ip, s.created, s.first_ip
    FROM sessions s
    WHERE (:since IS NOT NULL OR :until IS NOT NULL)
      AND (s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
      AND (:account IS NULL OR s.account = :account)
),
totals AS (
    -- Without one: the totals per role and identity that the resolver keeps (failed attempts included).
    SELECT r.* FROM role_identities r
    WHERE :since IS NULL AND :until IS NULL
      AND (r.role_name = :role OR r.role_arn = :role OR r.permission_set = :role)
      AND (:account IS NULL OR r.account = :account)
),
activity (identity, kind, sessions, denied, calls, first, last, ip, account) AS (
    SELECT identity, kind, sessions, denied, calls, first, last, NULL, account FROM totals
    UNION ALL
    -- (No DISTINCT: source_ips is a :list column, read as a set.)
    SELECT t.identity, t.kind, 0, 0, 0, NULL, NULL, i.ip, t.account
    FROM totals t CROSS JOIN role_identity_ips i  -- CROSS: from the few totals into the IPs by key, never a scan
        ON i.role_arn = t.role_arn AND i.identity = t.identity AND i.kind = t.kind
    UNION ALL
    -- Each successful assumption in the window (an orphan's first sighting included).
    SELECT identity, kind, 1, 0, 0, created, created, COALESCE(source_ip, first_ip), account
    FROM matched
    WHERE (:since IS NULL OR created >= :since) AND (:until IS NULL OR created < :until)
    UNION ALL
    -- The calls those sessions signed in the window.
    SELECT m.identity, m.kind, 0, 0, COUNT(*), MIN(e.time), MAX(e.time), NULL, m.account
    FROM matched m
    JOIN events e ON e.access_key_id = m.access_key_id AND e.twin_of IS NULL
         AND (e.session_created IS NULL OR m.created IS NULL
              OR m.created BETWEEN e.session_created - 2 AND e.session_created + 2)
    WHERE (:since IS NULL OR e.time >= :since) AND (:until IS NULL OR e.time < :until)
    GROUP BY m.id
    UNION ALL
    SELECT DISTINCT m.identity, m.kind, 0, 0, 0, NULL, NULL, e.source_ip, m.account
    FROM matched m
    JOIN events e ON e.access_key_id = m.access_key_id AND e.twin_of IS NULL
         AND (e.session_created IS NULL OR m.created IS NULL
              OR m.created BETWEEN e.session_created - 2 AND e.session_created + 2)
    WHERE (:since IS NULL OR e.time >= :since) AND (:until IS NULL OR e.time < :until)
    UNION ALL
    -- With a window, each failed attempt to assume the role (the totals count them otherwise).
    SELECT o.identity, o.kind, 0, 1, 0, o.time, o.time, o.source_ip, COALESCE(arn_account(o.req_role_arn), o.account)
    FROM event_origin o
    WHERE (:since IS NOT NULL OR :until IS NOT NULL)
      AND o.req_role_arn IS NOT NULL AND o.error_code IS NOT NULL AND o.twin_of IS NULL
      AND o.service = 'sts.amazonaws.com'
      AND o.action IN ('AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML')
      AND o.identity IS NOT NULL AND o.kind IS NOT NULL
      AND (o.req_role_name = :role OR o.req_role_arn = :role OR o.req_permission_set = :role)
      AND (:account IS NULL OR arn_account(o.req_role_arn) = :account)
      AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
)
SELECT identity,
       kind,
       SUM(sessions) AS sessions,
       SUM(denied) AS denied,
       SUM(calls) AS calls,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(first), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(last), 'unixepoch') AS last_seen,
       json_group_array(DISTINCT account) AS "accounts:list",
       json_group_array(ip) AS "source_ips:list"  -- a :list column is read as a set: no DISTINCT to pay for
FROM activity
GROUP BY identity, kind
HAVING SUM(sessions) + SUM(denied) + SUM(calls) > 0
ORDER BY MAX(last) DESC, identity;
