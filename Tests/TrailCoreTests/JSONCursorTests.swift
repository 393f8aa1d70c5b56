// The scanner against JSONTestSuite's parsing cases and the details the record decoder depends on.

import Foundation
import Testing
@testable import TrailCore

@Suite struct JSONCursorTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.jsonTestSuite.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    func validate(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Fixtures.jsonTestSuite.appendingPathComponent(name)))
        try bytes.withUnsafeBytes { try JSONCursor.validateDocument($0) }
    }

    @Test func keysReadAlikeWhateverTheirLengthSpacingAndEscapes() throws {
        // The compact `,"key":` fast path and the general one must agree, and hand over at any byte.
        let keys: [(json: String, value: String)] = [
            ("a", "a"), ("eventTime", "eventTime"), ("sourceIPAddress", "sourceIPAddress"), ("responseElements", "responseElements"),
            ("subjectFromWebIdentityToken", "subjectFromWebIdentityToken"), (String(repeating: "k", count: 40), String(repeating: "k", count: 40)),
            ("k\\u00e9y", "kéy"), ("ké", "ké"), ("", ""), ("a\\\"b", "a\"b"),
        ]
        for (json, value) in keys {
            for text in [#"{"x":1,"\#(json)":2}"#, #"{"x":1 , "\#(json)" : 2}"#, #"{"\#(json)":2,"x":1}"#, "{\n\"x\":1,\n\"\(json)\":2}"] {
                let bytes = Array(text.utf8)
                try bytes.withUnsafeBufferPointer { buffer in
                    var c = JSONCursor(base: buffer.baseAddress!, count: buffer.count, isFinal: true)
                    try c.beginObject()
                    var first = true
                    var read: [String] = []
                    while let key = try c.nextKey(first: &first) {
                        read.append(c.string(key))
                        try c.skipValue()
                    }
                    #expect(Set(read) == ["x", value], "\(text)")
                    #expect(c.pos == bytes.count && c.depth == 0, "\(text)")
                }
            }
        }
    }

    @Test func aStringEndsAtItsQuoteWhereverTheSpecialByteFallsInAWord() throws {
        // Before, in and after the 16- and 8-byte steps of the scan; DEL (0x7F) is plain ASCII.
        for before in 0..<40 {
            for (special, escapes, valid) in [("\\n", true, true), ("é", false, true), ("\u{01}", false, false), ("", false, true),
                                              ("\u{7F}", false, true), ("\\\"", true, true), ("\u{1F}", false, false)] {
                let body = String(repeating: "a", count: before) + special + String(repeating: "b", count: 11)
                let bytes = Array(("\"" + body + "\" , 1").utf8)
                try bytes.withUnsafeBufferPointer { buffer in
                    var c = JSONCursor(base: buffer.baseAddress!, count: buffer.count, isFinal: true)
                    if valid {
                        let slice = try c.readString()
                        #expect(slice.count == body.utf8.count, "\(before) \(special)")
                        #expect(slice.hasEscapes == escapes)
                        #expect(c.pos == body.utf8.count + 2)
                    } else {
                        #expect(throws: JSONScanError.self) { try c.readString() }
                    }
                }
            }
        }
    }

    @Test func theSuiteIsAllThere() {
        #expect(Self.cases.count == 318)
    }

    @Test(arguments: cases.filter { $0.hasPrefix("y_") })
    func everyValidDocumentIsAccepted(_ name: String) throws {
        try validate(name)
    }

    @Test(arguments: cases.filter { $0.hasPrefix("n_") })
    func everyInvalidDocumentIsRejectedWithAnError(_ name: String) {
        #expect(throws: JSONScanError.self) { try validate(name) }
    }

    @Test(arguments: cases.filter { $0.hasPrefix("i_") })
    func implementationDefinedDocumentsNeitherCrashNorHang(_ name: String) {
        _ = try? validate(name)
    }

    @Test func nestingBeyondTheLimitIsAnErrorNotAStackOverflow() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONScanError.self) { try deep.withUnsafeBytes { try JSONCursor.validateDocument($0) } }
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let text = #""a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x""#
        var bytes = Array(text.utf8)
        let value = try bytes.withUnsafeMutableBufferPointer { b -> String in
            var c = JSONCursor(base: UnsafePointer(b.baseAddress!), count: b.count, isFinal: true)
            return c.string(try c.readString())
        }
        #expect(value == "a\"b\\c/d\né😀\u{FFFD}x")
    }

    @Test func aValueCutByTheBufferAsksForMoreInsteadOfFailing() throws {
        for text in [#"{"a": "abc"#, #"{"a": 12"#, #"{"a": tr"#, #"{"a": "\u00"#, "{\"a\": \"\u{e9}"] {
            var bytes = Array(text.utf8)
            if text.hasSuffix("\u{e9}") { bytes.removeLast() }
            #expect(throws: JSONScanError.needMore) {
                try bytes.withUnsafeBufferPointer { b in
                    var c = JSONCursor(base: b.baseAddress!, count: b.count, isFinal: false)
                    try c.skipValue()
                }
            }
        }
    }
}
