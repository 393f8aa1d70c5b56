-- name: cross-account-chains
-- description: Role chains that cross accounts, origin first, with the sessions at their end.
-- params: since, until, account (all optional)
SELECT s.identity,
       s.kind,
       s.chain AS "chain:array",
       s.access_key_id,
       s.account,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.created, 'unixepoch') AS started
FROM sessions s
WHERE json_array_length(s.chain) > 1
  AND EXISTS (SELECT 1 FROM json_each(s.chain) c
              WHERE arn_account(c.value) != arn_account(json_extract(s.chain, '$[0]')))
  AND (:account IS NULL OR s.account = :account)
  AND (:since IS NULL OR s.created >= :since) AND (:until IS NULL OR s.created < :until)
ORDER BY s.created, s.access_key_id;
