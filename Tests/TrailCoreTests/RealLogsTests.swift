// Every file of the real-logs collection reads with the record count Python's json module finds.

import Foundation
import Testing
@testable import TrailCore

@Suite struct RealLogsTests {
    struct Expected: CustomStringConvertible, Sendable {
        var path: String
        var ok: Bool
        var records: Int
        var description: String { path }
    }

    /// real-logs-expected.tsv: computed from the files by Python's json module, not by trail.
    static let expected: [Expected] = {
        guard let text = try? String(contentsOf: Fixtures.root.appendingPathComponent("real-logs-expected.tsv"), encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Expected(path: f[0], ok: f[1] == "ok", records: Int(f[2])!)
        }
    }()

    @Test func theCollectionIsAllThere() {
        #expect(Self.expected.count == 105)
    }

    @Test(arguments: expected)
    func eachFileReadsWithTheRightRecordCount(_ file: Expected) throws {
        let path = Fixtures.realLogs.appendingPathComponent(file.path).path
        if file.ok {
            #expect(try readFile(path).count == file.records)
        } else {
            #expect(throws: InputError.self) { _ = try readFile(path) }
        }
    }

    /// The AWS documentation blocks kept verbatim, some of them not valid JSON as published.
    static let fragments: [(String, Bool, String)] = {
        let folder = Fixtures.realLogs.appendingPathComponent("awsdocs-github-2023")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var out: [(String, Bool, String)] = []
        for name in names.sorted() where name.hasSuffix(".fragments.json") {
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)),
                  let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { continue }
            for (i, fragment) in list.enumerated() {
                out.append(("\(name)#\(i)", fragment["parses_as_json"] as? Bool ?? false, fragment["text"] as? String ?? ""))
            }
        }
        return out
    }()

    @Test func documentationFragmentsThatAreNotJSONFailCleanly() throws {
        #expect(Self.fragments.count == 30)
        var invalid = 0
        for (name, parses, text) in Self.fragments {
            do {
                _ = try readRecords(Array(text.utf8))
                #expect(parses, "\(name) read although it is not JSON")
            } catch let error as InputError {
                if !parses { invalid += 1 }
                #expect(error.location != nil, "\(name)")
            }
        }
        #expect(invalid == Self.fragments.filter { !$0.1 }.count)
    }

    @Test func theDigestExamplesAreRecognisedAsDigests() throws {
        let digests = Self.fragments.filter { $0.0.contains("digest-file-structure") && $0.1 }
        #expect(!digests.isEmpty)
        var found = 0
        for (_, _, text) in digests {
            if let result = try? readRecords(Array(text.utf8)) { found += result.digests }
        }
        #expect(found >= 1)
    }

    @Test func strayFieldsAndStringifiedValuesReadLeniently() throws {
        let path = Fixtures.realLogs.appendingPathComponent(
            "criblpacks/650992545562_CloudTrail_us-west-2_20220103T1925Z_zZkLYsSYAKTE1wX9.json").path
        let records = try readFile(path).map(\.record)
        let saml = try #require(records.first { $0.eventName == "AssumeRoleWithSAML" })
        #expect(saml.mint.durationSeconds == 28800)
        #expect(saml.mint.accessKeyId == "ASIAZPERN54NOWAQ3WS6")
        #expect(saml.mint.expiration == EventTime.parseISO("2022-01-04T03:21:11Z"))
        #expect(saml.userIdentity.type == "SAMLUser")
        let login = try #require(records.first { $0.eventName == "ConsoleLogin" })
        #expect(login.readOnly == false)
        #expect(login.mfaUsed == "No")
        #expect(login.userIdentity.creationDate == EventTime.parseISO("2022-01-03T19:21:12Z"))
    }
}
