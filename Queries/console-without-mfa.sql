-- name: console-without-mfa
-- description: Successful console sign-ins made without MFA.
-- params: since, until, account (all optional)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', o.time, 'unixepoch') AS time,
       o.identity,
       o.kind,
       o.account,
       o.source_ip,
       o.user_agent,
       o.event_id
FROM event_origin o
WHERE o.action = 'ConsoleLogin' AND o.mfa_used = 'No' AND COALESCE(o.console_result, 'Success') = 'Success'
  AND o.error_code IS NULL
  AND (:account IS NULL OR o.account = :account)
  AND (:since IS NULL OR o.time >= :since) AND (:until IS NULL OR o.time < :until)
ORDER BY o.time, o.event_id;
