-- name: root-activity
-- description: Everything the account root user did, with or without an access key.
-- params: since, until, account (all optional)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', time, 'unixepoch') AS time,
       account,
       service,
       action,
       resource,
       access_key_id,
       error_code,
       source_ip,
       user_agent,
       event_id
FROM events
WHERE ui_type = 'Root'
  AND (:account IS NULL OR account = :account)
  AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
ORDER BY time, event_id;
