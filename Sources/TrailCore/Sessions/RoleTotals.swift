// The per-role, per-identity totals behind `who` without a time window (SPEC §4), counted in memory from
// the sessions and the failed attempts and written in key order.

import GRDB
import GRDBSQLite

/// A text that is equal, hashed and ordered by its bytes, as SQLite's BINARY collation has it. (Swift's
/// `String` equality is Unicode's: two spellings of one accented letter are one string to it, two to SQLite.)
struct BinaryText: Hashable, Comparable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (a: BinaryText, b: BinaryText) -> Bool {
        ARN.withBytes(a.string) { x in ARN.withBytes(b.string) { y in bytesEqual(x, y) } }
    }

    func hash(into hasher: inout Hasher) {
        ARN.withBytes(string) { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(string.utf8.count)
    }

    static func < (a: BinaryText, b: BinaryText) -> Bool {
        ARN.withBytes(a.string) { x in ARN.withBytes(b.string) { y in bytesOrder(x, y) < 0 } }
    }
}

/// The totals of the groups (role, identity, kind) a resolution counts again, kept in memory: a group's
/// sessions, calls and addresses add up here and each row is written once, in key order. (The same sums
/// in SQL sorted every session by its group and inserted each address into the addresses' key at random:
/// 0.26-0.28 s of a 1 GB import's resolution.)
struct RoleTotals {
    struct Key: Hashable, Comparable {
        var role: BinaryText
        var identity: BinaryText
        var kind: BinaryText

        static func < (a: Key, b: Key) -> Bool {
            if a.role != b.role { return a.role < b.role }
            if a.identity != b.identity { return a.identity < b.identity }
            return a.kind < b.kind
        }
    }

    struct Group {
        // The role's name, permission set and account: SQL's MAX of each (the first two compared as
        // NOCASE, as their columns are declared; within a group they come from one role ARN).
        var roleName: String?
        var permissionSet: String?
        var account: String?
        var sessions: Int64 = 0
        var denied: Int64 = 0
        var calls: Int64 = 0
        var first: Int64?
        var last: Int64?
        var ips: Set<BinaryText> = []

        mutating func describe(roleName: String?, permissionSet: String?, account: String?) {
            if let roleName, self.roleName.map({ RoleTotals.nocaseOrder($0, roleName) < 0 }) ?? true { self.roleName = roleName }
            if let permissionSet, self.permissionSet.map({ RoleTotals.nocaseOrder($0, permissionSet) < 0 }) ?? true {
                self.permissionSet = permissionSet
            }
            if let account, self.account.map({ BinaryText($0) < BinaryText(account) }) ?? true { self.account = account }
        }

        mutating func span(_ first: Int64?, _ last: Int64?) {
            if let first, self.first.map({ first < $0 }) ?? true { self.first = first }
            if let last, self.last.map({ last > $0 }) ?? true { self.last = last }
        }
    }

    /// The groups, and where each is in `groups` (mutated in place: a copy of a group would copy its addresses).
    private(set) var groups: [Group] = []
    private(set) var keys: [Key] = []
    private var index: [Key: Int] = [:]

    private mutating func group(_ key: Key) -> Int {
        if let i = index[key] { return i }
        index[key] = groups.count
        groups.append(Group())
        keys.append(key)
        return groups.count - 1
    }

    /// SQLite's NOCASE order: bytes compared with ASCII letters folded to lower case.
    static func nocaseOrder(_ a: String, _ b: String) -> Int {
        ARN.withBytes(a) { x in ARN.withBytes(b) { y in
            for i in 0..<min(x.count, y.count) {
                let p = x[i] >= 0x41 && x[i] <= 0x5A ? x[i] | 0x20 : x[i]
                let q = y[i] >= 0x41 && y[i] <= 0x5A ? y[i] | 0x20 : y[i]
                if p != q { return p < q ? -1 : 1 }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        } }
    }

    /// The group of a role, identity and kind (made if new).
    mutating func group(role: String, identity: String, kind: String) -> Int {
        group(Key(role: BinaryText(role), identity: BinaryText(identity), kind: BinaryText(kind)))
    }

    /// One session of a group, with its totals and address (`first` and `last` as the group's span takes them).
    @discardableResult
    mutating func addSession(role: String, identity: String, kind: String, roleName: String?, permissionSet: String?,
                             account: String?, calls: Int64, first: Int64?, last: Int64?, ip: String?) -> Int {
        let g = group(role: role, identity: identity, kind: kind)
        addSession(toGroup: g, roleName: roleName, permissionSet: permissionSet, account: account, calls: calls, first: first, last: last, ip: ip)
        return g
    }

    mutating func addSession(toGroup g: Int, roleName: String?, permissionSet: String?, account: String?, calls: Int64,
                             first: Int64?, last: Int64?, ip: String?) {
        groups[g].describe(roleName: roleName, permissionSet: permissionSet, account: account)
        groups[g].sessions += 1
        groups[g].calls += calls
        groups[g].span(first, last)
        if let ip { groups[g].ips.insert(BinaryText(ip)) }
    }

    /// Another address of a session of group `g`.
    mutating func addAddress(_ ip: String, group g: Int) {
        groups[g].ips.insert(BinaryText(ip))
    }

    /// Counts the groups' sessions (with their addresses) and failed attempts, as the SQL of `rows` selects
    /// them: `sessions` (id order), `sessionIPs` (session id order) and `denied` (see `countDenied`).
    mutating func count(_ db: Database, sessions: String, sessionIPs: String, denied: String) throws {
        let ipsStatement = try db.makeStatement(sql: sessionIPs)
        let ips = ipsStatement.sqliteStatement
        defer { withExtendedLifetime(ipsStatement) { _ = sqlite3_reset(ips) } }
        var ipsRow = try RawRows.step(db, ips)
        try RawRows.forEach(db, sessions) { s in
            let id = sqlite3_column_int64(s, 0)
            let g = addSession(role: RawRows.text(s, 1)!, identity: RawRows.text(s, 2)!, kind: RawRows.text(s, 3)!, roleName: RawRows.text(s, 4),
                               permissionSet: RawRows.text(s, 5), account: RawRows.text(s, 6), calls: sqlite3_column_int64(s, 7),
                               first: RawRows.int(s, 8), last: RawRows.int(s, 9), ip: RawRows.text(s, 10))
            // The session's addresses: both lists are in session id order.
            while ipsRow, sqlite3_column_int64(ips, 0) <= id {
                if sqlite3_column_int64(ips, 0) == id, let ip = RawRows.text(ips, 1) { addAddress(ip, group: g) }
                ipsRow = try RawRows.step(db, ips)
            }
        }
        try countDenied(db, denied)
    }

    /// The failed attempts to assume a role that `sql` selects: role ARN, identity, kind, role name,
    /// permission set, account, time, source address.
    mutating func countDenied(_ db: Database, _ sql: String) throws {
        try RawRows.forEach(db, sql) { d in
            let g = group(Key(role: BinaryText(RawRows.text(d, 0)!), identity: BinaryText(RawRows.text(d, 1)!), kind: BinaryText(RawRows.text(d, 2)!)))
            groups[g].describe(roleName: RawRows.text(d, 3), permissionSet: RawRows.text(d, 4), account: RawRows.text(d, 5))
            groups[g].denied += 1
            groups[g].span(RawRows.int(d, 6), RawRows.int(d, 6))
            if let ip = RawRows.text(d, 7) { groups[g].ips.insert(BinaryText(ip)) }
        }
    }

    /// Writes every group and its addresses, in key order (appended to the tables' keys rather than
    /// inserted in the middle), many rows to a statement. The groups' old rows must be gone.
    func write(_ db: Database) throws {
        let insertGroups = """
            INSERT INTO role_identities (role_arn, role_name, permission_set, account, identity, kind, sessions, denied, calls, first, last)
            SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 FROM trail_feed(?)
            """
        let insertAddresses = "INSERT INTO role_identity_ips (role_arn, identity, kind, ip) SELECT c0, c1, c2, c3 FROM trail_feed(?)"
        var rows = FeedRows(columns: 11)
        var addresses = FeedRows(columns: 4)
        for i in keys.indices.sorted(by: { keys[$0] < keys[$1] }) {
            let key = keys[i]
            let g = groups[i]
            rows.add(key.role.string); rows.add(g.roleName); rows.add(g.permissionSet); rows.add(g.account)
            rows.add(key.identity.string); rows.add(key.kind.string)
            rows.add(g.sessions); rows.add(g.denied); rows.add(g.calls); rows.add(g.first); rows.add(g.last)
            try rows.flush(db, insertGroups)
            // The group's key is stored once and named again by the addresses after the first.
            var first: Int?
            for ip in g.ips {
                if let first {
                    for column in 0..<3 { addresses.add(copyOf: first, column) }
                } else {
                    first = addresses.count
                    addresses.add(key.role.string); addresses.add(key.identity.string); addresses.add(key.kind.string)
                }
                addresses.add(ip.string)
            }
            try addresses.flush(db, insertAddresses)
        }
        try rows.flush(db, insertGroups, atLeast: 1)
        try addresses.flush(db, insertAddresses, atLeast: 1)
    }
}
