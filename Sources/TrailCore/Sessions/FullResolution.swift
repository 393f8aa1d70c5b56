// A full resolution's session totals, origins and role totals, worked out in memory from one read of the
// sessions, and each session written once.

import GRDB
import GRDBSQLite

/// What a full resolution (`SessionResolver` with every session to resolve) does after its new and orphan
/// sessions are stored: each session's new calls, addresses and origin, and the role totals. The SQL
/// resolution makes a working table of the origins, rewrites it level by level, then reads every session
/// again for the role totals (1 GB: 0.55-0.6 s of its 1.1 s). Here each session takes about a hundred bytes
/// (its texts kept once each however many sessions share them), so a store of more than `maxSessions`
/// sessions is left to the SQL resolution, whose memory does not grow with them.
public struct FullResolution {
    public static let maxSessions = 250_000

    private struct Node {
        var id: Int64
        var parent: Int64?
        /// Interned texts (`Interner`): role ARN, origin, kind, attribution, chain, role name, permission set, account.
        var role: Int32
        var identity: Int32
        var kind: Int32
        var attribution: Int32
        var chain: Int32
        var roleName: Int32
        var permissionSet: Int32
        var account: Int32
        var isRole: Bool
        var done: Bool
        var orphan: Bool
        /// Counted again from all its events this run: its new calls are in that count.
        var recounted = false
        var created: Int64?
        var calls: Int64
        var first: Int64?
        var last: Int64?
        var hasNewCalls = false
        var sourceIP: String?
        var firstIP: String?
    }

    private var nodes: [Node] = []
    private var index: [Int64: Int32] = [:]
    private var texts = Interner()

    /// Runs the full resolution's second half (see the type); false, with nothing done, for a store with
    /// more than `maxSessions` sessions. `recount`: the keys of sessions to count again from all their events.
    static func run(_ db: Database, recount: [String], limit: Int = maxSessions) throws -> Bool {
        guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions") ?? 0 <= limit else { return false }
        var recounted = Set<Int64>()
        for key in recount {
            try SessionResolver.recount(db, key: key)
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM sessions WHERE access_key_id = ?", arguments: [key]) { recounted.insert(id) }
        }
        var r = FullResolution()
        try r.read(db, recounted: recounted)
        try r.addNewCalls(db)
        try r.updateOrphans(db)
        try r.resolveOrigins(db)
        try r.write(db)
        let counted = r
        try SessionResolver.rollUpRoles(db, sessions: { totals in try counted.count(into: &totals, db) })
        return true
    }

    /// Every session, with where its origin starts and its totals so far.
    private mutating func read(_ db: Database, recounted: Set<Int64>) throws {
        let sql = SessionResolver.originStarts(extra: """
            , s.role_name, s.permission_set, s.account, s.created, s.calls, s.first_call, s.last_call,
              s.source_ip, s.first_ip, s.minted_by IS NULL
            """, where: "1") + " ORDER BY s.id"
        try RoleTotals.forEachRow(db, sql) { s in
            let id = sqlite3_column_int64(s, 0)
            index[id] = Int32(nodes.count)
            nodes.append(Node(
                id: id, parent: RoleTotals.int(s, 1), role: texts.id(RoleTotals.text(s, 2)),
                identity: texts.id(RoleTotals.text(s, 4)), kind: texts.id(RoleTotals.text(s, 5)),
                attribution: texts.id(RoleTotals.text(s, 6)), chain: texts.id(RoleTotals.text(s, 7)),
                roleName: texts.id(RoleTotals.text(s, 9)), permissionSet: texts.id(RoleTotals.text(s, 10)),
                account: texts.id(RoleTotals.text(s, 11)), isRole: sqlite3_column_int64(s, 3) != 0,
                done: sqlite3_column_int64(s, 8) != 0, orphan: sqlite3_column_int64(s, 18) != 0,
                recounted: recounted.contains(id), created: RoleTotals.int(s, 12), calls: sqlite3_column_int64(s, 13),
                first: RoleTotals.int(s, 14), last: RoleTotals.int(s, 15),
                sourceIP: RoleTotals.text(s, 16), firstIP: RoleTotals.text(s, 17)))
        }
    }

    /// The new calls added to their sessions' totals, and their addresses stored.
    private mutating func addNewCalls(_ db: Database) throws {
        let insert = "INSERT OR IGNORE INTO session_ips (session_id, ip) SELECT c0, c1 FROM trail_feed(?)"
        var addresses = FeedRows(columns: 2)
        try RoleTotals.forEachRow(db, SessionResolver.sessionCalls) { row in
            guard let i = index[sqlite3_column_int64(row, 0)].map(Int.init), !nodes[i].recounted else { return }
            nodes[i].hasNewCalls = true
            nodes[i].calls += sqlite3_column_int64(row, 2)
            if let t = RoleTotals.int(row, 3), nodes[i].first.map({ t < $0 }) ?? true { nodes[i].first = t }
            if let t = RoleTotals.int(row, 4), nodes[i].last.map({ t > $0 }) ?? true { nodes[i].last = t }
            if let ip = RoleTotals.text(row, 1) {
                addresses.add(nodes[i].id)
                addresses.add(ip)
            }
        }
        // Flushed only once the calls are read: a write to session_ips could disturb the join reading them.
        try addresses.flush(db, insert, atLeast: 1)
    }

    /// The orphans' first address and sourceIdentity (as `SessionResolver.updateOrphans`), read back.
    private mutating func updateOrphans(_ db: Database) throws {
        var counted = FeedRows(columns: 1)
        for node in nodes where node.orphan && node.hasNewCalls { counted.add(node.id) }
        try db.execute(sql: "DROP TABLE IF EXISTS temp.orphans_counted; CREATE TEMP TABLE orphans_counted (id INTEGER PRIMARY KEY)")
        try counted.flush(db, "INSERT INTO temp.orphans_counted SELECT c0 FROM trail_feed(?)", atLeast: 1)
        try SessionResolver.updateOrphans(db, counted: "SELECT id FROM temp.orphans_counted")
        try db.execute(sql: "DROP TABLE temp.orphans_counted")
        try RoleTotals.forEachRow(db, "SELECT id, first_ip FROM sessions WHERE minted_by IS NULL") { s in
            if let i = index[sqlite3_column_int64(s, 0)] { nodes[Int(i)].firstIP = RoleTotals.text(s, 1) }
        }
    }

    /// A session minted by another session takes its origin, one level of the chains at a time, as the SQL
    /// resolution does; what is left after 64 levels (a cycle, or deeper than AWS allows) is cut.
    private mutating func resolveOrigins(_ db: Database) throws {
        var pending = nodes.indices.filter { !nodes[$0].done }
        let chainStatement = try db.makeStatement(sql: "SELECT json_insert(?, '$[#]', ?)")
        let inferred = texts.id("inferred"), key = texts.id("key"), empty = texts.id("[]")
        for _ in 0..<64 where !pending.isEmpty {
            // The parents done before this level, as the SQL's UPDATE sees them.
            let ready = pending.filter { i in nodes[i].parent.flatMap { index[$0] }.map { nodes[Int($0)].done } ?? false }
            guard !ready.isEmpty else { break }
            var resolved: [(Int, Node)] = []
            for i in ready {
                let p = nodes[Int(index[nodes[i].parent!]!)]
                var n = nodes[i]
                n.identity = p.identity
                n.kind = p.kind
                n.attribution = texts[p.attribution] == "inferred" ? inferred : key
                if !n.isRole {
                    n.chain = empty
                } else if let role = texts[n.role] {
                    n.chain = texts.id(try Self.appended(role, to: texts[p.chain], chainStatement.sqliteStatement, db))
                } else {
                    n.chain = p.chain
                }
                n.done = true
                resolved.append((i, n))
            }
            for (i, n) in resolved { nodes[i] = n }
            pending.removeAll { nodes[$0].done }
        }
        let unknown = texts.id("unknown")
        for i in pending {
            let identity = try String.fetchOne(db, sql: "SELECT COALESCE(assumed_role_arn, access_key_id) FROM sessions WHERE id = ?",
                                               arguments: [nodes[i].id])
            nodes[i].identity = texts.id(identity)
            nodes[i].kind = unknown
            nodes[i].attribution = inferred
            nodes[i].done = true
        }
    }

    /// SQLite's `json_insert(chain, '$[#]', role)`: the same text as the SQL resolution stores.
    private static func appended(_ role: String, to chain: String?, _ s: OpaquePointer, _ db: Database) throws -> String? {
        defer {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }
        var b = Binder(s)
        b.text(chain)
        b.text(role)
        return try RoleTotals.step(db, s) ? RoleTotals.text(s, 0) : nil
    }

    /// Each session's origin, repository and totals, in one rewrite of the sessions that change.
    private func write(_ db: Database) throws {
        let update = """
            UPDATE sessions SET identity = r.identity, kind = r.kind, attribution = r.attribution, chain = r.chain,
                                repo = r.repo, calls = r.calls, first_call = r.first, last_call = r.last
            FROM (SELECT c0 AS id, c1 AS identity, c2 AS kind, c3 AS attribution, c4 AS chain,
                         CASE WHEN c2 = 'github-actions' THEN github_repo(c1) END AS repo, c5 AS calls, c6 AS first, c7 AS last
                  FROM trail_feed(?)) AS r
            WHERE sessions.id = r.id
              AND (sessions.identity IS NOT r.identity OR sessions.kind IS NOT r.kind OR sessions.attribution IS NOT r.attribution
                   OR sessions.chain IS NOT r.chain OR sessions.repo IS NOT r.repo OR sessions.calls IS NOT r.calls
                   OR sessions.first_call IS NOT r.first OR sessions.last_call IS NOT r.last)
            """
        var rows = FeedRows(columns: 8)
        for n in nodes {
            rows.add(n.id)
            rows.add(texts[n.identity]); rows.add(texts[n.kind]); rows.add(texts[n.attribution]); rows.add(texts[n.chain])
            rows.add(n.calls); rows.add(n.first); rows.add(n.last)
            try rows.flush(db, update)
        }
        try rows.flush(db, update, atLeast: 1)
    }

    /// The sessions' role totals, from what is held (and their addresses, read in session order).
    private func count(into totals: inout RoleTotals, _ db: Database) throws {
        var groups = [Int32](repeating: -1, count: nodes.count)
        for (i, n) in nodes.enumerated() {
            guard let role = texts[n.role], let identity = texts[n.identity], let kind = texts[n.kind] else { continue }
            // As the SQL has it: MIN(COALESCE(created, first_call), COALESCE(first_call, created)), and MAX likewise.
            let first = [n.created ?? n.first, n.first ?? n.created].compactMap { $0 }.min()
            let last = [n.created ?? n.last, n.last ?? n.created].compactMap { $0 }.max()
            groups[i] = Int32(totals.addSession(role: role, identity: identity, kind: kind, roleName: texts[n.roleName],
                                                permissionSet: texts[n.permissionSet], account: texts[n.account], calls: n.calls,
                                                first: first, last: last, ip: n.sourceIP ?? n.firstIP))
        }
        try RoleTotals.forEachRow(db, "SELECT session_id, ip FROM session_ips") { s in
            guard let i = index[sqlite3_column_int64(s, 0)], groups[Int(i)] >= 0, let ip = RoleTotals.text(s, 1) else { return }
            totals.addAddress(ip, group: Int(groups[Int(i)]))
        }
    }
}

/// Texts kept once each, named by a number (-1 for NULL); equal when their bytes are.
struct Interner {
    private var ids: [BinaryText: Int32] = [:]
    private var texts: [String] = []

    mutating func id(_ text: String?) -> Int32 {
        guard let text else { return -1 }
        let key = BinaryText(text)
        if let id = ids[key] { return id }
        let id = Int32(texts.count)
        ids[key] = id
        texts.append(text)
        return id
    }

    subscript(id: Int32) -> String? { id < 0 ? nil : texts[Int(id)] }
}
