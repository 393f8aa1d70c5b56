// The store's tables, created by named migrations.

import Foundation
import GRDB

enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-files-events-sessions") { db in
            try db.execute(sql: """
                CREATE TABLE files (
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    mtime INTEGER NOT NULL,
                    kind TEXT NOT NULL,            -- records | digest
                    records INTEGER NOT NULL,
                    imported_at INTEGER NOT NULL
                );

                -- One row per distinct record. Secrets are never columns: they are not even parsed.
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    event_key INTEGER NOT NULL,    -- 64-bit hash of event_id (probed on collision), unique: events_event_key
                    event_id TEXT NOT NULL,         -- eventID, or 'hash:' + a hash of the record's bytes
                    time INTEGER,                   -- eventTime, seconds since 1970 UTC
                    account TEXT,                   -- recipientAccountId, else userIdentity.accountId
                    region TEXT,
                    service TEXT,                   -- eventSource
                    action TEXT,                    -- eventName
                    event_type TEXT,
                    error_code TEXT,
                    source_ip TEXT,
                    user_agent TEXT,
                    resource TEXT,
                    read_only INTEGER,
                    shared_event_id TEXT,
                    ui_type TEXT,
                    principal_id TEXT,
                    arn TEXT,
                    access_key_id TEXT,
                    user_name TEXT,
                    invoked_by TEXT,
                    on_behalf_of TEXT,
                    credential_id TEXT,
                    issuer_arn TEXT,
                    federated_provider TEXT,
                    session_created INTEGER,
                    mfa_authenticated INTEGER,
                    source_identity TEXT,
                    req_role_arn TEXT,             -- requestParameters.roleArn of STS calls
                    req_role_name TEXT COLLATE NOCASE,
                    req_permission_set TEXT COLLATE NOCASE,
                    req_session_name TEXT,
                    minted_key TEXT,               -- responseElements.credentials.accessKeyId
                    minted_expires INTEGER,
                    assumed_role_id TEXT,
                    assumed_role_arn TEXT,
                    federated_user_arn TEXT,
                    mint_source_identity TEXT,
                    minted_identity TEXT,          -- origin of the minted session when its caller is no session
                    minted_kind TEXT,
                    mfa_used TEXT,                 -- additionalEventData.MFAUsed (console sign-ins)
                    console_result TEXT,
                    sso_role TEXT,                 -- serviceEventDetails.role_name (Identity Center)
                    sso_account TEXT,
                    own_identity TEXT,             -- what the record says by itself (SPEC §3)
                    own_kind TEXT,
                    own_attribution TEXT,
                    twin_of INTEGER,               -- target-account copy of a call whose caller copy is stored
                    file_id INTEGER NOT NULL,
                    offset INTEGER NOT NULL,       -- in the file's decompressed stream
                    length INTEGER NOT NULL,
                    record_index INTEGER NOT NULL,
                    embedded INTEGER NOT NULL      -- 1: a CloudTrailEvent string of lookup-events output
                );
                CREATE UNIQUE INDEX events_event_key ON events(event_key);

                -- One row per session: minted (a minting record is stored) or orphan (known from its calls).
                CREATE TABLE sessions (
                    id INTEGER PRIMARY KEY,
                    access_key_id TEXT NOT NULL UNIQUE,
                    minted_by INTEGER,             -- events.id of the minting record; NULL for an orphan
                    mint_copy TEXT,                -- userIdentity.type of that record (AWSAccount: the target's copy)
                    action TEXT,                   -- AssumeRole, AssumeRoleWithWebIdentity, ...
                    created INTEGER,
                    expires INTEGER,
                    role_arn TEXT,
                    role_name TEXT COLLATE NOCASE,
                    permission_set TEXT COLLATE NOCASE,
                    session_name TEXT,
                    account TEXT,                  -- the account owning the role
                    assumed_role_id TEXT,
                    assumed_role_arn TEXT,
                    source_identity TEXT,
                    source_ip TEXT,
                    caller_key TEXT,               -- the access key that signed the minting call
                    federated_provider TEXT,
                    identity TEXT,
                    kind TEXT,
                    attribution TEXT,
                    chain TEXT NOT NULL DEFAULT '[]',  -- JSON array of role ARNs, origin first
                    repo TEXT,                     -- the GitHub repository of a github-actions identity
                    calls INTEGER NOT NULL DEFAULT 0,  -- running totals of the calls the session signed
                    first_call INTEGER,
                    last_call INTEGER,
                    first_ip TEXT
                );
                -- The source IPs of each session's calls, kept by the resolver.
                CREATE TABLE session_ips (
                    session_id INTEGER NOT NULL,
                    ip TEXT NOT NULL,
                    PRIMARY KEY (session_id, ip)
                ) WITHOUT ROWID;
                CREATE INDEX sessions_role ON sessions(role_name);
                CREATE INDEX sessions_role_arn ON sessions(role_arn);
                CREATE INDEX sessions_permission_set ON sessions(permission_set);
                CREATE INDEX sessions_identity ON sessions(identity);
                CREATE INDEX sessions_repo ON sessions(repo) WHERE repo IS NOT NULL;

                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

                -- Per role and identity, the sessions' totals, kept by the resolver so that `who`
                -- without a time window reads a few rows instead of every session.
                CREATE TABLE role_identities (
                    role_arn TEXT NOT NULL,
                    role_name TEXT COLLATE NOCASE,
                    permission_set TEXT COLLATE NOCASE,
                    account TEXT,
                    identity TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    sessions INTEGER NOT NULL,
                    calls INTEGER NOT NULL,
                    first INTEGER,
                    last INTEGER,
                    PRIMARY KEY (role_arn, identity, kind)
                ) WITHOUT ROWID;
                CREATE INDEX role_identities_name ON role_identities(role_name);
                CREATE INDEX role_identities_set ON role_identities(permission_set);
                CREATE TABLE role_identity_ips (
                    role_arn TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    ip TEXT NOT NULL,
                    PRIMARY KEY (role_arn, identity, kind, ip)
                ) WITHOUT ROWID;

                -- Identity Center user ids that some record names (IdentityCenterUser with a userName).
                CREATE TABLE sso_names (user_id TEXT PRIMARY KEY, user_name TEXT NOT NULL) WITHOUT ROWID;

                -- An event's session: the one minted with its access key, confirmed by creationDate.
                -- The target-account copy of a cross-account call takes its caller copy's origin.
                CREATE VIEW event_origin AS
                SELECT e.*,
                    CASE WHEN s.id IS NOT NULL THEN s.identity
                         WHEN e.ui_type = 'IdentityCenterUser' AND e.user_name IS NULL
                             THEN COALESCE((SELECT n.user_name FROM sso_names n WHERE n.user_id = e.on_behalf_of), e.own_identity)
                         ELSE COALESCE(t.own_identity, e.own_identity) END AS identity,
                    CASE WHEN s.id IS NOT NULL THEN s.kind ELSE COALESCE(t.own_kind, e.own_kind) END AS kind,
                    CASE WHEN s.id IS NOT NULL THEN s.attribution ELSE COALESCE(t.own_attribution, e.own_attribution) END AS attribution,
                    s.id AS signing_session,
                    COALESCE(s.role_arn, CASE WHEN COALESCE(t.ui_type, e.ui_type) = 'AssumedRole'
                                              THEN COALESCE(t.issuer_arn, e.issuer_arn) END) AS session_role_arn
                FROM events e
                LEFT JOIN events t ON t.id = e.twin_of
                LEFT JOIN sessions s ON s.access_key_id = COALESCE(t.access_key_id, e.access_key_id)
                    AND (COALESCE(t.session_created, e.session_created) IS NULL OR s.created IS NULL
                         OR s.created BETWEEN COALESCE(t.session_created, e.session_created) - 2
                                          AND COALESCE(t.session_created, e.session_created) + 2);
                """)
        }
        migrator.registerMigration("v2-callers") { db in
            try migrateToCallers(db)
        }
        migrator.registerMigration("v3-session-mint-caller") { db in
            // What a session's origin starts from, copied from its minting record when the session is
            // minted: the origin resolution then reads sessions and callers only, not every minting
            // record again (62,512 look-ups over the whole events table at 772,645 events).
            try db.execute(sql: """
                ALTER TABLE sessions ADD COLUMN mint_caller_id INTEGER;  -- callers.id of the minting record
                ALTER TABLE sessions ADD COLUMN mint_identity TEXT;      -- its minted_identity and minted_kind
                ALTER TABLE sessions ADD COLUMN mint_kind TEXT;
                UPDATE sessions SET (mint_caller_id, mint_identity, mint_kind) =
                    (SELECT caller_id, minted_identity, minted_kind FROM event_rows WHERE id = sessions.minted_by)
                WHERE minted_by IS NOT NULL;
                """)
        }
        migrator.registerMigration("v4-shared-with-caller") { db in
            // The shared ids' index now holds the caller: dropped here, made again as the store opens.
            try db.execute(sql: "DROP INDEX IF EXISTS events_shared")
        }
        migrator.registerMigration("v5-no-time-index") { db in
            // No query reads the events through their time: each starts from an identity, a role or a key
            // and filters by time what that selects. The one plan that used the index walked the whole
            // table through it (console-without-mfa: 0.18 s at 772,645 events; that query now makes one
            // pass over the events in id order, which is file order: 0.09 s at a million). Building it
            // was a sixth of a large import's index builds.
            try db.execute(sql: "DROP INDEX IF EXISTS events_time")
        }
        migrator.registerMigration("v6-user-agents") { db in
            // A trail holds few distinct user agents, each in many records: kept once, they took a fifth of
            // the events' bytes off (1 GB benchmark: 63 bytes of a row's 281), and as much of the work of
            // writing and scanning the events. The view `events` joins them back.
            try db.execute(sql: """
                CREATE TABLE user_agents (
                    id INTEGER PRIMARY KEY,
                    user_agent TEXT NOT NULL UNIQUE
                );
                DROP VIEW event_origin;
                DROP VIEW events;
                ALTER TABLE event_rows ADD COLUMN user_agent_id INTEGER;  -- user_agents.id
                INSERT INTO user_agents (user_agent)
                SELECT user_agent FROM event_rows WHERE user_agent IS NOT NULL GROUP BY user_agent ORDER BY MIN(id);
                UPDATE event_rows SET user_agent_id = (SELECT u.id FROM user_agents u WHERE u.user_agent = event_rows.user_agent)
                WHERE user_agent IS NOT NULL;
                ALTER TABLE event_rows DROP COLUMN user_agent;
                \(eventsView(userAgents: true));
                \(eventOriginView);
                """)
        }
        return migrator
    }

    /// The columns of `event_rows` besides its id and caller, in the order of the `events` view.
    static let eventRowColumns = [
        "event_key", "event_id", "time", "account", "region", "service", "action", "event_type", "error_code",
        "source_ip", "user_agent", "resource", "read_only", "shared_event_id", "req_role_arn", "req_role_name",
        "req_permission_set", "req_session_name", "minted_key", "minted_expires", "assumed_role_id", "assumed_role_arn",
        "federated_user_arn", "mint_source_identity", "minted_identity", "minted_kind", "mfa_used", "console_result",
        "sso_role", "sso_account", "twin_of", "file_id", "offset", "length", "record_index", "embedded",
    ]

    /// v2: the caller block of each record (userIdentity and its own origin) is stored once per distinct
    /// value in `callers`; `event_rows` points at it, and the view `events` joins them back into the rows
    /// of v1, so queries written against v1 keep working. A v1 store is converted in place.
    static func migrateToCallers(_ db: Database) throws {
        let callerColumns = Caller.columns.joined(separator: ", ")
        let rowColumns = eventRowColumns.joined(separator: ", ")
        let v1Indexes = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL
            """)
        for index in v1Indexes { try db.execute(sql: "DROP INDEX \(index)") }
        try db.execute(sql: """
            DROP VIEW event_origin;
            ALTER TABLE events RENAME TO events_v1;

            CREATE TABLE callers (
                id INTEGER PRIMARY KEY,
                hash INTEGER NOT NULL,         -- caller_hash() of the other columns: narrows the importer's look-ups
                ui_type TEXT,                  -- userIdentity.type
                principal_id TEXT,
                arn TEXT,
                access_key_id TEXT,
                user_name TEXT,
                invoked_by TEXT,
                on_behalf_of TEXT,             -- onBehalfOf.userId (Identity Center)
                credential_id TEXT,
                issuer_arn TEXT,               -- sessionContext.sessionIssuer.arn
                federated_provider TEXT,
                session_created INTEGER,       -- sessionContext.attributes.creationDate
                mfa_authenticated INTEGER,
                source_identity TEXT,
                own_identity TEXT,             -- what the record says by itself (SPEC §3)
                own_kind TEXT,
                own_attribution TEXT
            );
            INSERT INTO callers (hash, \(callerColumns))
            SELECT caller_hash(\(callerColumns)), * FROM (SELECT DISTINCT \(callerColumns) FROM events_v1);

            -- One row per distinct record. Secrets are never columns: they are not even parsed.
            CREATE TABLE event_rows (
                id INTEGER PRIMARY KEY,
                event_key INTEGER NOT NULL,    -- 64-bit hash of event_id (probed on collision), unique: events_event_key
                event_id TEXT NOT NULL,         -- eventID, or 'hash:' + a hash of the record's bytes
                time INTEGER,                   -- eventTime, seconds since 1970 UTC
                account TEXT,                   -- recipientAccountId, else userIdentity.accountId
                region TEXT,
                service TEXT,                   -- eventSource
                action TEXT,                    -- eventName
                event_type TEXT,
                error_code TEXT,
                source_ip TEXT,
                user_agent TEXT,
                resource TEXT,
                read_only INTEGER,
                shared_event_id TEXT,
                caller_id INTEGER NOT NULL,     -- callers.id
                req_role_arn TEXT,              -- requestParameters.roleArn of STS calls
                req_role_name TEXT COLLATE NOCASE,
                req_permission_set TEXT COLLATE NOCASE,
                req_session_name TEXT,
                minted_key TEXT,                -- responseElements.credentials.accessKeyId
                minted_expires INTEGER,
                assumed_role_id TEXT,
                assumed_role_arn TEXT,
                federated_user_arn TEXT,
                mint_source_identity TEXT,
                minted_identity TEXT,           -- origin of the minted session when its caller is no session
                minted_kind TEXT,
                mfa_used TEXT,                  -- additionalEventData.MFAUsed (console sign-ins)
                console_result TEXT,
                sso_role TEXT,                  -- serviceEventDetails.role_name (Identity Center)
                sso_account TEXT,
                twin_of INTEGER,                -- target-account copy of a call whose caller copy is stored
                file_id INTEGER NOT NULL,
                offset INTEGER NOT NULL,        -- in the file's decompressed stream
                length INTEGER NOT NULL,
                record_index INTEGER NOT NULL,
                embedded INTEGER NOT NULL       -- 1: a CloudTrailEvent string of lookup-events output
            );
            CREATE INDEX callers_migrate ON callers(hash);
            INSERT INTO event_rows (id, caller_id, \(rowColumns))
            SELECT e.id, c.id, \(eventRowColumns.map { "e." + $0 }.joined(separator: ", "))
            FROM events_v1 e JOIN callers c ON c.hash = caller_hash(\(Caller.columns.map { "e." + $0 }.joined(separator: ", ")))
                AND \(Caller.columns.map { "c.\($0) IS e.\($0)" }.joined(separator: " AND "));
            DROP INDEX callers_migrate;
            DROP TABLE events_v1;
            CREATE UNIQUE INDEX events_event_key ON event_rows(event_key);

            -- The calls stored since the resolver last ran, by caller and source address: kept by the
            -- importer in the transactions that store the events, read and emptied by the resolver.
            -- Target-account copies (AWSAccount callers) are left to the resolver, which knows their twins.
            CREATE TABLE pending_calls (
                caller_id INTEGER NOT NULL,
                ip TEXT,
                calls INTEGER NOT NULL,
                first INTEGER,
                last INTEGER,
                account TEXT
            );

            \(eventsView(userAgents: false));
            \(eventOriginView);
            """)
        try createEventIndexes(db)
        try recountPendingCalls(db)
        // `who` without a window reads failed attempts from the totals too: count them there.
        try db.execute(sql: "ALTER TABLE role_identities ADD COLUMN denied INTEGER NOT NULL DEFAULT 0")
        try SessionResolver.rollUpRoles(db)
    }

    /// The view `events`: the records as v1 stored them, what queries read. From v6 on, the user agent
    /// is kept once in `user_agents` (`userAgents`).
    static func eventsView(userAgents: Bool) -> String {
        let columns = eventRowColumns.map { $0 == "user_agent" && userAgents ? "u.user_agent" : "r." + $0 }
        return """
            CREATE VIEW events AS
            SELECT r.id, \(columns.prefix(14).joined(separator: ", ")),
                   \(Caller.columns.prefix(13).map { "c." + $0 }.joined(separator: ", ")),
                   \(columns[14..<30].joined(separator: ", ")),
                   \(Caller.columns.suffix(3).map { "c." + $0 }.joined(separator: ", ")),
                   \(columns.suffix(6).joined(separator: ", ")), r.caller_id
            FROM event_rows r JOIN callers c ON c.id = r.caller_id
            \(userAgents ? "LEFT JOIN user_agents u ON u.id = r.user_agent_id" : "")
            """
    }

    /// The view `event_origin`: an event's session, the one minted with its access key, confirmed by
    /// creationDate. The target-account copy of a cross-account call takes its caller copy's origin.
    static let eventOriginView = """
            CREATE VIEW event_origin AS
            SELECT e.*,
                CASE WHEN s.id IS NOT NULL THEN s.identity
                     WHEN e.ui_type = 'IdentityCenterUser' AND e.user_name IS NULL
                         THEN COALESCE((SELECT n.user_name FROM sso_names n WHERE n.user_id = e.on_behalf_of), e.own_identity)
                     ELSE COALESCE(tc.own_identity, e.own_identity) END AS identity,
                CASE WHEN s.id IS NOT NULL THEN s.kind ELSE COALESCE(tc.own_kind, e.own_kind) END AS kind,
                CASE WHEN s.id IS NOT NULL THEN s.attribution ELSE COALESCE(tc.own_attribution, e.own_attribution) END AS attribution,
                s.id AS signing_session,
                COALESCE(s.role_arn, CASE WHEN COALESCE(tc.ui_type, e.ui_type) = 'AssumedRole'
                                          THEN COALESCE(tc.issuer_arn, e.issuer_arn) END) AS session_role_arn
            FROM events e
            LEFT JOIN event_rows t ON t.id = e.twin_of
            LEFT JOIN callers tc ON tc.id = t.caller_id
            LEFT JOIN sessions s ON s.access_key_id = COALESCE(tc.access_key_id, e.access_key_id)
                AND (COALESCE(tc.session_created, e.session_created) IS NULL OR s.created IS NULL
                     OR s.created BETWEEN COALESCE(tc.session_created, e.session_created) - 2
                                      AND COALESCE(tc.session_created, e.session_created) + 2)
        """

    /// An integer kept in `meta`: `resolved_upto` (the last event the resolver saw), `analyzed_upto`.
    static func metaInteger(_ db: Database, _ key: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", arguments: [key])
    }

    static func setMeta(_ db: Database, _ key: String, _ value: Int64) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, String(value)])
    }

    /// Fills `pending_calls` from the events the resolver has not seen, where the importer's running
    /// totals cannot be trusted (duplicates removed after a bulk import, a store converted from v1).
    static func recountPendingCalls(_ db: Database) throws {
        let watermark = try metaInteger(db, "resolved_upto") ?? 0
        try db.execute(sql: """
            DELETE FROM pending_calls;
            INSERT INTO pending_calls (caller_id, ip, calls, first, last, account)
            SELECT caller_id, source_ip, COUNT(*), MIN(time), MAX(time), MAX(account) FROM event_rows
            WHERE id > ? AND caller_id NOT IN (SELECT id FROM callers WHERE ui_type = 'AWSAccount')
            GROUP BY caller_id, source_ip
            """, arguments: [watermark])
    }
}
