// A full resolution worked out in memory against the SQL resolution it stands in for, on the same imports.

import Foundation
import GRDB
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct FullResolutionTests {
    /// Everything a resolution writes, one line per row, with hex() where a NUL or an escape could hide.
    static func dump(_ store: Store) throws -> [String] {
        try store.dbQueue.read { db in
            let sessionColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('sessions') ORDER BY cid")
            let session = sessionColumns.map { "quote(hex(\($0)))" }.joined(separator: " || ' ' || ")
            return try String.fetchAll(db, sql: "SELECT 'session ' || \(session) FROM sessions ORDER BY id")
                + String.fetchAll(db, sql: "SELECT 'ip ' || session_id || ' ' || hex(ip) FROM session_ips ORDER BY 1")
                + String.fetchAll(db, sql: """
                    SELECT 'role ' || hex(role_arn) || ' ' || quote(hex(role_name)) || ' ' || quote(hex(permission_set)) || ' '
                           || quote(hex(account)) || ' ' || hex(identity) || ' ' || kind || ' ' || sessions || ' ' || denied || ' '
                           || calls || ' ' || quote(first) || ' ' || quote(last)
                    FROM role_identities ORDER BY 1
                    """)
                + String.fetchAll(db, sql: "SELECT 'role ip ' || hex(role_arn) || ' ' || hex(identity) || ' ' || kind || ' ' || hex(ip) FROM role_identity_ips ORDER BY 1")
                + String.fetchAll(db, sql: "SELECT 'sso ' || user_id || ' ' || user_name FROM sso_names ORDER BY 1")
        }
    }

    /// The same imports, one store resolving in memory and one in SQL; `runs` imports one after the other
    /// (the later ones forced to be full resolutions).
    static func both(_ runs: [[String]]) throws -> (memory: [String], sql: [String]) {
        func store(limit: Int) throws -> [String] {
            let t = try TestStore()
            for (i, paths) in runs.enumerated() {
                var options = ImportOptions()
                options.fullResolutionLimit = limit
                if i > 0 { options.sessionIndexRebuild = 0 }
                _ = try Importer(store: t.store, options: options).run(paths: paths, report: { _ in })
            }
            return try dump(t.store)
        }
        return (try store(limit: FullResolution.maxSessions), try store(limit: 0))
    }

    @Test(arguments: ["sample", "real", "corpus"])
    func aFirstImportResolvesInMemoryAsTheSQLResolutionDoes(_ tree: String) throws {
        let folder = TemporaryFolder()
        var paths = [folder.path]
        switch tree {
        case "sample":
            var rng = SeededRandom(seed: 7)
            _ = try TreeWriter().write(SampleScenario().builder.records, to: folder.url, rng: &rng)
        case "real": paths = [Fixtures.realLogs.path]
        default: _ = try CorpusGenerator(seed: 12).write(records: 5_000, to: folder.url)
        }
        let (memory, sql) = try Self.both([paths])
        #expect(memory.filter { $0.hasPrefix("session ") }.count > 5)
        expectSameLines(memory, sql)
    }

    @Test func aLargeImportIntoAStoreResolvesInMemoryAsTheSQLResolutionDoes() throws {
        // Half the files, then the rest as a full resolution of a store that holds sessions: some sessions
        // get their minting record only then (their calls are counted again), orphans get earlier calls.
        let folder = TemporaryFolder()
        _ = try CorpusGenerator(seed: 13).write(records: 6_000, to: folder.url)
        let files = FileFinder.find([folder.path]).files.map(\.path).sorted()
        let later = files.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let earlier = files.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let (memory, sql) = try Self.both([earlier, later])
        expectSameLines(memory, sql)
    }

    @Test func chainsDeeperThanSixtyFourLevelsAndCyclesAreCutAsTheSQLResolutionCutsThem() throws {
        // Seventy sessions each minted by the one before, and two minting each other.
        let b = TrailBuilder(seed: 71)
        let user = Caller.iamUser(account: "111111111111", name: "root-of-chain", key: "AKIACHAIN00000000071")
        var caller = user
        for level in 0..<70 {
            let creds = b.assumeRole(time: 1_800_000_000 + Int64(level), caller: caller,
                                     roleArn: "arn:aws:iam::111111111111:role/L\(level)", sessionName: "l\(level)", ip: "10.0.0.\(level)")!
            caller = .session(creds)
            b.emit(time: 1_800_000_500 + Int64(level), recipient: "111111111111", region: "us-east-1", caller: caller,
                   service: "s3.amazonaws.com", action: "ListBuckets", ip: "10.1.0.\(level)")
        }
        let a = Credentials(key: "ASIACYCLEA0000000071", roleArn: "arn:aws:iam::111111111111:role/A", sessionName: "a",
                            created: 1_800_000_000, roleId: "AROAA")
        let c = Credentials(key: "ASIACYCLEC0000000071", roleArn: "arn:aws:iam::111111111111:role/C", sessionName: "c",
                            created: 1_800_000_000, roleId: "AROAC")
        let texts = b.records.map(\.text) + mintingCycle(b, a, c)
        let folder = TemporaryFolder()
        let path = try folder.write("chains.json", "[" + texts.joined(separator: ",") + "]")
        let (memory, sql) = try Self.both([[path]])
        expectSameLines(memory, sql)
        // The chain is followed 64 levels down from the user, and cut below.
        let identities = memory.filter { $0.hasPrefix("session ") }
        #expect(identities.count == 72)
    }
}
