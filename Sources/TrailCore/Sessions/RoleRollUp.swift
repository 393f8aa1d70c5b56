// The role totals of a resolution: the failed attempts, the groups a small run touched, and the roll-up
// itself (counted by `RoleTotals`).

import GRDB

extension SessionResolver {
    /// The failed attempts to assume a role (SPEC §4 `who`'s `denied`): what `who` reads for them, by window
    /// or rolled up. `o` is `event_origin`.
    static let deniedAttempts = """
        o.req_role_arn IS NOT NULL AND o.error_code IS NOT NULL AND o.twin_of IS NULL
          AND o.service = 'sts.amazonaws.com'
          AND o.action IN ('AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML')
          AND o.identity IS NOT NULL AND o.kind IS NOT NULL
        """

    /// The per-role, per-identity totals behind `who` without a time window, rebuilt from the sessions
    /// and the failed attempts. (A rebuild reads every session: 0.2 s at 772,645 events.) With `touched`,
    /// only the groups in `temp.role_groups` (see `watchRoleGroups`) and those with failed attempts,
    /// before and after, are counted again.
    /// `sessions`, if given, counts every session itself (a full resolution holds them in memory): only the
    /// failed attempts are read.
    static func rollUpRoles(_ db: Database, touched: Bool = false, sessions: ((inout RoleTotals) throws -> Void)? = nil) throws {
        try db.execute(sql: """
            -- The failed attempts, found through their partial index whatever the planner's statistics
            -- (the first import has none yet), then read by id.
            DROP TABLE IF EXISTS temp.denied;
            CREATE TEMP TABLE denied AS
            SELECT id FROM event_rows INDEXED BY events_denied WHERE req_role_arn IS NOT NULL AND error_code IS NOT NULL;
            """)
        // Which groups: all, or those the run touched and every one a failed attempt counts in (they are
        // few, and their origins may have changed with the sessions that signed them).
        func only(_ role: String, _ identity: String, _ kind: String) -> String {
            touched ? "AND (\(role), \(identity), \(kind)) IN (SELECT role_arn, identity, kind FROM temp.groups)" : ""
        }
        if touched {
            try db.execute(sql: """
                INSERT INTO temp.role_groups SELECT role_arn, identity, kind FROM role_identities WHERE denied > 0;
                INSERT INTO temp.role_groups SELECT o.req_role_arn, o.identity, o.kind FROM event_origin o
                WHERE o.id IN (SELECT id FROM temp.denied) AND \(deniedAttempts);
                DROP TABLE IF EXISTS temp.groups;
                CREATE TEMP TABLE groups AS SELECT DISTINCT role_arn, identity, kind FROM temp.role_groups
                WHERE role_arn IS NOT NULL AND identity IS NOT NULL AND kind IS NOT NULL;
                """)
        }
        try db.execute(sql: """
            DELETE FROM role_identities WHERE 1 \(only("role_arn", "identity", "kind"));
            DELETE FROM role_identity_ips WHERE 1 \(only("role_arn", "identity", "kind"));
            """)
        let grouped = "s.role_arn IS NOT NULL AND s.identity IS NOT NULL AND s.kind IS NOT NULL \(only("s.role_arn", "s.identity", "s.kind"))"
        var totals = RoleTotals()
        let denied = """
            SELECT o.req_role_arn, o.identity, o.kind, o.req_role_name, o.req_permission_set,
                   COALESCE(arn_account(o.req_role_arn), o.account), o.time, o.source_ip
            FROM event_origin o
            WHERE o.id IN (SELECT id FROM temp.denied) AND \(deniedAttempts) \(only("o.req_role_arn", "o.identity", "o.kind"))
            """
        if let sessions {
            try sessions(&totals)
            try totals.countDenied(db, denied)
        } else {
            try totals.count(db, sessions: """
                SELECT s.id, s.role_arn, s.identity, s.kind, s.role_name, s.permission_set, s.account, s.calls,
                       MIN(COALESCE(s.created, s.first_call), COALESCE(s.first_call, s.created)),
                       MAX(COALESCE(s.created, s.last_call), COALESCE(s.last_call, s.created)),
                       COALESCE(s.source_ip, s.first_ip)
                FROM sessions s WHERE \(grouped) ORDER BY s.id
                """, sessionIPs: touched ? """
                SELECT session_id, ip FROM session_ips WHERE session_id IN (SELECT s.id FROM sessions s WHERE \(grouped))
                ORDER BY session_id
                """ : "SELECT session_id, ip FROM session_ips ORDER BY session_id", denied: denied)
        }
        try totals.write(db)
        try db.execute(sql: "DROP TABLE temp.denied; DROP TABLE IF EXISTS temp.groups")
    }

    /// Records, from now on, the role groups (role, identity, kind) of every session the run inserts or
    /// changes, before and after, and of every session whose source addresses change: what a small run's
    /// `rollUpRoles(_:touched:)` counts again. Temporary triggers: they end with the connection or
    /// `unwatchRoleGroups`.
    static func watchRoleGroups(_ db: Database) throws {
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.role_groups;
            CREATE TEMP TABLE role_groups (role_arn TEXT, identity TEXT, kind TEXT);
            CREATE TEMP TRIGGER role_groups_insert AFTER INSERT ON main.sessions BEGIN
                INSERT INTO role_groups VALUES (new.role_arn, new.identity, new.kind); END;
            CREATE TEMP TRIGGER role_groups_update AFTER UPDATE ON main.sessions BEGIN
                INSERT INTO role_groups VALUES (old.role_arn, old.identity, old.kind), (new.role_arn, new.identity, new.kind); END;
            CREATE TEMP TRIGGER role_groups_delete AFTER DELETE ON main.sessions BEGIN
                INSERT INTO role_groups VALUES (old.role_arn, old.identity, old.kind); END;
            CREATE TEMP TRIGGER role_groups_ip_insert AFTER INSERT ON main.session_ips BEGIN
                INSERT INTO role_groups SELECT role_arn, identity, kind FROM main.sessions WHERE id = new.session_id; END;
            CREATE TEMP TRIGGER role_groups_ip_delete AFTER DELETE ON main.session_ips BEGIN
                INSERT INTO role_groups SELECT role_arn, identity, kind FROM main.sessions WHERE id = old.session_id; END;
            """)
    }

    static func unwatchRoleGroups(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER IF EXISTS temp.role_groups_insert;
            DROP TRIGGER IF EXISTS temp.role_groups_update;
            DROP TRIGGER IF EXISTS temp.role_groups_delete;
            DROP TRIGGER IF EXISTS temp.role_groups_ip_insert;
            DROP TRIGGER IF EXISTS temp.role_groups_ip_delete;
            DROP TABLE IF EXISTS temp.role_groups;
            """)
    }
}
