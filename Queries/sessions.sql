-- name: sessions
-- description: Role and federation sessions with their origin, role chain and the calls they signed.
-- params: role, who, since, until, account (all optional)
SELECT s.access_key_id,
       s.identity,
       s.kind,
       s.role_arn,
       s.session_name,
       s.account,
       s.source_identity,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.created, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.expires, 'unixepoch') AS expires,
       s.calls,
       COALESCE(s.source_ip, s.first_ip) AS source_ip,
       s.chain AS "chain:array"
FROM sessions s
WHERE (:role IS NULL OR s.role_name = :role OR s.role_arn = :role OR s.permission_set = :role)
  AND (:who IS NULL OR s.identity = :who
       OR s.repo = :who_repo)
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
ORDER BY s.created, s.access_key_id;
