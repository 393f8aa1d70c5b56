// The per-role, per-identity totals behind `who`, counted in memory, against the same sums in SQL.

import Foundation
import GRDB
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct RoleTotalsTests {
    /// The totals as the store holds them, and as SQLite's GROUP BY makes them from the sessions and the
    /// failed attempts (the resolver's SQL before the totals were counted in memory): one line per row.
    static func storedAndSummed(_ store: Store) throws -> (stored: [String], summed: [String]) {
        try store.dbQueue.write { db in
            try db.execute(sql: """
                CREATE TEMP TABLE denied_ids AS
                SELECT id FROM event_rows WHERE req_role_arn IS NOT NULL AND error_code IS NOT NULL;
                CREATE TEMP TABLE summed AS
                SELECT role_arn, MAX(role_name) AS role_name, MAX(permission_set) AS permission_set, MAX(account) AS account,
                       identity, kind, SUM(sessions) AS sessions, SUM(denied) AS denied, SUM(calls) AS calls,
                       MIN(first) AS first, MAX(last) AS last
                FROM (SELECT role_arn, role_name, permission_set, account, identity, kind, 1 AS sessions, 0 AS denied, calls,
                             MIN(COALESCE(created, first_call), COALESCE(first_call, created)) AS first,
                             MAX(COALESCE(created, last_call), COALESCE(last_call, created)) AS last
                      FROM sessions WHERE role_arn IS NOT NULL AND identity IS NOT NULL AND kind IS NOT NULL
                      UNION ALL
                      SELECT o.req_role_arn, o.req_role_name, o.req_permission_set, COALESCE(arn_account(o.req_role_arn), o.account),
                             o.identity, o.kind, 0, 1, 0, o.time, o.time
                      FROM event_origin o WHERE o.id IN (SELECT id FROM temp.denied_ids) AND \(SessionResolver.deniedAttempts))
                GROUP BY role_arn, identity, kind;
                CREATE TEMP TABLE summed_ips AS
                SELECT role_arn, identity, kind, COALESCE(source_ip, first_ip) AS ip FROM sessions
                WHERE role_arn IS NOT NULL AND identity IS NOT NULL AND kind IS NOT NULL AND COALESCE(source_ip, first_ip) IS NOT NULL
                UNION
                SELECT s.role_arn, s.identity, s.kind, i.ip FROM sessions s JOIN session_ips i ON i.session_id = s.id
                WHERE s.role_arn IS NOT NULL AND s.identity IS NOT NULL AND s.kind IS NOT NULL
                UNION
                SELECT o.req_role_arn, o.identity, o.kind, o.source_ip FROM event_origin o
                WHERE o.id IN (SELECT id FROM temp.denied_ids) AND \(SessionResolver.deniedAttempts) AND o.source_ip IS NOT NULL;
                """)
            // hex(): a NUL or an escape inside a value shows, and two spellings of one letter stay two.
            func lines(_ table: String) -> String {
                """
                SELECT hex(role_arn) || ' ' || quote(hex(role_name)) || ' ' || quote(hex(permission_set)) || ' ' || quote(hex(account))
                       || ' ' || hex(identity) || ' ' || hex(kind) || ' ' || sessions || ' ' || denied || ' ' || calls
                       || ' ' || quote(first) || ' ' || quote(last)
                FROM \(table) ORDER BY role_arn, identity, kind
                """
            }
            func ips(_ table: String) -> String {
                "SELECT hex(role_arn) || ' ' || hex(identity) || ' ' || hex(kind) || ' ' || hex(ip) FROM \(table) ORDER BY role_arn, identity, kind, ip"
            }
            defer { try? db.execute(sql: "DROP TABLE temp.denied_ids; DROP TABLE temp.summed; DROP TABLE temp.summed_ips") }
            return (try String.fetchAll(db, sql: lines("role_identities")) + String.fetchAll(db, sql: ips("role_identity_ips")),
                    try String.fetchAll(db, sql: lines("temp.summed")) + String.fetchAll(db, sql: ips("temp.summed_ips")))
        }
    }

    @Test(arguments: ["sample", "real", "corpus"])
    func theTotalsCountedInMemoryAreSQLitesSumsOfTheSessionsAndFailedAttempts(_ tree: String) throws {
        let folder = TemporaryFolder()
        let t = try TestStore()
        switch tree {
        case "sample":
            var rng = SeededRandom(seed: 7)
            try t.importPaths(try TreeWriter().write(SampleScenario().builder.records, to: folder.url, rng: &rng).files)
        case "real": try t.importPaths([Fixtures.realLogs.path])
        default:
            _ = try CorpusGenerator(seed: 5).write(records: 6_000, to: folder.url)
            try t.importPaths([folder.path])
        }
        let (stored, summed) = try Self.storedAndSummed(t.store)
        #expect(stored.count > 10)
        expectSameLines(stored, summed)
    }

    @Test func twoSpellingsOfOneSubjectAreTwoIdentitiesAndAnAddressWithANulIsKeptWhole() throws {
        // "é" composed and decomposed: equal Swift strings, different bytes, and so different identities in
        // the store. An address with a NUL in it must not pass for the address before the NUL.
        let b = TrailBuilder(seed: 41)
        let role = "arn:aws:iam::111111111111:role/Deploy"
        for (i, subject) in ["repo:acme/caf\u{E9}:ref:refs/heads/main", "repo:acme/cafe\u{301}:ref:refs/heads/main"].enumerated() {
            b.assumeRoleWithWebIdentity(time: 1_800_000_000 + Int64(i) * 60, roleArn: role, subject: subject, ip: "10.0.0.1\u{0}evil")
            b.assumeRoleWithWebIdentity(time: 1_800_000_030 + Int64(i) * 60, roleArn: role, subject: subject, ip: "10.0.0.1")
        }
        let folder = TemporaryFolder()
        var rng = SeededRandom(seed: 41)
        _ = try TreeWriter().write(b.records, to: folder.url, rng: &rng)
        let t = try TestStore()
        try t.importPaths([folder.path])
        let (stored, summed) = try Self.storedAndSummed(t.store)
        expectSameLines(stored, summed)
        let rows = try t.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT hex(identity) AS identity, sessions FROM role_identities WHERE role_arn = ? ORDER BY identity", arguments: [role])
        }
        #expect(rows.count == 2)
        #expect(rows.map { $0["sessions"] as Int64 } == [2, 2])
        let ips = try t.store.dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT hex(ip) FROM role_identity_ips WHERE role_arn = ? ORDER BY 1", arguments: [role])
        }
        #expect(ips == [Data("10.0.0.1".utf8), Data("10.0.0.1\u{0}evil".utf8)].map { $0.map { String(format: "%02X", $0) }.joined() })
    }

    @Test func textsCompareByTheirBytesAndRoleNamesAsSQLitesNocase() {
        let composed = BinaryText("caf\u{E9}"), decomposed = BinaryText("cafe\u{301}")
        #expect("caf\u{E9}" == "cafe\u{301}")  // Swift's equality, which the totals must not use
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(decomposed < composed)  // 'e' (0x65) before 0xC3
        #expect(BinaryText("ab") < BinaryText("ab\u{0}"))
        #expect(BinaryText("B") < BinaryText("a"))
        #expect(RoleTotals.nocaseOrder("Deploy", "deploy") == 0)
        #expect(RoleTotals.nocaseOrder("alpha", "Beta") < 0)
        #expect(RoleTotals.nocaseOrder("\u{C9}", "\u{E9}") != 0)  // NOCASE folds ASCII only
        var group = RoleTotals.Group()
        group.describe(roleName: "Deploy", permissionSet: nil, account: "222222222222")
        group.describe(roleName: "deploy", permissionSet: nil, account: "111111111111")
        #expect(group.roleName == "Deploy")  // equal under NOCASE: the first stays, as SQL's MAX keeps it
        #expect(group.account == "222222222222")
    }
}
