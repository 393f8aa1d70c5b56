// Links events to sessions and sessions to their origins (SPEC §3), whatever order records came in.

import Foundation
import GRDB

struct SessionResolver {
    let store: Store
    /// At least this many new events (and as many as were resolved before) and the sessions' secondary
    /// indexes are built again at the end rather than kept up to date.
    var rebuildIndexesFrom: Int64 = 50_000
    /// At most this many sessions in the store and a full resolution is worked out in memory (`FullResolution`).
    var fullResolutionLimit = FullResolution.maxSessions

    /// Brings the store's links up to date with every record stored since the last run.
    func resolve() throws {
        try store.dbQueue.write { db in try resolve(db) }
    }

    /// The same, in a transaction the caller holds (a bulk import's last, with its index builds).
    func resolve(_ db: Database) throws {
        let watermark = try Schema.metaInteger(db, "resolved_upto") ?? 0
        let top = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event_rows") ?? 0
        guard top > watermark else { return }
        var clock = PhaseClock()
        clock.traceSlowStatements(db)
        defer { db.trace(options: [], nil) }
        // Many new events (a first import, a large one): the sessions' secondary indexes are built
        // again at the end, one sorted pass each, rather than updated row by row at every step.
        let rebuild = top - watermark >= max(watermark, rebuildIndexesFrom)
        let sessionsBefore = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM sessions") ?? 0
        if rebuild {
            for index in Self.sessionIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)") }
        } else {
            // A small run counts again only the role totals of the groups it touches (a rebuild of them all
            // read every session: 0.23 s of a 0.4 s import of 4 files into the 1 GB store).
            try Self.watchRoleGroups(db)
        }
        defer { if !rebuild { try? Self.unwatchRoleGroups(db) } }
        try linkTwins(db, after: watermark)
        clock.lap("  cross-account twins")
        try collectNewCalls(db, after: watermark)
        clock.lap("  new calls by caller")
        let minted = try addMintedSessions(db, after: watermark, keys: watermark > 0 || !rebuild)
        clock.lap("  minted sessions")
        try addOrphanSessions(db)
        clock.lap("  orphan sessions")
        // Identity Center's newer events name only a user id; a record that names both teaches us the name.
        try db.execute(sql: """
            INSERT OR REPLACE INTO sso_names (user_id, user_name)
            SELECT on_behalf_of, user_name FROM callers
            WHERE id IN (SELECT caller_id FROM temp.new_calls)
              AND ui_type = 'IdentityCenterUser' AND on_behalf_of IS NOT NULL AND user_name IS NOT NULL
            """)
        // Every session to resolve (a first import, a large one): worked out in memory, unless the store
        // holds too many sessions for that.
        if rebuild || watermark == 0, try FullResolution.run(db, recount: minted.recount, limit: fullResolutionLimit) {
            clock.lap("  totals, origins and role totals")
            try db.execute(sql: "DROP TABLE temp.new_calls")
        } else {
            try updateTotals(db, recount: minted.recount)
            clock.lap("  session totals")
            try db.execute(sql: "DROP TABLE temp.new_calls")
            // A large run resolves every session again; a small one only those it added or changed and
            // the sessions they minted, at any depth.
            try resolveOrigins(db, only: rebuild ? nil : (after: sessionsBefore, changed: minted.changed))
            clock.lap("  origins")
            try Self.rollUpRoles(db, touched: !rebuild)
            clock.lap("  role totals")
        }
        if rebuild {
            for index in Self.sessionIndexes { try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) \(index.definition)") }
            clock.lap("  session indexes")
        }
        try Schema.setMeta(db, "resolved_upto", top)
    }

    /// The calls stored since the last run, by caller and source address: what the totals and the
    /// orphans are made of. The importer counted them as it stored them (`pending_calls`); target-account
    /// copies it left out are counted here unless they are twins, whose caller copies count.
    private func collectNewCalls(_ db: Database, after watermark: Int64) throws {
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.new_calls;
            CREATE TEMP TABLE new_calls (caller_id INTEGER, ip TEXT, calls INTEGER, first INTEGER, last INTEGER, account TEXT);
            """)
        // In (caller, address) order, as the joins that read them want them (in the order of the flushes,
        // the session totals took 0.27 s instead of 0.15).
        if try !PendingCalls.merge(into: db) {
            try db.execute(sql: """
                INSERT INTO temp.new_calls
                SELECT caller_id, ip, SUM(calls), MIN(first), MAX(last), MAX(account) FROM pending_calls GROUP BY caller_id, ip
                """)
        }
        // Target-account callers are never in the pending calls: their totals come after, apart.
        try db.execute(sql: """
            INSERT INTO temp.new_calls
            -- Through the callers' index whatever the statistics (the first import has none yet):
            -- a few target-account callers, where a scan would read every new event.
            -- Twins are ruled out by id first, from their index: their rows are not read at all.
            SELECT caller_id, source_ip, COUNT(*), MIN(time), MAX(time), MAX(account) FROM event_rows INDEXED BY events_caller
            WHERE id > \(watermark) AND caller_id IN (SELECT id FROM callers WHERE ui_type = 'AWSAccount')
              AND id NOT IN (SELECT id FROM event_rows INDEXED BY events_twin WHERE twin_of IS NOT NULL AND id > \(watermark))
              AND twin_of IS NULL
            GROUP BY caller_id, source_ip;
            DELETE FROM pending_calls;
            """)
    }

    /// Each session's origin where its chain starts (id, parent session, role, whether it is a role's
    /// session, identity, kind, attribution, chain, done), and any `extra` columns of `s`, its session.
    static func originStarts(extra: String = "", where filter: String) -> String {
        """
        SELECT s.id, p.id, s.role_arn,
               COALESCE(s.action, '') NOT IN ('GetSessionToken', 'GetFederationToken'),
               -- Where the chain starts: an orphan's fallback, the minting record's own origin, or its caller.
               CASE WHEN s.minted_by IS NULL THEN
                        CASE WHEN substr(s.role_name, 1, 15) = 'AWSReservedSSO_' AND s.session_name IS NOT NULL
                             THEN s.session_name
                             ELSE COALESCE(s.assumed_role_arn, s.role_arn, s.access_key_id) END
                    ELSE COALESCE(t.minted_identity, s.mint_identity, tc.own_identity, mc.own_identity,
                                  s.assumed_role_arn, s.access_key_id) END,
               CASE WHEN s.minted_by IS NULL THEN
                        CASE WHEN substr(s.role_name, 1, 15) = 'AWSReservedSSO_' AND s.session_name IS NOT NULL THEN 'sso'
                             WHEN s.federated_provider LIKE '%token.actions.githubusercontent.com%' THEN 'github-actions'
                             ELSE 'unknown' END
                    WHEN COALESCE(t.minted_identity, s.mint_identity) IS NOT NULL THEN COALESCE(t.minted_kind, s.mint_kind)
                    ELSE COALESCE(tc.own_kind, mc.own_kind, 'unknown') END,
               CASE WHEN s.minted_by IS NOT NULL AND COALESCE(t.minted_identity, s.mint_identity) IS NOT NULL
                    THEN 'key' ELSE 'inferred' END,
               CASE WHEN s.role_arn IS NOT NULL THEN json_array(s.role_arn) ELSE '[]' END,
               p.id IS NULL\(extra)
        FROM sessions s
        LEFT JOIN callers mc ON mc.id = s.mint_caller_id
        -- A target-account copy's caller copy, if stored (its twin), names the origin: looked up only
        -- for such copies (the caller copy, when it mints, replaces it as the minting record).
        LEFT JOIN event_rows t ON t.id = CASE WHEN s.mint_copy = 'AWSAccount'
                                             THEN (SELECT twin_of FROM event_rows WHERE id = s.minted_by) END
        LEFT JOIN callers tc ON tc.id = t.caller_id
        LEFT JOIN sessions p ON s.minted_by IS NOT NULL AND p.access_key_id = COALESCE(tc.access_key_id, mc.access_key_id)
                             AND p.id != s.id
        WHERE \(filter)
        """
    }

    /// The sessions' secondary indexes (as the first migration made them).
    static let sessionIndexes: [(name: String, definition: String)] = [
        ("sessions_role", "ON sessions(role_name)"),
        ("sessions_role_arn", "ON sessions(role_arn)"),
        ("sessions_permission_set", "ON sessions(permission_set)"),
        ("sessions_identity", "ON sessions(identity)"),
        ("sessions_repo", "ON sessions(repo) WHERE repo IS NOT NULL"),
        // The sessions a session minted: how a small resolution finds what a change reaches.
        ("sessions_caller_key", "ON sessions(caller_key) WHERE caller_key IS NOT NULL"),
    ]

    /// Sessions from successful minting records; an orphan of the same key becomes minted in place, and
    /// the caller's copy of a cross-account call wins over the target account's copy. Returns the keys
    /// inserted or changed, and of those the ones with calls stored before this run (their totals are
    /// recounted).
    /// `keys`: whether the keys are wanted (a first import resolves everything again and recounts nothing).
    private func addMintedSessions(_ db: Database, after watermark: Int64, keys wanted: Bool) throws -> (recount: [String], changed: [String]) {
        let sql = """
            INSERT INTO sessions (access_key_id, minted_by, mint_copy, action, created, expires, role_arn, role_name,
                permission_set, session_name, account, assumed_role_id, assumed_role_arn, source_identity,
                source_ip, caller_key, mint_caller_id, mint_identity, mint_kind)
            SELECT r.minted_key, r.id, c.ui_type, r.action, r.time, r.minted_expires, r.req_role_arn, r.req_role_name,
                   r.req_permission_set, r.req_session_name, COALESCE(arn_account(r.req_role_arn), r.account),
                   r.assumed_role_id, r.assumed_role_arn, r.mint_source_identity, r.source_ip, c.access_key_id,
                   r.caller_id, r.minted_identity, r.minted_kind
            -- From the minting records' covering index, whatever the statistics: a scan reads every event.
            FROM event_rows r INDEXED BY events_mints JOIN callers c ON c.id = r.caller_id
            WHERE r.id > ? AND r.minted_key IS NOT NULL AND r.error_code IS NULL AND r.service = 'sts.amazonaws.com'
            ORDER BY r.id  -- the first wins; a target-account copy gives way to its caller copy (below)
            ON CONFLICT(access_key_id) DO UPDATE SET
                minted_by = excluded.minted_by, mint_copy = excluded.mint_copy, action = excluded.action,
                created = excluded.created, expires = excluded.expires, role_arn = excluded.role_arn,
                role_name = excluded.role_name, permission_set = excluded.permission_set,
                session_name = excluded.session_name, account = excluded.account,
                assumed_role_id = excluded.assumed_role_id, assumed_role_arn = excluded.assumed_role_arn,
                source_identity = COALESCE(excluded.source_identity, sessions.source_identity),
                source_ip = excluded.source_ip, caller_key = excluded.caller_key,
                mint_caller_id = excluded.mint_caller_id, mint_identity = excluded.mint_identity,
                mint_kind = excluded.mint_kind
            WHERE sessions.minted_by IS NULL
               OR (sessions.mint_copy IS 'AWSAccount' AND excluded.mint_copy IS NOT 'AWSAccount')
            """
        guard wanted else {
            try db.execute(sql: sql, arguments: [watermark])
            return ([], [])
        }
        let keys = try String.fetchAll(db, sql: sql + " RETURNING access_key_id", arguments: [watermark])
        guard watermark > 0 else { return ([], keys) }
        let recount = try keys.filter { key in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE access_key_id = ? AND id <= ?)",
                              arguments: [key, watermark]) ?? false
        }
        return (recount, keys)
    }

    /// Sessions known only from the calls they signed.
    private func addOrphanSessions(_ db: Database) throws {
        let insert = "INSERT OR IGNORE INTO sessions (\(OrphanSession.columns)) SELECT \(OrphanSession.feedColumns) FROM trail_feed(?)"
        var rows = FeedRows(columns: OrphanSession.count)
        for orphan in try OrphanSession.all(db, unless: "SELECT access_key_id FROM sessions") {
            orphan.add(to: &rows)
            try rows.flush(db, insert)
        }
        try rows.flush(db, insert, atLeast: 1)
    }

    /// A session's calls: events signed with its key, confirmed by creationDate (as in `event_origin`).
    static func signedBy(_ s: String) -> String {
        """
        e.access_key_id = \(s).access_key_id AND e.twin_of IS NULL
            AND (e.session_created IS NULL OR \(s).created IS NULL
                 OR \(s).created BETWEEN e.session_created - 2 AND e.session_created + 2)
        """
    }

    /// Counts a session again from all its events (it gained its minting record this run, after some of its
    /// calls were counted): its calls, first and last call and addresses.
    static func recount(_ db: Database, key: String) throws {
        try db.execute(sql: """
            UPDATE sessions SET (calls, first_call, last_call) =
                (SELECT COUNT(*), MIN(e.time), MAX(e.time) FROM events e WHERE \(signedBy("sessions")))
            WHERE access_key_id = ?
            """, arguments: [key])
        try db.execute(sql: "DELETE FROM session_ips WHERE session_id = (SELECT id FROM sessions WHERE access_key_id = ?)",
                       arguments: [key])
        try db.execute(sql: """
            INSERT OR IGNORE INTO session_ips (session_id, ip)
            SELECT s.id, e.source_ip FROM sessions s JOIN events e ON \(signedBy("s"))
            WHERE s.access_key_id = ? AND e.source_ip IS NOT NULL
            """, arguments: [key])
    }

    /// Keeps each session's running totals (calls, first and last call, source IPs) so that `who`
    /// answers without reading the events. New events are added to the totals; a session that gained
    /// its minting record this run is counted again from all its events, some of which came earlier.
    /// The new calls' totals by session are left in `temp.session_totals`: the origins' pass writes them
    /// with the origins, in one rewrite of each session (a pass of its own cost 0.09 s at 62,512 sessions).
    private func updateTotals(_ db: Database, recount keys: [String]) throws {
        // New calls by session: those of its callers, whose key and creationDate are the session's.
        try db.execute(sql: """
            CREATE TEMP TABLE session_calls AS
            SELECT s.id AS sid, n.ip, n.calls, n.first, n.last
            FROM temp.new_calls n
            JOIN callers c ON c.id = n.caller_id AND c.access_key_id IS NOT NULL
            JOIN sessions s ON s.access_key_id = c.access_key_id
                AND (c.session_created IS NULL OR s.created IS NULL
                     OR s.created BETWEEN c.session_created - 2 AND c.session_created + 2);

            DROP TABLE IF EXISTS temp.session_totals;
            CREATE TEMP TABLE session_totals (sid INTEGER PRIMARY KEY, calls INTEGER, first INTEGER, last INTEGER);
            INSERT INTO temp.session_totals
            SELECT sid, SUM(calls), MIN(first), MAX(last) FROM temp.session_calls GROUP BY sid;

            INSERT OR IGNORE INTO session_ips (session_id, ip)
            SELECT sid, ip FROM temp.session_calls WHERE ip IS NOT NULL;
            DROP TABLE temp.session_calls;
            """)
        for key in keys {
            // Counted again from all its events below: its new calls are not added on top.
            try db.execute(sql: "DELETE FROM temp.session_totals WHERE sid = (SELECT id FROM sessions WHERE access_key_id = ?)",
                           arguments: [key])
            try Self.recount(db, key: key)
        }
        try Self.updateOrphans(db, counted: "SELECT sid FROM temp.session_totals")
    }

    /// An orphan's address is that of its first call (a minted session has its minting call's); calls
    /// imported now may come before those seen so far, so every orphan they touch is looked at again:
    /// those with calls, before or now (`counted` selects the ids of those with calls now). Likewise an
    /// orphan's sourceIdentity, which any of its calls may carry.
    static func updateOrphans(_ db: Database, counted: String) throws {
        try db.execute(sql: """
            UPDATE sessions SET first_ip = (SELECT e.source_ip FROM events e WHERE \(signedBy("sessions"))
                                           ORDER BY e.time, e.event_id LIMIT 1)
            WHERE id IN (SELECT s.id FROM sessions s
                         WHERE s.minted_by IS NULL AND (s.calls > 0 OR s.id IN (\(counted)))
                           AND EXISTS (SELECT 1 FROM callers c JOIN temp.new_calls n ON n.caller_id = c.id
                                       WHERE c.access_key_id = s.access_key_id))
            """)
        try db.execute(sql: """
            UPDATE sessions SET source_identity = (SELECT MAX(c.source_identity) FROM callers c
                                                   WHERE c.access_key_id = sessions.access_key_id)
            WHERE minted_by IS NULL AND source_identity IS NULL
              AND access_key_id IN (SELECT c.access_key_id FROM temp.new_calls n JOIN callers c ON c.id = n.caller_id
                                    WHERE c.access_key_id IS NOT NULL AND c.source_identity IS NOT NULL)
            """)
    }

    /// The target account's copy of a cross-account call points at the caller's copy. Through the shared
    /// ids' partial index whatever the statistics (a first import has none yet, and could scan every
    /// event). Later runs look only at the shared ids of the events they stored (either copy may be the
    /// new one): a small import into the 1 GB store no longer walks every shared id (0.05 -> 0.009 s).
    private func linkTwins(_ db: Database, after watermark: Int64) throws {
        let shared = watermark == 0 ? "shared_event_id IS NOT NULL" : """
            shared_event_id IN (SELECT shared_event_id FROM event_rows WHERE id > \(watermark) AND shared_event_id IS NOT NULL)
            """
        try db.execute(sql: """
            UPDATE event_rows INDEXED BY events_shared SET twin_of = (
                SELECT o.id FROM event_rows o JOIN callers oc ON oc.id = o.caller_id
                WHERE o.shared_event_id = event_rows.shared_event_id AND o.id != event_rows.id
                  AND COALESCE(oc.ui_type, '') != 'AWSAccount'
                ORDER BY o.id LIMIT 1)
            WHERE \(shared) AND twin_of IS NULL
              AND caller_id IN (SELECT id FROM callers WHERE ui_type = 'AWSAccount')
            """)
    }

    /// Every session's origin, following role chains through the sessions that minted them, in SQL: a
    /// working table resolved level by level, so memory does not grow with the number of sessions.
    private func resolveOrigins(_ db: Database, only: (after: Int64, changed: [String])?) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.dirty; CREATE TEMP TABLE dirty (id INTEGER PRIMARY KEY)")
        if let only {
            try db.execute(sql: "INSERT INTO temp.dirty SELECT id FROM sessions WHERE id > ?", arguments: [only.after])
            for key in only.changed {
                try db.execute(sql: "INSERT OR IGNORE INTO temp.dirty SELECT id FROM sessions WHERE access_key_id = ?", arguments: [key])
            }
            // The sessions that a dirty one minted (their caller key is its key), level by level. (A minting
            // record is never a target-account copy with a stored caller copy: the caller copy replaces
            // it as the session's minting record, so `caller_key` is the key the chain follows.)
            for _ in 0..<64 {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO temp.dirty
                    SELECT c.id FROM sessions c
                    WHERE c.caller_key IN (SELECT s.access_key_id FROM sessions s WHERE s.id IN (SELECT id FROM temp.dirty))
                    """)
                if db.changesCount == 0 { break }
            }
        }
        // Every session, or only the dirty ones and the parents they start from.
        let dirty = only == nil ? "1" : "s.id IN (SELECT id FROM temp.dirty)"
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.resolution;
            CREATE TEMP TABLE resolution (
                id INTEGER PRIMARY KEY, parent INTEGER, role TEXT, is_role INTEGER,
                identity TEXT, kind TEXT, attribution TEXT, chain TEXT, done INTEGER NOT NULL);

            INSERT INTO resolution
            \(Self.originStarts(where: dirty))
            """)
        if only != nil {
            // The parents outside the dirty set are resolved already: their origin is the chain's start.
            try db.execute(sql: """
                INSERT OR IGNORE INTO resolution (id, parent, role, is_role, identity, kind, attribution, chain, done)
                SELECT p.id, NULL, p.role_arn, 0, p.identity, p.kind, p.attribution, p.chain, 1 FROM sessions p
                WHERE p.id IN (SELECT parent FROM resolution) AND p.id NOT IN (SELECT id FROM temp.dirty)
                """)
        }
        // A session minted by another session inherits its origin, one level of the chains at a time.
        for _ in 0..<64 {
            try db.execute(sql: """
                UPDATE resolution SET
                    identity = p.identity, kind = p.kind,
                    attribution = CASE WHEN p.attribution = 'inferred' THEN 'inferred' ELSE 'key' END,
                    chain = CASE WHEN resolution.is_role THEN
                                 CASE WHEN resolution.role IS NOT NULL THEN json_insert(p.chain, '$[#]', resolution.role)
                                      ELSE p.chain END
                            ELSE '[]' END,
                    done = 1
                FROM resolution AS p
                WHERE resolution.parent = p.id AND resolution.done = 0 AND p.done = 1
                """)
            if db.changesCount == 0 { break }
        }
        // What is left is a cycle or a chain deeper than any AWS allows: a crafted log. Cut it.
        try db.execute(sql: """
            UPDATE resolution SET identity = (SELECT COALESCE(assumed_role_arn, access_key_id) FROM sessions WHERE id = resolution.id),
                                  kind = 'unknown', attribution = 'inferred', done = 1
            WHERE done = 0
            """)
        // Then, in a partial run, the sessions with new calls and no new origin join in with the origin they
        // have (a full run holds every session already). Each session changed is written once: its origin,
        // the repository of a GitHub Actions origin, and the totals of its new calls (`temp.session_totals`,
        // from `updateTotals`).
        if only != nil {
            try db.execute(sql: """
                INSERT OR IGNORE INTO resolution (id, parent, role, is_role, identity, kind, attribution, chain, done)
                SELECT s.id, NULL, s.role_arn, 0, s.identity, s.kind, s.attribution, s.chain, 1 FROM sessions s
                WHERE s.id IN (SELECT sid FROM temp.session_totals)
                """)
        }
        try db.execute(sql: """
            UPDATE sessions SET identity = r.identity, kind = r.kind, attribution = r.attribution, chain = r.chain,
                                repo = r.repo,
                                calls = sessions.calls + COALESCE(r.calls, 0),
                                first_call = CASE WHEN sessions.first_call IS NULL OR r.first < sessions.first_call
                                                  THEN COALESCE(r.first, sessions.first_call) ELSE sessions.first_call END,
                                last_call = CASE WHEN sessions.last_call IS NULL OR r.last > sessions.last_call
                                                 THEN COALESCE(r.last, sessions.last_call) ELSE sessions.last_call END
            FROM (SELECT r.id, r.identity, r.kind, r.attribution, r.chain,
                         CASE WHEN r.kind = 'github-actions' THEN github_repo(r.identity) END AS repo,
                         t.sid, t.calls, t.first, t.last
                  FROM resolution r LEFT JOIN temp.session_totals t ON t.sid = r.id) AS r
            WHERE sessions.id = r.id
              AND (r.sid IS NOT NULL
                   OR sessions.identity IS NOT r.identity OR sessions.kind IS NOT r.kind
                   OR sessions.attribution IS NOT r.attribution OR sessions.chain IS NOT r.chain
                   OR sessions.repo IS NOT r.repo);

            DROP TABLE temp.resolution;
            DROP TABLE temp.dirty;
            DROP TABLE temp.session_totals;
            """)
    }
}
