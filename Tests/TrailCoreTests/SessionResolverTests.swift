// The identity and session rules of SPEC §3 on real records and on generated scenarios.

import Foundation
import GRDB
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct SessionResolverTests {
    // MARK: Real records

    @Test func identityCenterSignInsAndTheirConsoleUseAreTheSSOUser() throws {
        let t = try TestStore()
        try t.realLogs("criblpacks")
        let events = try t.timeline()
        // A console session signs without an access key, so it cannot be linked by one: the orphan
        // rule names the Identity Center user from the role session name.
        let logins = events.filter { $0["action"]?.string == "ConsoleLogin" }
        #expect(logins.count == 3)
        for login in logins {
            #expect(login["identity"]?.string == "kamilo@cribl.io")
            #expect(login["kind"]?.string == "sso")
            #expect(login["attribution"]?.string == "inferred")
            #expect(login["role_arn"]?.string?.contains("AWSReservedSSO_AWSAdministratorAccess") == true)
        }
        let saml = try #require(events.first { $0["action"]?.string == "AssumeRoleWithSAML" })
        #expect(saml["identity"]?.string == "kamilo@cribl.io")
        #expect(saml["attribution"]?.string == "direct")
        // Every call signed by a console session is kamilo's.
        let consoleCalls = events.filter { ($0["role_arn"]?.string ?? "").contains("AWSReservedSSO_AWSAdministratorAccess") }
        #expect(!consoleCalls.isEmpty)
        for call in consoleCalls { #expect(call["identity"]?.string == "kamilo@cribl.io") }
        let who = try t.query("who", Filters(role: "AWSAdministratorAccess"))
        #expect(who.map { $0["identity"]?.string } == ["kamilo@cribl.io"])
        // Three sign-ins, and six console keys whose minting is not in the logs (orphans).
        #expect(who.first?["sessions"]?.integer == 9)
    }

    @Test func serviceRoleSessionsAreTheServiceAndTheirCallsAreLinkedByKey() throws {
        let t = try TestStore()
        try t.realLogs("criblpacks")
        let sessions = try t.query("sessions")
        let config = sessions.filter { $0["identity"]?.string == "config.amazonaws.com" }
        #expect(!config.isEmpty)
        for s in config { #expect(s["kind"]?.string == "aws-service") }
        let calls = try t.timeline().filter { $0["session"]?.string != nil && $0["kind"]?.string == "aws-service" }
        #expect(!calls.isEmpty)
        for call in calls { #expect(call["attribution"]?.string == "key") }
    }

    @Test func longLivedKeysAreTheirIAMUserAndListedByKeys() throws {
        let t = try TestStore()
        try t.realLogs("stratus-red-team/aws.execution.ssm-send-command.json")
        let events = try t.timeline()
        #expect(events.count == 56)
        for e in events {
            #expect(e["kind"]?.string == "iam-user")
            #expect(e["attribution"]?.string == "direct")
            #expect(e["identity"]?.string == "arn:aws:iam::056392974792:user/christophe")
        }
        let keys = try t.query("keys")
        #expect(keys.count == 1)
        #expect(keys.first?["calls"]?.integer == 56)
        #expect(keys.first?["services"]?.strings == ["ssm.amazonaws.com"])
    }

    @Test func aFederationTokenSessionIsItsIAMUserByKey() throws {
        let t = try TestStore()
        try t.realLogs("stratus-red-team/aws.persistence.sts-federation-token.json")
        let call = try t.event("91529247-c4c4-4793-afc8-d70bbcfe9d19")
        #expect(call["identity"]?.string == "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user")
        #expect(call["kind"]?.string == "iam-user")
        #expect(call["attribution"]?.string == "key")
        let session = try #require(try t.query("sessions").first)
        #expect(session["chain"]?.strings == [])
        #expect(session["role_arn"] == .null)
        #expect(session["expires"]?.string == "2024-11-30T20:43:17Z")
    }

    @Test func aGitHubActionsAssumptionIsItsSubject() throws {
        let t = try TestStore()
        try t.realLogs("cloud-snitch/aws_cloudtrail_test.go.inline-records.json")
        let web = try #require(try t.timeline().first { $0["action"]?.string == "AssumeRoleWithWebIdentity" })
        #expect(web["kind"]?.string == "github-actions")
        #expect(web["identity"]?.string?.hasPrefix("repo:ccbrown/cloud-snitch:") == true)
        #expect(web["attribution"]?.string == "direct")
        let account = try #require(try t.timeline().first { $0["action"]?.string == "AssumeRole" })
        #expect(account["kind"]?.string == "aws-account")
        #expect(account["identity"]?.string == "account:774305579662")
    }

    @Test func stolenInstanceCredentialsAreTracedToTheInstanceRole() throws {
        let t = try TestStore()
        try t.realLogs("otrf-security-datasets")
        let outside = try t.timeline().filter { $0["source_ip"]?.string == "1.2.3.4" && $0["role_arn"]?.string != nil }
        #expect(!outside.isEmpty)
        for e in outside {
            #expect(e["identity"]?.string == "ec2.amazonaws.com")
            #expect(e["attribution"]?.string == "key")
        }
    }

    @Test func everyRealEventGetsAnIdentityKindAndAttribution() throws {
        let t = try TestStore()
        try t.importPaths([Fixtures.realLogs.path])
        for e in try t.timeline() {
            #expect(e["identity"]?.string != nil || e["kind"] == .null, "\(e["event_id"] ?? .null)")
            if let kind = e["kind"]?.string { #expect(IdentityKind(rawValue: kind) != nil) }
            if let attribution = e["attribution"]?.string { #expect(Attribution(rawValue: attribution) != nil) }
        }
    }

    // MARK: Generated scenarios

    /// The sample scenario written as a tree; its files in a list.
    func sampleTree(_ folder: TemporaryFolder) throws -> [String] {
        var rng = SeededRandom(seed: 7)
        return try TreeWriter().write(SampleScenario().builder.records, to: folder.url, rng: &rng).files
    }

    func answers(_ t: TestStore) throws -> [String] {
        func text(_ row: [String: Cell]) -> String {
            row.keys.sorted().map { "\($0)=\(row[$0]!)" }.joined(separator: " ")
        }
        var out: [String] = []
        for role in ["GitHubOIDC", "TerraformDeploy", "NetworkAdmin", "AdministratorAccess", "ReadOnlyAccess", "LegacyBatchRole"] {
            out += try t.query("who", Filters(role: role)).map { "\(role) " + text($0) }
        }
        out += try t.query("sessions").map(text)
        out += try t.timeline().map(text)
        out += try t.query("keys").map(text)
        return out
    }

    @Test func theOrderInWhichFilesArriveDoesNotChangeTheAnswers() throws {
        let folder = TemporaryFolder()
        let files = try sampleTree(folder)
        let once = try TestStore()
        try once.importPaths([folder.path])
        let reversed = try TestStore()
        for file in files.reversed() { try reversed.importPaths([file]) }
        let shuffled = try TestStore()
        var rng = SeededRandom(seed: 3)
        let order = files.shuffled(using: &rng)
        try shuffled.importPaths(Array(order.prefix(40)))
        try shuffled.importPaths(Array(order.dropFirst(40)))
        let expected = try answers(once)
        for (name, other) in [("reversed", reversed), ("shuffled", shuffled)] {
            let got = try answers(other)
            #expect(got.count == expected.count, "\(name)")
            for (a, b) in zip(got, expected) where a != b {
                Issue.record("\(name): \(a)\n  expected \(b)")
                break
            }
        }
    }

    @Test(arguments: [false, true])
    func callsCountedInSeveralRowsAddUpAsThoseCountedInOne(_ bulk: Bool) throws {
        // The importer writes its counts after every file here: a session's calls from one address,
        // spread over files, come to the resolver in several rows, which its totals must add up.
        let folder = TemporaryFolder()
        _ = try sampleTree(folder)
        _ = try CorpusGenerator(seed: 5).write(records: 3_000, to: folder.url.appendingPathComponent("corpus"))
        let once = try TestStore()
        try once.importPaths([folder.path])
        let split = try TestStore()
        var options = ImportOptions()
        options.pendingCallsLimit = 1
        options.bulk = bulk
        options.sessionIndexRebuild = 0
        _ = try Importer(store: split.store, options: options).run(paths: [folder.path], report: { _ in })
        let expected = try answers(once)
        let got = try answers(split)
        #expect(got.count == expected.count)
        for (a, b) in zip(got, expected) where a != b {
            Issue.record("\(a)\n  expected \(b)")
            break
        }
    }

    @Test(arguments: [false, true])
    func aCallWhoseCreationDateIsNotItsSessionsCountsForNoSession(_ bulk: Bool) throws {
        // Alice's AssumeRole mints ASIAMINTED at 09:00; two calls are signed with that key, one saying its
        // session was created then, one (forged, or another session's) an hour later.
        func call(_ id: String, created: String) -> String {
            #"{"eventVersion":"1.08","eventID":"\#(id)","eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","#
                + #""eventName":"GetObject","sourceIPAddress":"10.1.1.1","userIdentity":{"type":"AssumedRole","#
                + #""arn":"arn:aws:sts::1:assumed-role/R/alice","accessKeyId":"ASIAMINTED","sessionContext":{"#
                + #""sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/R"},"attributes":{"creationDate":"\#(created)"}}}}"#
        }
        let mint = #"{"eventVersion":"1.08","eventID":"mint","eventTime":"2026-11-01T09:00:00Z","eventSource":"sts.amazonaws.com","#
            + #""eventName":"AssumeRole","sourceIPAddress":"10.0.0.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice","#
            + #""accessKeyId":"AKIAALICE","userName":"alice"},"requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"alice"},"#
            + #""responseElements":{"credentials":{"accessKeyId":"ASIAMINTED","expiration":"Nov 1, 2026, 10:00:00 AM"},"#
            + #""assumedRoleUser":{"assumedRoleId":"AROA:alice","arn":"arn:aws:sts::1:assumed-role/R/alice"}}}"#
        let folder = TemporaryFolder()
        try folder.write("a.json", "[" + [mint, call("same", created: "2026-11-01T09:00:00Z"),
                                          call("other", created: "2026-11-01T10:00:00Z")].joined(separator: ",") + "]")
        let t = try TestStore()
        var options = ImportOptions()
        options.bulk = bulk
        options.sessionIndexRebuild = 0
        _ = try Importer(store: t.store, options: options).run(paths: [folder.url.path], report: { _ in })
        let calls = try t.store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT calls FROM sessions WHERE access_key_id = 'ASIAMINTED'") }
        #expect(calls == 1)
    }

    @Test(arguments: [false, true])
    func callsWithAndWithoutAnAddressOverSeveralFilesAddUpOncePerAddress(_ bulk: Bool) throws {
        // One session's calls in three files, some with no source address, the counts written after every
        // file: each caller and address is added to its one pending row, and no address is not an address.
        let folder = TemporaryFolder()
        func records(_ name: String, hour: Int) -> String {
            "[" + (0..<6).map { i in
                let address = i % 2 == 0 ? "" : #""sourceIPAddress":"10.0.0.\#(i % 3)","#
                return #"{"eventVersion":"1.08","eventID":"\#(name)-\#(i)","eventTime":"2026-11-01T\#(hour):0\#(i):00Z","eventName":"A","#
                    + address + #""userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","#
                    + #""accessKeyId":"ASIAONE","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/R"},"#
                    + #""attributes":{"creationDate":"2026-11-01T09:00:00Z"}}}}"#
            }.joined(separator: ",") + "]"
        }
        try folder.write("a.json", records("a", hour: 12))
        try folder.write("b.json", records("b", hour: 10))
        try folder.write("c.json", records("c", hour: 11))
        let t = try TestStore()
        var options = ImportOptions()
        options.pendingCallsLimit = 1
        options.bulk = bulk
        _ = try Importer(store: t.store, options: options).run(paths: [folder.path], report: { _ in })
        let (row, ips) = try t.store.dbQueue.read { db in
            (try Row.fetchOne(db, sql: "SELECT calls, first_call, last_call FROM sessions WHERE access_key_id = 'ASIAONE'"),
             try String.fetchAll(db, sql: "SELECT ip FROM session_ips ORDER BY ip"))
        }
        #expect(row?["calls"] as Int? == 18)
        #expect(row?["first_call"] as Int64? == EventTime.parseISO("2026-11-01T10:00:00Z"))
        #expect(row?["last_call"] as Int64? == EventTime.parseISO("2026-11-01T12:05:00Z"))
        #expect(ips == ["10.0.0.0", "10.0.0.1", "10.0.0.2"])
    }

    @Test(arguments: ["sample", "corpus"])
    func rollingUpOnlyTheRoleGroupsARunTouchesGivesTheTotalsOfAFullRollUp(_ tree: String) throws {
        let folder = TemporaryFolder()
        var files = try sampleTree(folder)
        if tree == "corpus" {
            _ = try CorpusGenerator(seed: 21).write(records: 4_000, to: folder.url.appendingPathComponent("corpus"))
            files = FileFinder.find([folder.url.appendingPathComponent("corpus").path]).files.map(\.path).sorted()
        }
        // Small runs, last files first: sessions are used before their minting records arrive, so
        // origins (and the groups their sessions and failed attempts count in) change from run to run.
        let t = try TestStore()
        var runs = 0
        for start in stride(from: files.count, to: 0, by: -7) {
            try t.importPaths(Array(files[max(0, start - 7)..<start]))
            runs += 1
        }
        #expect(runs > 5)
        func totals() throws -> [String] {
            try t.store.dbQueue.read { db in
                try String.fetchAll(db, sql: """
                    SELECT quote(role_arn) || ' ' || quote(role_name) || ' ' || quote(permission_set) || ' ' || quote(account)
                           || ' ' || identity || ' ' || kind || ' ' || sessions || ' ' || denied || ' ' || calls
                           || ' ' || quote(first) || ' ' || quote(last)
                    FROM role_identities ORDER BY role_arn, identity, kind
                    """) + String.fetchAll(db, sql: """
                    SELECT role_arn || ' ' || identity || ' ' || kind || ' ' || ip FROM role_identity_ips
                    ORDER BY role_arn, identity, kind, ip
                    """)
            }
        }
        let incremental = try totals()
        #expect(incremental.count > 20)
        // The fork's refused attempt is among them: failed attempts are counted too.
        if tree == "sample" {
            #expect(incremental.contains { $0.contains("repo:evil-org/acme-api-fork:pull_request github-actions 0 1 0 ") })
        }
        try t.store.dbQueue.write { db in try SessionResolver.rollUpRoles(db) }
        let full = try totals()
        #expect(incremental == full, "\(Set(incremental).symmetricDifference(Set(full)).sorted().prefix(6))")
    }

    @Test func aSessionWhoseMintingRecordComesWithMoreOfItsCallsCountsEachCallOnce() throws {
        // Two calls of alice's session come first, as an orphan's; the record that minted the session comes
        // in a later import with three more of its calls. It counts five calls, as one import of both does.
        let b = TrailBuilder(seed: 37)
        let alice = Caller.iamUser(account: "111111111111", name: "alice", key: "AKIAALICE00000000037")
        let session = b.assumeRole(time: 1_800_000_000, caller: alice, roleArn: "arn:aws:iam::111111111111:role/Dev",
                                   sessionName: "alice", ip: "9.9.9.9")!
        for i in 0..<5 {
            b.emit(time: 1_800_000_100 + Int64(i) * 10, recipient: "111111111111", region: "us-east-1",
                   caller: .session(session), service: "s3.amazonaws.com", action: "ListBuckets", ip: "1.1.1.\(i)")
        }
        let folder = TemporaryFolder()
        func file(_ name: String, _ records: [GeneratedRecord]) throws -> String {
            try folder.write(name, "[" + records.map(\.text).joined(separator: ",") + "]")
        }
        let early = try file("early.json", Array(b.records[1...2]))
        let late = try file("late.json", [b.records[0]] + Array(b.records[3...5]))
        let split = try TestStore()
        try split.importPaths([early])
        try split.importPaths([late])
        let whole = try TestStore()
        try whole.importPaths([early, late])
        for t in [split, whole] {
            let row = try #require(try t.query("sessions").first { $0["access_key_id"]?.string == session.key })
            #expect(row["calls"]?.integer == 5)
            #expect(row["identity"]?.string == "arn:aws:iam::111111111111:user/alice")
        }
        #expect(try answers(split) == answers(whole))
    }

    @Test func aFailedAttemptMovesToItsSignersOriginWhenTheSignersMintingRecordArrivesLater() throws {
        // alice's session tries a role and is refused; the record that minted alice's session comes in a
        // later import. The failed attempt first counts under the session's own ARN, then under alice.
        let b = TrailBuilder(seed: 31)
        let alice = Caller.iamUser(account: "111111111111", name: "alice", key: "AKIAALICE00000000031")
        let session = b.assumeRole(time: 1_800_000_000, caller: alice, roleArn: "arn:aws:iam::111111111111:role/Dev",
                                   sessionName: "alice", ip: "9.9.9.9")!
        _ = b.assumeRole(time: 1_800_000_100, caller: .session(session), roleArn: "arn:aws:iam::222222222222:role/Prod",
                         sessionName: "alice-prod", ip: "9.9.9.9", denied: true)
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("later.json", "[" + b.records.dropFirst().map(\.text).joined(separator: ",") + "]")])
        func prod() throws -> [String] {
            try t.query("who", Filters(role: "Prod")).map { "\($0["identity"]?.string ?? "-") denied=\($0["denied"]?.integer ?? -1)" }
        }
        #expect(try prod() == ["arn:aws:sts::111111111111:assumed-role/Dev/alice denied=1"])
        try t.importPaths([try folder.write("first.json", "[" + b.records.prefix(1).map(\.text).joined(separator: ",") + "]")])
        #expect(try prod() == ["arn:aws:iam::111111111111:user/alice denied=1"])
    }

    @Test func rebuildingTheSessionIndexesGivesTheSameAnswersAndLeavesThemAllInPlace() throws {
        let folder = TemporaryFolder()
        let files = try sampleTree(folder)
        let kept = try TestStore()
        try kept.importPaths([folder.path])
        let rebuilt = try TestStore()
        var options = ImportOptions()
        options.sessionIndexRebuild = 0
        _ = try Importer(store: rebuilt.store, options: options).run(paths: Array(files.prefix(50)), report: { _ in })
        _ = try Importer(store: rebuilt.store, options: options).run(paths: [folder.path], report: { _ in })
        #expect(try answers(rebuilt) == (try answers(kept)))
        let indexes = try rebuilt.store.dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'")
        }
        #expect(Set(SessionResolver.sessionIndexes.map(\.name)).isSubset(of: Set(indexes)))
    }

    @Test func aSessionUsedBeforeItsMintingRecordIsReadIsAttributedWhenItArrives() throws {
        let b = TrailBuilder(seed: 11)
        let creds = b.assumeRoleWithWebIdentity(time: 1_800_000_000, roleArn: "arn:aws:iam::111111111111:role/GitHubOIDC",
                                                subject: "repo:acme/api:ref:refs/heads/main", ip: "4.4.4.4")!
        let mint = b.removeLastRecord()
        b.emit(time: 1_800_000_100, recipient: "111111111111", region: "us-east-1", caller: .session(creds),
               service: "s3.amazonaws.com", action: "ListBuckets", ip: "4.4.4.4")
        let folder = TemporaryFolder()
        let callFile = try folder.write("call.json", #"{"Records":[\#(b.records[0].text)]}"#)
        let t = try TestStore()
        try t.importPaths([callFile])
        var call = try t.event(b.records[0].eventID)
        #expect(call["kind"]?.string == "github-actions")
        #expect(call["attribution"]?.string == "inferred")
        #expect(call["identity"]?.string == creds.assumedRoleArn)
        try t.importPaths([try folder.write("mint.json", #"{"Records":[\#(mint.text)]}"#)])
        call = try t.event(b.records[0].eventID)
        #expect(call["identity"]?.string == "repo:acme/api:ref:refs/heads/main")
        #expect(call["attribution"]?.string == "key")
        #expect(try t.query("sessions").count == 1)
    }

    @Test func chainsOfDepthThreeAcrossAccountsKeepTheOriginAndTheChain() throws {
        let b = TrailBuilder(seed: 12)
        let roles = ["arn:aws:iam::111111111111:role/Entry", "arn:aws:iam::222222222222:role/Middle",
                     "arn:aws:iam::333333333333:role/Target"]
        let user = Caller.iamUser(account: "111111111111", name: "alice", key: "AKIAALICE00000000001")
        var caller = user
        var last: Credentials?
        for (i, role) in roles.enumerated() {
            last = b.assumeRole(time: 1_800_000_000 + Int64(i) * 10, caller: caller, roleArn: role, sessionName: "s\(i)", ip: "9.9.9.9")
            caller = .session(last!)
        }
        let callID = b.emit(time: 1_800_000_100, recipient: "333333333333", region: "us-east-1", caller: caller,
                            service: "s3.amazonaws.com", action: "DeleteBucket", ip: "9.9.9.9", readOnly: false)
        let folder = TemporaryFolder()
        let t = try TestStore()
        // Deepest first, one record per file, so that every link arrives after its use.
        for (i, r) in b.records.reversed().enumerated() {
            try t.importPaths([try folder.write("r\(i).json", r.text)])
        }
        let call = try t.event(callID)
        #expect(call["identity"]?.string == "arn:aws:iam::111111111111:user/alice")
        #expect(call["kind"]?.string == "iam-user")
        #expect(call["attribution"]?.string == "key")
        let session = try #require(try t.query("sessions").first { $0["access_key_id"]?.string == last!.key })
        #expect(session["chain"]?.strings == roles)
        // The cross-account copies (AWSAccount) take their caller's identity and count once.
        let copies = try t.timeline().filter { $0["action"]?.string == "AssumeRole" }
        #expect(copies.count == 5)
        for copy in copies { #expect(copy["identity"]?.string == "arn:aws:iam::111111111111:user/alice") }
        let who = try t.query("who", Filters(role: "Middle"))
        #expect(who.first?["sessions"]?.integer == 1)
        #expect(who.first?["calls"]?.integer == 1)
    }

    @Test func bothExpirationFormatsAreRead() throws {
        #expect(EventTime.parseExpiration("Nov 29, 2018 4:31:59 AM") == EventTime.parseISO("2018-11-29T04:31:59Z"))
        #expect(EventTime.parseExpiration("Nov 30, 2024, 8:43:17 PM") == EventTime.parseISO("2024-11-30T20:43:17Z"))
        #expect(EventTime.parseExpiration("Jan 1, 2025 12:00:00 AM") == EventTime.parseISO("2025-01-01T00:00:00Z"))
        #expect(EventTime.parseExpiration("Jan 1, 2025, 12:00:00\u{202F}PM") == EventTime.parseISO("2025-01-01T12:00:00Z"))
        let folder = TemporaryFolder()
        let t = try TestStore()
        let b = TrailBuilder(seed: 13)
        for i in 0..<4 {
            b.assumeRole(time: 1_800_000_000 + Int64(i), caller: .service("ec2.amazonaws.com"),
                         roleArn: "arn:aws:iam::111111111111:role/r", sessionName: "i-\(i)", ip: "x")
        }
        #expect(b.records.contains { $0.text.contains(", 2027, ") } && b.records.contains { !$0.text.contains(", 2027, ") })
        try t.importPaths([try folder.write("e.json", "[" + b.records.map(\.text).joined(separator: ",") + "]")])
        for s in try t.query("sessions") {
            let started = EventTime.parseISO(s["started"]!.string!)!
            #expect(EventTime.parseISO(s["expires"]!.string!) == started + 3600)
        }
    }

    @Test func aRoleOfTheSameNameInTwoAccountsMatchesInBoth() throws {
        let b = TrailBuilder(seed: 14)
        for account in ["111111111111", "222222222222"] {
            b.assumeRoleWithWebIdentity(time: 1_800_000_000, roleArn: "arn:aws:iam::\(account):role/GitHubOIDC",
                                        subject: "repo:acme/api:ref:refs/heads/main", ip: "1.1.1.1")
        }
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("e.json", "[" + b.records.map(\.text).joined(separator: ",") + "]")])
        let who = try t.query("who", Filters(role: "GitHubOIDC"))
        #expect(who.count == 1)
        #expect(who.first?["sessions"]?.integer == 2)
        #expect(who.first?["accounts"]?.strings == ["111111111111", "222222222222"])
        #expect(try t.query("who", Filters(account: "222222222222", role: "GitHubOIDC")).first?["sessions"]?.integer == 1)
    }

    @Test func aDeniedWebIdentityIsKeptAsDenied() throws {
        let b = TrailBuilder(seed: 15)
        b.assumeRoleWithWebIdentity(time: 1_800_000_000, roleArn: "arn:aws:iam::111111111111:role/GitHubOIDC",
                                    subject: "repo:mallory/fork:pull_request", ip: "6.6.6.6", denied: true)
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("e.json", b.records[0].text)])
        let who = try t.query("who", Filters(role: "GitHubOIDC"))
        #expect(who.count == 1)
        #expect(who.first?["identity"]?.string == "repo:mallory/fork:pull_request")
        #expect(who.first?["kind"]?.string == "github-actions")
        #expect(who.first?["denied"]?.integer == 1)
        #expect(who.first?["sessions"]?.integer == 0)
        #expect(who.first?["source_ips"]?.strings == ["6.6.6.6"])
        #expect(try t.query("denied-assumptions").count == 1)
    }

    @Test func orphanSessionsFallBackAsTheSpecSays() throws {
        let b = TrailBuilder(seed: 16)
        let sso = Credentials(key: "ASIAORPHANSSO0000001",
                              roleArn: "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_0123456789abcdef",
                              sessionName: "carol@example.com", created: 1_800_000_000, roleId: "AROASSO")
        let github = Credentials(key: "ASIAORPHANGH00000001", roleArn: "arn:aws:iam::111111111111:role/GitHubOIDC",
                                 sessionName: "GitHubActions-1", created: 1_800_000_000, roleId: "AROAGH",
                                 federatedProvider: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com")
        let other = Credentials(key: "ASIAORPHANOTHER00001", roleArn: "arn:aws:iam::111111111111:role/Batch",
                                sessionName: "job", created: 1_800_000_000, roleId: "AROAB")
        for c in [sso, github, other] {
            b.emit(time: 1_800_000_010, recipient: "111111111111", region: "us-east-1", caller: .session(c),
                   service: "s3.amazonaws.com", action: "ListBuckets", ip: "7.7.7.7")
        }
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("e.json", "[" + b.records.map(\.text).joined(separator: ",") + "]")])
        let sessions = Dictionary(uniqueKeysWithValues: try t.query("sessions").map { ($0["access_key_id"]!.string!, $0) })
        #expect(sessions[sso.key]?["identity"]?.string == "carol@example.com")
        #expect(sessions[sso.key]?["kind"]?.string == "sso")
        #expect(sessions[github.key]?["identity"]?.string == github.assumedRoleArn)
        #expect(sessions[github.key]?["kind"]?.string == "github-actions")
        #expect(sessions[other.key]?["identity"]?.string == other.assumedRoleArn)
        #expect(sessions[other.key]?["kind"]?.string == "unknown")
        #expect(sessions[other.key]?["started"]?.string == "2027-01-15T08:00:00Z")
        #expect(sessions[other.key]?["expires"] == .null)
        for e in try t.timeline() { #expect(e["attribution"]?.string == "inferred") }
        #expect(try t.query("orphan-sessions").count == 3)
    }

    @Test func identityCenterPortalEventsNameTheUserInBothSchemas() throws {
        let b = TrailBuilder(seed: 17)
        b.ssoGetRoleCredentials(time: 1_800_000_000, managementAccount: "999999999999", user: "dave@example.com",
                                userId: "uid-dave", newSchema: false, roleName: "ReadOnlyAccess", account: "1", ip: "1.1.1.1")
        b.ssoGetRoleCredentials(time: 1_800_000_000, managementAccount: "999999999999", user: "erin@example.com",
                                userId: "uid-erin", newSchema: true, roleName: "ReadOnlyAccess", account: "1", ip: "1.1.1.1")
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("e.json", "[" + b.records.map(\.text).joined(separator: ",") + "]")])
        let events = try t.timeline()
        // Nothing names uid-erin yet: the user id is the identity (README says so, and the table notes it).
        #expect(Set(events.map { $0["identity"]?.string }) == ["dave@example.com", "uid-erin"])
        for e in events {
            #expect(e["kind"]?.string == "sso")
            #expect(e["attribution"]?.string == "direct")
        }
        // A later record naming the user id teaches trail the name, for the earlier events too.
        let naming = b.records[1].text
            .replacingOccurrences(of: #""type":"IdentityCenterUser","#, with: #""type":"IdentityCenterUser","userName":"erin@example.com","#)
            .replacingOccurrences(of: b.records[1].eventID, with: "naming-event")
        try t.importPaths([try folder.write("naming.json", naming)])
        #expect(Set(try t.timeline().map { $0["identity"]?.string }) == ["dave@example.com", "erin@example.com"])
    }

    @Test func aCycleOfSessionsCannotHangTheResolver() throws {
        // Two crafted sessions, each minted by the other.
        let a = Credentials(key: "ASIACYCLEA0000000001", roleArn: "arn:aws:iam::111111111111:role/A", sessionName: "a",
                            created: 1_800_000_000, roleId: "AROAA")
        let bCreds = Credentials(key: "ASIACYCLEB0000000001", roleArn: "arn:aws:iam::111111111111:role/B", sessionName: "b",
                                 created: 1_800_000_000, roleId: "AROAB")
        let texts = mintingCycle(TrailBuilder(seed: 18), a, bCreds)
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("e.json", "[" + texts.joined(separator: ",") + "]")])
        let sessions = try t.query("sessions")
        #expect(sessions.count == 2)
        let attributions = try t.timeline().compactMap { $0["attribution"]?.string }
        #expect(attributions.count == 2 && attributions.allSatisfy { $0 == "inferred" })
    }
}

extension SessionResolverTests {
    @Test func anOrphansAddressIsItsFirstCallWhicheverFileCameFirst() throws {
        let orphan = Credentials(key: "ASIAORPHANORDER00001", roleArn: "arn:aws:iam::111111111111:role/Batch",
                                 sessionName: "job", created: 1_800_000_000, roleId: "AROAB")
        let b = TrailBuilder(seed: 19)
        b.emit(time: 1_800_000_500, recipient: "111111111111", region: "us-east-1", caller: .session(orphan),
               service: "s3.amazonaws.com", action: "ListBuckets", ip: "2.2.2.2")
        var named = orphan
        named.sourceIdentity = "alice"
        b.emit(time: 1_800_000_100, recipient: "111111111111", region: "us-east-1", caller: .session(named),
               service: "s3.amazonaws.com", action: "ListBuckets", ip: "1.1.1.1")
        let folder = TemporaryFolder()
        let t = try TestStore()
        try t.importPaths([try folder.write("late.json", b.records[0].text)])
        try t.importPaths([try folder.write("early.json", b.records[1].text)])
        let session = try #require(try t.query("sessions").first)
        #expect(session["source_ip"]?.string == "1.1.1.1")
        #expect(session["source_identity"]?.string == "alice")
        #expect(session["calls"]?.integer == 2)
    }
}
