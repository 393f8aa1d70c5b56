// Framing the forms of SPEC §1 from a stream fed in chunks of every size.

import Foundation
import Testing
@testable import TrailCore

@Suite struct RecordReaderTests {
    static let record1 = #"{"eventVersion":"1.08","eventID":"e1","eventTime":"2026-11-01T12:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","requestParameters":{"bucketName":"b","key":"k\u00e9"}}"#
    static let record2 = #"{"eventVersion":"1.08","eventID":"e2","eventTime":"2026-11-01T12:00:01Z","eventName":"ListBuckets","userAgent":"caf\u00e9 ☕"}"#

    static let forms: [(String, String)] = [
        ("records object", #"{"Records":[\#(record1),\#(record2)]}"#),
        ("records object, pretty", "{\n  \"Records\" : [\n    \(record1) ,\n    \(record2)\n  ]\n}\n"),
        ("json lines", record1 + "\n" + record2 + "\n"),
        ("concatenated values", record1 + record2),
        ("bare array", "[" + record1 + "," + record2 + "]"),
        ("lookup-events", #"{"Events":[{"EventId":"e1","CloudTrailEvent":\#(JSONText.quote(record1))},{"CloudTrailEvent":\#(JSONText.quote(record2)),"EventName":"x"}],"NextToken":"t"}"#),
        ("records after other keys", #"{"foo":{"bar":[1,2]},"Records":[\#(record1),\#(record2)]}"#),
    ]

    @Test func recordsReadIntoOneReusedValueAreTheRecordsReadOneByOne() throws {
        // The importer keeps one value and reads every record into it: nothing of a record may linger
        // into the next. Every form in one stream (lookup-events output, a record without eventID, a
        // wrapper) and every real log.
        let mixed = Self.forms.map(\.1).joined(separator: "\n") + #"{"eventVersion":"1.08","eventName":"NoID"}"#
        var streams: [(String, () throws -> ByteSource)] = [("mixed forms", { MemorySource(Array(mixed.utf8), chunkSize: 7) })]
        for file in RealLogsTests.expected where file.ok {
            let path = Fixtures.realLogs.appendingPathComponent(file.path).path
            streams.append((file.path, { try GzipReader(path: path) }))
        }
        for (name, source) in streams {
            let fresh = RecordReader(source: try source(), path: name)
            let reused = RecordReader(source: try source(), path: name)
            var framed = FramedRecord()
            var count = 0
            while let expected = try fresh.next() {
                #expect(try reused.next(into: &framed), "\(name)")
                #expect(framed.record == expected.record && framed.key == expected.key && framed.offset == expected.offset
                        && framed.length == expected.length && framed.index == expected.index && framed.embedded == expected.embedded,
                        "\(name) record \(count)")
                count += 1
            }
            #expect(try !reused.next(into: &framed), "\(name)")
            if name == "mixed forms" { #expect(count == 2 * Self.forms.count + 1) }
        }
    }

    @Test func booleansAreReadAsLiteralsOrAsStringsInAnyCase() throws {
        let cases: [(String, Bool?)] = [
            ("true", true), ("false", false), (#""TRUE""#, true), (#""False""#, false), (#""tRuE""#, true),
            (#""tr\u0075e""#, true), (#""yes""#, nil), ("1", nil), ("null", nil), (#""""#, nil), (#""truex""#, nil),
            ("{}", nil), (#""TRU\u0045""#, true),
        ]
        for (value, expected) in cases {
            let text = #"{"eventVersion":"1.08","eventID":"b","readOnly":\#(value),"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":\#(value)}}}}"#
            let record = try readRecords(Array(text.utf8)).records[0].record
            #expect(record.readOnly == expected, "\(value)")
            #expect(record.userIdentity.mfaAuthenticated == expected, "\(value)")
        }
    }

    @Test(arguments: 0..<forms.count)
    func everyFormYieldsItsRecords(_ index: Int) throws {
        let (name, text) = Self.forms[index]
        let result = try readRecords(Array(text.utf8))
        #expect(result.records.map(\.record.eventID) == ["e1", "e2"], "\(name)")
        #expect(result.records[0].record.requestResource == "b/ké")
        #expect(result.records[1].record.userAgent == "café ☕")
    }

    @Test(arguments: 0..<forms.count)
    func theSameInputReadsTheSameAtEveryChunkSize(_ index: Int) throws {
        let bytes = Array(Self.forms[index].1.utf8)
        let expected = try readRecords(bytes).records
        for chunk in 1...bytes.count {
            // A small framing buffer too, so that records straddle refills and the buffer grows.
            let got = try readRecords(bytes, chunkSize: chunk, readerChunk: 64).records
            #expect(got.map(\.record) == expected.map(\.record), "chunk \(chunk)")
            #expect(got.map(\.offset) == expected.map(\.offset), "chunk \(chunk)")
        }
    }

    @Test func offsetsPointAtEachRecordsBytes() throws {
        let text = #"{"Records":[\#(Self.record1),  \#(Self.record2)]}"#
        let bytes = Array(text.utf8)
        for r in try readRecords(bytes).records {
            let slice = String(decoding: bytes[r.offset..<(r.offset + r.length)], as: UTF8.self)
            #expect(slice == (r.index == 0 ? Self.record1 : Self.record2))
        }
    }

    @Test func emptyListsAreValidFilesWithNoRecords() throws {
        #expect(try readRecords(Array(#"{"Records":[]}"#.utf8)).records.isEmpty)
        #expect(try readRecords(Array("[]".utf8)).records.isEmpty)
        #expect(try readRecords(Array(" [ ] ".utf8)).records.isEmpty)
    }

    @Test func digestFilesAreCountedNotRead() throws {
        let digest = #"{"awsAccountId":"1","digestStartTime":"2026-11-01T00:00:00Z","logFiles":[{"s3Object":"x"}]}"#
        let result = try readRecords(Array(digest.utf8))
        #expect(result.records.isEmpty)
        #expect(result.digests == 1)
    }

    @Test func insightRecordsAreRecords() throws {
        let insight = #"{"eventVersion":"1.07","eventTime":"2026-11-01T00:00:00Z","eventType":"AwsCloudTrailInsight","eventID":"i1","insightDetails":{"state":"Start"}}"#
        let result = try readRecords(Array(insight.utf8))
        #expect(result.records.count == 1)
        #expect(result.records[0].record.eventType == "AwsCloudTrailInsight")
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(Self.record1.utf8)
        #expect(try readRecords(bytes).records.count == 1)
    }

    @Test func recordsWithoutEventIDAreKeyedByAHashOfTheirBytes() throws {
        let a = try readRecords(Array(#"{"eventName":"A"}"#.utf8)).records[0].key
        let b = try readRecords(Array(#"{"eventName":"B"}"#.utf8)).records[0].key
        #expect(a.hasPrefix("hash:") && b.hasPrefix("hash:") && a != b)
    }

    func expectError(_ text: String, _ code: InputError.Code? = nil, offset: Int? = nil, record: Int? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try readRecords(Array(text.utf8))
            Issue.record("no error for \(text.prefix(40))", sourceLocation: sourceLocation)
        } catch let error as InputError {
            if let code { #expect(error.code == code, sourceLocation: sourceLocation) }
            if let offset { #expect(error.location?.offset == offset, sourceLocation: sourceLocation) }
            if let record { #expect(error.location?.recordIndex == record, sourceLocation: sourceLocation) }
            #expect(error.location?.space == .decompressed, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func brokenInputIsAnErrorWithOffsetAndRecordIndex() {
        expectError("", .notCloudTrail)
        expectError("   \n", .notCloudTrail)
        expectError(#"{"Records":[\#(Self.record1),"#, .invalidJSON, record: 1)
        expectError(#"{"Records":[\#(Self.record1)"#, .invalidJSON, record: 1)
        expectError(#"{"Records":[\#(Self.record1),{"eventName":"x",}]}"#, .invalidJSON, record: 1)
        expectError(#"{"Records":[\#(Self.record1),{"eventName":"x"]}"#, .invalidJSON, record: 1)
        expectError(#"{"Records":[1]}"#, .notCloudTrail, offset: 12, record: 0)
        expectError("42", .notCloudTrail, offset: 0)
        expectError("not json", .notCloudTrail, offset: 0)
        expectError(#"{"hello":"world"}"#, .notCloudTrail, offset: 0)
        expectError(#"["a","b"]"#, .notCloudTrail)
        expectError(#"{"Events":[{"CloudTrailEvent":"{\"eventName\":"}]}"#, .invalidJSON)
        expectError("\u{1f}\u{8b}garbage", .notCloudTrail)
    }

    @Test func aRecordLargerThanTheMaximumIsAnErrorNotAnAllocation() {
        let huge = #"{"Records":[{"eventName":""# + String(repeating: "x", count: 300_000) + #""}]}"#
        #expect(throws: InputError.self) {
            _ = try readRecords(Array(huge.utf8), chunkSize: 65536, maxRecordSize: 100_000, readerChunk: 4096)
        }
    }

    @Test func nestingTooDeepIsAnError() {
        let deep = #"{"Records":[{"a":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}]}"
        do {
            _ = try readRecords(Array(deep.utf8))
            Issue.record("no error")
        } catch let error as InputError {
            #expect(error.code == .tooDeep)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aHugeRecordsArrayStreamsWithABoundedBuffer() throws {
        // 20,000 records through a 4 KiB framing buffer that may grow only to the largest record.
        var text = #"{"Records":["#
        for i in 0..<20_000 { text += (i > 0 ? "," : "") + #"{"eventID":"id\#(i)","eventName":"X"}"# }
        text += "]}"
        let reader = RecordReader(source: MemorySource(Array(text.utf8), chunkSize: 1000), path: "big",
                                  maxRecordSize: 8192, chunkSize: 4096)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 20_000)
    }
}
