// A full resolution's session totals, origins and role totals, worked out in memory from one read of the
// sessions, and each session written once.

import GRDB
import GRDBSQLite

/// What a full resolution (`SessionResolver` with every session to resolve) does after its new and orphan
/// sessions are stored: each session's new calls, addresses and origin, and the role totals. The SQL
/// resolution makes a working table of the origins, rewrites it level by level, then reads every session
/// again for the role totals (1 GB: 0.55-0.6 s of its 1.1 s; here 0.39-0.45 s). Here each session takes
/// about a hundred bytes (its texts kept once each however many sessions share them), and the store's page
/// cache gives up as much meanwhile: a store of more than `maxSessions` sessions (about 2 GB of logs of the
/// benchmark's mix) is left to the SQL resolution, whose memory does not grow with them. (1.3 GB, 81,009
/// sessions: the import's peak 89.8 MiB, 97.3 before the cache gave way.)
public struct FullResolution {
    public static let maxSessions = 120_000
    /// The store's page cache while the sessions are held, in SQLite's units (negative: KiB).
    static let cacheWhileHeld = -8192

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
        /// The session's access key (interned).
        var key: Int32 = -1
    }

    private var nodes: [Node] = []
    /// Where a session id's node is: the ids of a store are dense (deleted sessions leave gaps only).
    private var index = SessionIndex()
    private var texts = Interner()

    /// Runs the full resolution's second half (see the type); false, with nothing done, for a store with
    /// more than `maxSessions` sessions. `recount`: the keys of sessions to count again from all their events.
    static func run(_ db: Database, recount: [String], limit: Int = maxSessions) throws -> Bool {
        let sessions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions") ?? 0
        guard sessions <= limit else { return false }
        var recounted = Set<Int64>()
        for key in recount {
            try SessionResolver.recount(db, key: key)
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM sessions WHERE access_key_id = ?", arguments: [key]) { recounted.insert(id) }
        }
        // What the sessions take here, the store's page cache gives up meanwhile: a smaller cache was no
        // slower for this work, and the import's peak memory stays where the load put it.
        let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -24576
        try db.execute(sql: "PRAGMA cache_size = \(cacheWhileHeld)")
        defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
        var r = FullResolution()
        try r.read(db, recounted: recounted, count: sessions)
        try r.addNewCalls(db)
        try r.updateOrphans(db)
        try r.resolveOrigins(db)
        try r.write(db)
        let counted = r
        try SessionResolver.rollUpRoles(db, sessions: { totals in try counted.count(into: &totals, db) })
        return true
    }

    /// Every session, with where its origin starts and its totals so far.
    private mutating func read(_ db: Database, recounted: Set<Int64>, count: Int) throws {
        nodes.reserveCapacity(count)
        let range = try Row.fetchOne(db, sql: "SELECT MIN(id), MAX(id) FROM sessions")
        index = SessionIndex(low: range?[0] ?? 0, high: range?[1] ?? 0, count: count)
        let sql = SessionResolver.originStarts(extra: """
            , s.role_name, s.permission_set, s.account, s.created, s.calls, s.first_call, s.last_call,
              s.source_ip, s.first_ip, s.minted_by IS NULL, s.access_key_id
            """, where: "1") + " ORDER BY s.id"
        try RawRows.forEach(db, sql) { s in
            let id = sqlite3_column_int64(s, 0)
            index[id] = nodes.count
            nodes.append(Node(
                id: id, parent: RawRows.int(s, 1), role: texts.id(RawRows.bytes(s, 2)),
                identity: texts.id(RawRows.bytes(s, 4)), kind: texts.id(RawRows.bytes(s, 5)),
                attribution: texts.id(RawRows.bytes(s, 6)), chain: texts.id(RawRows.bytes(s, 7)),
                roleName: texts.id(RawRows.bytes(s, 9)), permissionSet: texts.id(RawRows.bytes(s, 10)),
                account: texts.id(RawRows.bytes(s, 11)), isRole: sqlite3_column_int64(s, 3) != 0,
                done: sqlite3_column_int64(s, 8) != 0, orphan: sqlite3_column_int64(s, 18) != 0,
                recounted: recounted.contains(id), created: RawRows.int(s, 12), calls: sqlite3_column_int64(s, 13),
                first: RawRows.int(s, 14), last: RawRows.int(s, 15),
                sourceIP: RawRows.text(s, 16), firstIP: RawRows.text(s, 17), key: texts.id(RawRows.bytes(s, 19))))
        }
    }

    /// The new calls added to their sessions' totals, and their addresses stored: the calls of a session's
    /// key whose creationDate is the session's (as `SessionResolver.updateTotals` joins them), the session
    /// found by its key here rather than through the sessions' key index (1 GB: this pass 0.42 -> 0.39 s).
    private mutating func addNewCalls(_ db: Database) throws {
        var byKey = [Int32](repeating: -1, count: texts.count)
        for i in nodes.indices where nodes[i].key >= 0 { byKey[Int(nodes[i].key)] = Int32(i) }
        let insert = "INSERT OR IGNORE INTO session_ips (session_id, ip) SELECT c0, c1 FROM trail_feed(?)"
        var addresses = FeedRows(columns: 2)
        try RawRows.forEach(db, """
            SELECT c.access_key_id, c.session_created, n.ip, n.calls, n.first, n.last
            FROM temp.new_calls n JOIN callers c ON c.id = n.caller_id AND c.access_key_id IS NOT NULL
            """) { row in
            guard let key = texts.find(RawRows.bytes(row, 0)!), key < byKey.count, byKey[Int(key)] >= 0 else { return }
            let i = Int(byKey[Int(key)])
            guard !nodes[i].recounted else { return }
            if let callerCreated = RawRows.int(row, 1), let created = nodes[i].created,
               created < callerCreated - 2 || created > callerCreated + 2 { return }
            nodes[i].hasNewCalls = true
            nodes[i].calls += sqlite3_column_int64(row, 3)
            if let t = RawRows.int(row, 4), nodes[i].first.map({ t < $0 }) ?? true { nodes[i].first = t }
            if let t = RawRows.int(row, 5), nodes[i].last.map({ t > $0 }) ?? true { nodes[i].last = t }
            if let ip = RawRows.bytes(row, 2) {
                addresses.add(nodes[i].id)
                addresses.add(text: ip)
                // Stored as they come (the join reads no address): their memory stays that of one batch.
                try addresses.flush(db, insert)
            }
        }
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
        try RawRows.forEach(db, "SELECT id, first_ip FROM sessions WHERE minted_by IS NULL") { s in
            if let i = index[sqlite3_column_int64(s, 0)] { nodes[i].firstIP = RawRows.text(s, 1) }
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
            let ready = pending.filter { i in nodes[i].parent.flatMap { index[$0] }.map { nodes[$0].done } ?? false }
            guard !ready.isEmpty else { break }
            // (identity, kind, attribution, chain) of each, from its parent as it was before this level.
            var resolved: [(Int, Int32, Int32, Int32, Int32)] = []
            for i in ready {
                let p = index[nodes[i].parent!]!
                let chain: Int32
                if !nodes[i].isRole {
                    chain = empty
                } else if let role = texts[nodes[i].role] {
                    chain = texts.id(try Self.appended(role, to: texts[nodes[p].chain], chainStatement.sqliteStatement, db))
                } else {
                    chain = nodes[p].chain
                }
                resolved.append((i, nodes[p].identity, nodes[p].kind, texts[nodes[p].attribution] == "inferred" ? inferred : key, chain))
            }
            for (i, identity, kind, attribution, chain) in resolved {
                nodes[i].identity = identity
                nodes[i].kind = kind
                nodes[i].attribution = attribution
                nodes[i].chain = chain
                nodes[i].done = true
            }
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
        return try RawRows.step(db, s) ? RawRows.text(s, 0) : nil
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
        for i in nodes.indices {
            rows.add(nodes[i].id)
            rows.add(texts[nodes[i].identity]); rows.add(texts[nodes[i].kind]); rows.add(texts[nodes[i].attribution])
            rows.add(texts[nodes[i].chain])
            rows.add(nodes[i].calls); rows.add(nodes[i].first); rows.add(nodes[i].last)
            try rows.flush(db, update)
        }
        try rows.flush(db, update, atLeast: 1)
    }

    /// The sessions' role totals, from what is held (and their addresses, read in session order).
    private func count(into totals: inout RoleTotals, _ db: Database) throws {
        var groups = [Int32](repeating: -1, count: nodes.count)
        // A group by the numbers of its texts: equal texts have one number.
        var known: [SIMD4<Int32>: Int] = [:]
        for i in nodes.indices {
            let (role, identity, kind) = (nodes[i].role, nodes[i].identity, nodes[i].kind)
            guard role >= 0, identity >= 0, kind >= 0 else { continue }
            let key = SIMD4(role, identity, kind, 0)
            let g: Int
            if let found = known[key] { g = found } else {
                g = totals.group(role: texts[role]!, identity: texts[identity]!, kind: texts[kind]!)
                known[key] = g
            }
            // As the SQL has it: MIN(COALESCE(created, first_call), COALESCE(first_call, created)), and MAX likewise.
            let (created, firstCall, lastCall) = (nodes[i].created, nodes[i].first, nodes[i].last)
            let first = Self.extreme(created ?? firstCall, firstCall ?? created, <)
            let last = Self.extreme(created ?? lastCall, lastCall ?? created, >)
            totals.addSession(toGroup: g, roleName: texts[nodes[i].roleName], permissionSet: texts[nodes[i].permissionSet],
                              account: texts[nodes[i].account], calls: nodes[i].calls, first: first, last: last,
                              ip: nodes[i].sourceIP ?? nodes[i].firstIP)
            groups[i] = Int32(g)
        }
        try RawRows.forEach(db, "SELECT session_id, ip FROM session_ips") { s in
            guard let i = index[sqlite3_column_int64(s, 0)], groups[i] >= 0, let ip = RawRows.text(s, 1) else { return }
            totals.addAddress(ip, group: Int(groups[i]))
        }
    }

    /// SQL's scalar MIN or MAX of two values: NULL if either is.
    private static func extreme(_ a: Int64?, _ b: Int64?, _ before: (Int64, Int64) -> Bool) -> Int64? {
        guard let a, let b else { return nil }
        return before(a, b) ? a : b
    }
}

/// Session ids to positions: an array over the ids' range where they are dense (as a store's are), a
/// dictionary otherwise.
struct SessionIndex {
    private var low: Int64 = 0
    private var slots: [Int32] = []
    private var sparse: [Int64: Int32]?

    init() {}

    init(low: Int64, high: Int64, count: Int) {
        if high >= low, high - low < Int64(count) * 2 + 1024 {
            self.low = low
            slots = [Int32](repeating: -1, count: Int(high - low + 1))
        } else {
            sparse = [:]
        }
    }

    subscript(id: Int64) -> Int? {
        get {
            if let sparse { return sparse[id].map(Int.init) }
            let slot = id - low
            guard slot >= 0, slot < slots.count, slots[Int(slot)] >= 0 else { return nil }
            return Int(slots[Int(slot)])
        }
        set {
            if sparse != nil { sparse![id] = newValue.map(Int32.init); return }
            slots[Int(id - low)] = Int32(newValue ?? -1)
        }
    }
}

/// Texts kept once each, named by a number (-1 for NULL); equal when their bytes are. Looked up by the
/// bytes of a column, a text is made only the first time they are met.
struct Interner {
    private var slots = [Int32](repeating: -1, count: 1024)
    private var hashes: [UInt64] = []
    private var texts: [String] = []

    mutating func id(_ text: String?) -> Int32 {
        guard let text else { return -1 }
        return ARN.withBytes(text) { id($0) }
    }

    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>?) -> Int32 {
        guard let bytes else { return -1 }
        let h = bytesHash(bytes)
        let (slot, found) = probe(bytes, h)
        if let found { return found }
        let id = Int32(texts.count)
        texts.append(String(decoding: bytes, as: UTF8.self))
        hashes.append(h)
        slots[slot] = id
        if texts.count * 2 > slots.count { grow() }
        return id
    }

    subscript(id: Int32) -> String? { id < 0 ? nil : texts[Int(id)] }

    var count: Int { texts.count }

    /// The number of a text already kept, if it is.
    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        probe(bytes, bytesHash(bytes)).found
    }

    /// The slot of these bytes (of hash `h`): their number if kept, else the empty slot they would take.
    private func probe(_ bytes: UnsafeBufferPointer<UInt8>, _ h: UInt64) -> (slot: Int, found: Int32?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 {
            let id = slots[slot]
            if hashes[Int(id)] == h, ARN.withBytes(texts[Int(id)], { bytesEqual($0, bytes) }) { return (slot, id) }
            slot = (slot + 1) & mask
        }
        return (slot, nil)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }
}
