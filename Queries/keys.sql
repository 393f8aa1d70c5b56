-- name: keys
-- description: Long-lived access keys (AKIA...) in use, root's included, to retire them.
-- params: since, until, account (all optional)
SELECT access_key_id,
       MAX(own_identity) AS identity,
       COUNT(*) AS calls,
       strftime('%Y-%m-%dT%H:%M:%SZ', MIN(time), 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', MAX(time), 'unixepoch') AS last_seen,
       json_group_array(DISTINCT service) AS "services:list",
       json_group_array(DISTINCT source_ip) AS "source_ips:list"
FROM events
WHERE substr(access_key_id, 1, 4) = 'AKIA' AND twin_of IS NULL
  AND (:account IS NULL OR account = :account)
  AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
GROUP BY access_key_id
ORDER BY MAX(time) DESC, access_key_id;
