// `trail import` end to end: the summary, incremental runs, bad files, kills, the store's place and secrets.

import Foundation
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct ImportCommandTests {
    static let sampleLogs = Binary.packageRoot.appendingPathComponent("SampleLogs").path

    func summary(_ result: RunResult) throws -> [String: Int] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        return object.mapValues { $0 as! Int }
    }

    @Test func importingSampleLogsPrintsTheSummaryOfTheSpec() throws {
        let ws = Workspace()
        let result = try trail(["import", "--format", "json", Self.sampleLogs], in: ws.url)
        #expect(result.status == 0, "\(result.stderr)")
        let s = try summary(result)
        #expect(Set(s.keys) == ["files", "unchanged", "skipped", "digests", "failed", "records", "new_records"])
        let expected = SampleScenario().builder.records.count
        #expect(s["records"] == expected)
        #expect(s["new_records"] == expected)
        #expect(s["digests"] == 1)
        #expect(s["failed"] == 0)
        #expect(s["unchanged"] == 0)
        #expect(s["skipped"] == 0)
        #expect(FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("trail.db").path))
    }

    @Test func aSecondImportReadsNothingAgain() throws {
        let ws = Workspace()
        let first = try summary(try trail(["import", "--format", "json", Self.sampleLogs], in: ws.url))
        let second = try summary(try trail(["import", "--format", "json", Self.sampleLogs], in: ws.url))
        #expect(second["unchanged"] == first["files"])
        #expect(second["files"] == 0 && second["records"] == 0 && second["new_records"] == 0)
    }

    @Test func aRecordDeliveredTwiceIsStoredOnce() throws {
        let ws = Workspace()
        let record = #"{"eventVersion":"1.08","eventID":"dup-1","eventTime":"2026-11-01T00:00:00Z","eventName":"ListBuckets","eventSource":"s3.amazonaws.com"}"#
        try ws.write("logs/a.json", #"{"Records":[\#(record)]}"#)
        try ws.write("logs/b.json", "[" + record + "]")
        let s = try summary(try trail(["import", "--format", "json", "logs"], in: ws.url))
        #expect(s["records"] == 2)
        #expect(s["new_records"] == 1)
    }

    @Test func badFilesAreReportedOneLineEachAndTheOthersImported() throws {
        let ws = Workspace()
        let good = #"{"Records":[{"eventVersion":"1.08","eventID":"good-1","eventTime":"2026-11-01T00:00:00Z","eventName":"ListBuckets"}]}"#
        let gz = GzipWriter.compress(Array(good.utf8))
        try ws.write("logs/good.json.gz", gz)
        try ws.write("logs/truncated.json.gz", Array(gz.prefix(gz.count - 12)))
        var badCRC = gz
        badCRC[badCRC.count - 6] ^= 0xFF
        try ws.write("logs/badcrc.json.gz", badCRC)
        try ws.write("logs/notgzip.gz", [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x42])
        try ws.write("logs/empty.json", "")
        try ws.write("logs/missing-brace.json", String(good.dropLast()))
        try ws.write("logs/README.md", "not a log")
        try ws.write("logs/.DS_Store", [0, 1, 2])
        let result = try trail(["import", "--format", "json", "logs"], in: ws.url)
        #expect(result.status == 1)
        let s = try summary(result)
        #expect(s["failed"] == 5)
        #expect(s["skipped"] == 2)
        #expect(s["new_records"] == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 5, "\(result.stderr)")
        for name in ["truncated.json.gz", "badcrc.json.gz", "notgzip.gz", "empty.json", "missing-brace.json"] {
            let line = lines.first { $0.contains(name) }
            #expect(line?.hasPrefix("trail: error: ") == true, "\(name)")
            #expect(line?.contains("byte ") == true, "\(name): \(line ?? "")")
        }
        // The good file is in, and a rerun still fails only on the bad ones.
        let again = try trail(["import", "--format", "json", "logs"], in: ws.url)
        #expect(try summary(again)["unchanged"] == 1)
        #expect(try summary(again)["failed"] == 5)
    }

    @Test func aFileNamedOnTheCommandLineIsReadWhateverItsName() throws {
        let ws = Workspace()
        try ws.write("export.txt", #"{"eventVersion":"1.08","eventID":"x1","eventName":"A"}"#)
        let s = try summary(try trail(["import", "--format", "json", "export.txt"], in: ws.url))
        #expect(s["new_records"] == 1)
    }

    @Test func theStoreIsReadableByItsOwnerOnly() throws {
        let ws = Workspace()
        try trail(["import", "--format", "json", Self.sampleLogs], in: ws.url)
        let attributes = try FileManager.default.attributesOfItem(atPath: ws.url.appendingPathComponent("trail.db").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func theStorePathComesFromTheOptionThenTheEnvironmentThenTheFolder() throws {
        let ws = Workspace()
        try trail(["import", "-q", Self.sampleLogs], in: ws.url, environment: ["TRAIL_DB": "env.db"])
        #expect(FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("env.db").path))
        #expect(!FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("trail.db").path))
        try trail(["import", "-q", "--db", "option.db", Self.sampleLogs], in: ws.url, environment: ["TRAIL_DB": "env.db"])
        #expect(FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("option.db").path))
        try trail(["import", "-q", Self.sampleLogs], in: ws.url)
        #expect(FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("trail.db").path))
    }

    @Test func secretsNeverReachTheStore() throws {
        let ws = Workspace()
        try trail(["import", "-q", Self.sampleLogs], in: ws.url)
        for name in try FileManager.default.contentsOfDirectory(atPath: ws.url.path) where name.hasPrefix("trail.db") {
            let bytes = try Data(contentsOf: ws.url.appendingPathComponent(name))
            #expect(bytes.range(of: Data("IQoJb3JpZ2luX2VjE".utf8)) == nil, "a session token is in \(name)")
            #expect(bytes.range(of: Data("SECRETTOKEN".utf8)) == nil, "a session token is in \(name)")
        }
    }

    /// A tree big enough that a kill lands in the middle of the import.
    func bigTree(_ ws: Workspace) throws -> String {
        let corpus = CorpusGenerator(seed: 99)
        let root = ws.url.appendingPathComponent("big")
        try corpus.write(records: 30_000, to: root)
        return root.path
    }

    @Test func aKillDuringImportThenARerunGivesTheSameStoreAsOneCleanRun() throws {
        let ws = Workspace()
        let tree = try bigTree(ws)
        let clean = try summary(try trail(["import", "-q", "--format", "json", "--db", "clean.db", tree], in: ws.url))
        var interrupted = 0
        for delay in [0.1, 0.3, 0.6, 1.0, 1.5] {
            let db = "killed-\(delay).db"
            let process = Process()
            process.executableURL = Binary.trail
            process.arguments = ["import", "-q", "--db", db, tree]
            process.currentDirectoryURL = ws.url
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let rerun = try trail(["import", "-q", "--format", "json", "--db", db, tree], in: ws.url)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            // Files the killed run completed are not read again; the rest are.
            let after = try summary(rerun)
            #expect(after["unchanged"]! + after["files"]! == clean["files"]!)
            if after["unchanged"]! > 0 && after["files"]! > 0 { interrupted += 1 }
            for command in [["sessions"], ["timeline"], ["keys"], ["who", "--role", "GitHubOIDC"]] {
                let clean = try trail(command + ["--db", "clean.db", "--format", "ndjson"], in: ws.url)
                let killed = try trail(command + ["--db", db, "--format", "ndjson"], in: ws.url)
                #expect(clean.stdout == killed.stdout, "\(command) differs after a kill at \(delay)s")
                #expect(!clean.stdout.isEmpty)
            }
        }
        // At least one kill landed in the middle of the import, with some files stored and some not.
        #expect(interrupted > 0)
    }
}

@Suite struct StorePathsTests {
    @Test func filesAreKnownByTheirAbsolutePathFromAnyFolder() throws {
        let ws = Workspace()
        let record = #"{"eventVersion":"1.08","eventID":"abs-1","eventTime":"2026-11-01T00:00:00Z","eventName":"ListBuckets"}"#
        try ws.write("logs/a.json", "[" + record + "]")
        try FileManager.default.createDirectory(at: ws.url.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        let db = ws.url.appendingPathComponent("t.db").path
        try trail(["import", "-q", "--db", db, "logs"], in: ws.url)
        let again = try trail(["import", "--format", "json", "--db", db, "../logs"], in: ws.url.appendingPathComponent("elsewhere"))
        #expect(again.stdout.contains("\"unchanged\":1"), "\(again.stdout)")
        let shown = try trail(["show", "abs-1", "--db", db], in: ws.url.appendingPathComponent("elsewhere"))
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("\"abs-1\""))
    }
}
