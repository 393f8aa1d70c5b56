// who, what, sessions, timeline, keys, query and show, end to end on SampleLogs: answers, formats, filters,
// escaping and exit codes.

import Foundation
import Testing
import TrailFixtures
@testable import TrailCore

/// One imported copy of SampleLogs shared by the read-only tests below.
final class SampleStore: @unchecked Sendable {
    static let shared = SampleStore()
    let ws = Workspace()
    let db: String
    let scenario = SampleScenario()

    init() {
        db = ws.url.appendingPathComponent("sample.db").path
        _ = try! trail(["import", "-q", "--db", db, ImportCommandTests.sampleLogs], in: ws.url)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try trail(arguments + ["--db", db], in: ws.url, environment: environment)
    }
}

@Suite struct QueryCommandTests {
    let store = SampleStore.shared

    static let schema: [String: [String]] = [
        "who": ["identity", "kind", "sessions", "denied", "calls", "first_seen", "last_seen", "accounts", "source_ips"],
        "what": ["service", "action", "resource", "calls", "errors", "first_seen", "last_seen"],
        "sessions": ["access_key_id", "identity", "kind", "role_arn", "session_name", "account", "source_identity",
                     "started", "expires", "calls", "source_ip", "chain"],
        "timeline": ["time", "event_id", "identity", "kind", "attribution", "role_arn", "session", "account", "region",
                     "service", "action", "resource", "error_code", "source_ip", "user_agent"],
        "keys": ["access_key_id", "identity", "calls", "first_seen", "last_seen", "services", "source_ips"],
    ]

    static let commands: [String: [String]] = [
        "who": ["who", "--role", "GitHubOIDC"],
        "what": ["what", "--who", "acme/api"],
        "sessions": ["sessions"],
        "timeline": ["timeline"],
        "keys": ["keys"],
    ]

    @Test func whoAnswersWhatTheScenarioDid() throws {
        let result = try store.run(["who", "--role", "GitHubOIDC", "--format", "json"])
        #expect(result.status == 0)
        let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[String: Any]]
        let expected = store.scenario.who["GitHubOIDC"]!
        #expect(rows.count == expected.count)
        for row in rows {
            let identity = row["identity"] as! String
            let want = try #require(expected[identity], "unexpected identity \(identity)")
            #expect(row["kind"] as? String == want.kind)
            #expect(row["sessions"] as? Int == want.sessions, "\(identity)")
            #expect(row["denied"] as? Int == want.denied, "\(identity)")
            #expect(row["calls"] as? Int == want.calls, "\(identity)")
            #expect(Set(row["accounts"] as! [String]) == want.accounts, "\(identity)")
        }
        // Most recent last_seen first.
        let seen = rows.map { $0["last_seen"] as! String }
        #expect(seen == seen.sorted(by: >))
    }

    @Test(arguments: ["GitHubOIDC", "AdministratorAccess", "ReadOnlyAccess", "TerraformDeploy", "NetworkAdmin", "LegacyBatchRole",
                      "orders-api-lambda-role"])
    func whoFromTheKeptTotalsEqualsWhoCountedInAWindowThatHoldsEverything(_ role: String) throws {
        let totals = try store.run(["who", "--role", role, "--format", "json"])
        let window = try store.run(["who", "--role", role, "--since", "2000-01-01", "--until", "2100-01-01", "--format", "json"])
        #expect(totals.status == 0 && window.status == 0)
        #expect(totals.stdout == window.stdout)
        #expect(totals.stdout.count > 10)
    }

    @Test func aRoleMatchesByNameInAnyCaseByArnAndByPermissionSet() throws {
        func identities(_ role: String) throws -> Set<String> {
            Set(try parseLines(try store.run(["who", "--role", role, "--format", "ndjson"]).stdout).map { $0["identity"] as! String })
        }
        #expect(try identities("githuboidc") == identities("GitHubOIDC"))
        #expect(try identities("arn:aws:iam::222222222222:role/GitHubOIDC") == ["repo:acme/api:pull_request"])
        #expect(try identities("AdministratorAccess") == ["alice@example.com"])
        #expect(try identities("ReadOnlyAccess") == ["bob@example.com"])
        #expect(try identities("NoSuchRole").isEmpty)
    }

    @Test(arguments: ["who", "what", "sessions", "timeline", "keys"])
    func everyFormatHasExactlyTheKeysOfTheSpec(_ name: String) throws {
        let command = Self.commands[name]!
        let keys = Self.schema[name]!
        let json = try store.run(command + ["--format", "json"])
        #expect(json.status == 0)
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(!rows.isEmpty, "\(name) returned nothing")
        for row in rows { #expect(Set(row.keys) == Set(keys)) }
        let ndjson = try parseLines(try store.run(command + ["--format", "ndjson"]).stdout)
        #expect(ndjson.count == rows.count)
        for row in ndjson { #expect(Set(row.keys) == Set(keys)) }
        let csv = try store.run(command + ["--format", "csv"]).stdout
        #expect(csv.components(separatedBy: "\r\n").first == keys.joined(separator: ","))
        let table = try store.run(command + ["--format", "table"]).stdout
        #expect(table.split(separator: "\n").count == rows.count + 1)
    }

    @Test func withoutATerminalTheDefaultFormatIsNDJSON() throws {
        let result = try store.run(["keys"])
        #expect(try parseLines(result.stdout).first?["access_key_id"] as? String == "AKIAIOSFODNN7LEGACY1")
    }

    @Test func timesAreUTCWithSecondsAndListsAreArrays() throws {
        let rows = try parseLines(try store.run(["sessions", "--who", "acme/infra", "--format", "ndjson"]).stdout)
        let first = try #require(rows.first)
        #expect((first["started"] as! String).range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
        let deepest = rows.map { $0["chain"] as! [String] }.max { $0.count < $1.count }!
        #expect(deepest == store.scenario.chains["repo:acme/infra:ref:refs/heads/main"]!)
        for row in rows { #expect((row["chain"] as! [String]).last == row["role_arn"] as? String) }
    }

    @Test func aRepositoryMatchesEverySubjectOfIt() throws {
        let rows = try parseLines(try store.run(["sessions", "--who", "acme/api", "--format", "ndjson"]).stdout)
        let subjects = Set(rows.map { $0["identity"] as! String })
        #expect(subjects == ["repo:acme/api:ref:refs/heads/main", "repo:acme/api:pull_request", "repo:acme/api:ref:refs/tags/v1.4.0"])
        let exact = try parseLines(try store.run(["sessions", "--who", "repo:acme/api:pull_request", "--format", "ndjson"]).stdout)
        #expect(Set(exact.map { $0["identity"] as! String }) == ["repo:acme/api:pull_request"])
    }

    @Test func filtersNarrowByTimeAndAccount() throws {
        let all = try parseLines(try store.run(["timeline", "--format", "ndjson"]).stdout)
        let day = try parseLines(try store.run(["timeline", "--since", "2026-11-03", "--until", "2026-11-04T00:00:00Z", "--format", "ndjson"]).stdout)
        #expect(!day.isEmpty && day.count < all.count)
        for row in day { #expect((row["time"] as! String).hasPrefix("2026-11-03")) }
        let offset = try parseLines(try store.run(["timeline", "--since", "2026-11-03T01:00:00+01:00", "--until", "2026-11-04T01:00:00+01:00", "--format", "ndjson"]).stdout)
        #expect(offset.count == day.count)
        let staging = try parseLines(try store.run(["timeline", "--account", "222222222222", "--format", "ndjson"]).stdout)
        #expect(!staging.isEmpty)
        for row in staging { #expect(row["account"] as? String == "222222222222") }
        let recent = try store.run(["timeline", "--since", "36h", "--format", "ndjson"])
        #expect(recent.status == 0 && recent.stdout.isEmpty)  // the sample is from 2026-11-02..06
        let limited = try parseLines(try store.run(["timeline", "--limit", "3", "--format", "ndjson"]).stdout)
        #expect(limited.count == 3)
    }

    @Test(arguments: [["--since", "yesterday"], ["--until", "2026-13-01"], ["--since", "5x"], ["--limit", "-1"]])
    func aMalformedFilterIsAUsageError(_ arguments: [String]) throws {
        let result = try store.run(["timeline"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("expected") || result.stderr.contains("--limit"), "\(result.stderr)")
    }

    @Test func unknownCommandsAndMissingOptionsAreUsageErrors() throws {
        #expect(try store.run(["frobnicate"]).status == 64)
        #expect(try store.run(["who"]).status == 64)
        #expect(try store.run(["query"]).status == 64)
    }

    @Test func hostileStringsAreEscapedInTablesAndNeutralisedInCSV() throws {
        let table = try store.run(["timeline", "--who", "account:444444444444", "--format", "table"])
        #expect(!table.stdout.contains("\u{1B}"))
        #expect(!table.stdout.contains("\u{07}"))
        #expect(table.stdout.contains("\\e]0;owned"))
        let csv = try store.run(["timeline", "--who", "account:444444444444", "--format", "csv"]).stdout
        #expect(!csv.contains("\u{1B}"))
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x.example/\"\")/a\""))
        let json = try store.run(["timeline", "--who", "account:444444444444", "--format", "json"]).stdout
        #expect(!json.contains("\u{1B}"))
        let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        #expect((rows.first?["user_agent"] as? String)?.contains("\u{1B}]0;owned") == true)
    }

    @Test func aClosedPipeEndsQuietly() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "'\(Binary.trail.path)' timeline --db '\(store.db)' --format ndjson | head -n 1 >/dev/null; echo \"${PIPESTATUS:-0}\""]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.isEmpty, "\(stderr)")
    }

    @Test func everySavedQueryRuns() throws {
        let list = try parseLines(try store.run(["query", "--list", "--format", "ndjson"]).stdout)
        #expect(list.count >= 8)
        for query in list {
            let name = query["name"] as! String
            var arguments = ["query", name, "--format", "ndjson"]
            if name == "who" { arguments += ["--param", "role=GitHubOIDC"] }
            if name == "what" { arguments += ["--param", "who=acme/api"] }
            let result = try store.run(arguments)
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
        let refs = try parseLines(try store.run(["query", "github-refs", "--param", "role=GitHubOIDC", "--format", "ndjson"]).stdout)
        #expect(refs.contains { $0["repository"] as? String == "acme/api" && $0["ref"] as? String == "ref:refs/tags/v1.4.0" })
        let mfa = try parseLines(try store.run(["query", "console-without-mfa", "--format", "ndjson"]).stdout)
        #expect(mfa.map { $0["identity"] as? String } == ["arn:aws:iam::222222222222:root"])
    }

    @Test func queryParametersAreBoundNeverPasted() throws {
        let hostile = "x' OR '1'='1"
        let result = try store.run(["who", "--role", hostile, "--format", "ndjson"])
        #expect(result.status == 0 && result.stdout.isEmpty)
        let param = try store.run(["query", "sessions", "--param", "role=\(hostile); DROP TABLE events; --", "--format", "ndjson"])
        #expect(param.status == 0 && param.stdout.isEmpty)
        #expect(try !store.run(["keys", "--format", "ndjson"]).stdout.isEmpty)
    }

    @Test func usersCanAddQueriesButNotWrite() throws {
        let folder = Workspace()
        try folder.write("count-actions.sql", "-- description: Calls per action.\n-- params: service\nSELECT action, COUNT(*) AS calls FROM events WHERE service = :service GROUP BY action ORDER BY action;\n")
        try folder.write("wipe.sql", "DELETE FROM event_rows;\n")
        let listed = try parseLines(try store.run(["query", "--list", "--queries", folder.url.path, "--format", "ndjson"]).stdout)
        #expect(listed.contains { $0["name"] as? String == "count-actions" && $0["description"] as? String == "Calls per action." })
        let rows = try parseLines(try store.run(["query", "count-actions", "--param", "service=signin.amazonaws.com", "--format", "ndjson"],
                                                 environment: ["TRAIL_QUERIES": folder.url.path]).stdout)
        #expect(rows.first?["action"] as? String == "ConsoleLogin")
        let missing = try store.run(["query", "count-actions", "--queries", folder.url.path])
        #expect(missing.status == 1 && missing.stderr.contains("service"))
        let wipe = try store.run(["query", "wipe", "--queries", folder.url.path])
        #expect(wipe.status == 1 && wipe.stderr.contains("only read"))
        #expect(try !store.run(["keys"]).stdout.isEmpty)
    }

    @Test func showPrintsTheOriginalRecordWithItsSecretsRedacted() throws {
        let minting = try parseLines(try store.run(["timeline", "--who", "alice@example.com", "--format", "ndjson"]).stdout)
            .first { $0["action"] as? String == "AssumeRoleWithSAML" }!
        let id = minting["event_id"] as! String
        let shown = try store.run(["show", id])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("\"sessionToken\":\"<redacted>\""))
        #expect(!shown.stdout.contains("IQoJb3JpZ2lu"))
        let record = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as! [String: Any]
        #expect(record["eventID"] as? String == id)
        let missing = try store.run(["show", "no-such-event"])
        #expect(missing.status == 1)
    }

    @Test func queryCommandsImportThePathsTheyAreGiven() throws {
        let ws = Workspace()
        let result = try trail(["who", "--role", "GitHubOIDC", "--format", "ndjson", ImportCommandTests.sampleLogs], in: ws.url)
        #expect(result.status == 0)
        #expect(try parseLines(result.stdout).count == store.scenario.who["GitHubOIDC"]!.count)
        #expect(FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("trail.db").path))
    }

    @Test func identityCenterUserIDsAreNotedWhereTheyShow() throws {
        let result = try store.run(["timeline", "--who", "c4a8f4e2-9071-70c3-5d1e-3f2e8b1a9c0d", "--format", "table"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("GetRoleCredentials"))
        #expect(result.stderr.contains("c4a8f4e2-9071-70c3-5d1e-3f2e8b1a9c0d is an Identity Center user id"))
    }

    @Test func helpShowsExamples() throws {
        let help = try store.run(["who", "--help"])
        #expect(help.stdout.contains("trail who --role GitHubOIDC SampleLogs"))
    }
}
