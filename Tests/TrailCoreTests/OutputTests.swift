// Escaping hostile strings for terminals, spreadsheets and JSON, and the four writers.

import Foundation
import Testing
@testable import TrailCore

@Suite struct TerminalTextTests {
    @Test func controlCharactersAndEscapeSequencesAreShownNotEmitted() {
        #expect(TerminalText.escape("a\u{1B}[31mred\u{1B}[0m") == "a\\e[31mred\\e[0m")
        #expect(TerminalText.escape("bell\u{07} nl\n cr\r tab\t del\u{7F}") == "bell\\u{7} nl\\n cr\\r tab\\t del\\u{7F}")
        #expect(TerminalText.escape("csi\u{9B}31m") == "csi\\u{9B}31m")
        #expect(TerminalText.escape("evil\u{202E}txt.exe") == "evil\\u{202E}txt.exe")
        #expect(TerminalText.escape("plain café ☕") == "plain café ☕")
    }

    @Test func widthAndTruncationCountColumns() {
        #expect(TerminalText.width("abc") == 3)
        #expect(TerminalText.width("日本") == 4)
        #expect(TerminalText.truncate("abcdefgh", to: 5) == "abcd…")
        #expect(TerminalText.truncate("abc", to: 5) == "abc")
    }
}

@Suite struct CSVTextTests {
    @Test func fieldsAreQuotedPerRFC4180() {
        #expect(CSVText.field("plain") == "plain")
        #expect(CSVText.field("a,b") == "\"a,b\"")
        #expect(CSVText.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVText.field("two\nlines") == "\"two\nlines\"")
    }

    @Test func formulasAreNeutralised() {
        for start in ["=", "+", "-", "@", "\t", "\r"] {
            #expect(CSVText.field(start + "cmd").hasPrefix("'") || CSVText.field(start + "cmd").hasPrefix("\"'"))
        }
        #expect(CSVText.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
    }
}

@Suite struct JSONTextTests {
    @Test func stringsAreEscapedSoThatTheyParseBack() throws {
        let nasty = "q\"b\\s/\u{1B}[2J\u{0}\u{9B}\u{2028}é😀"
        let quoted = JSONText.quote(nasty)
        #expect(!quoted.contains("\u{1B}") && !quoted.contains("\u{9B}") && !quoted.contains("\u{2028}"))
        let back = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as! [String]
        #expect(back == [nasty])
        #expect(JSONText.parseArray(JSONText.array(["a", nasty])) == ["a", nasty])
    }
}

@Suite struct WritersTests {
    func render(_ format: OutputFormat, width: Int? = nil) throws -> String {
        let output = TextOutput(capture: true)
        let sink = makeSink(format, output: output, terminal: false, width: width, color: false)
        try sink.begin(columns: ["name", "count", "tags"])
        try sink.row([.text("a\u{1B}b"), .int(3), .list(["x", "y"])])
        try sink.row([.null, .int(0), .list([])])
        try sink.finish()
        output.flush()
        return output.capturedText
    }

    @Test func ndjsonIsOneObjectPerLineWithNulls() throws {
        #expect(try render(.ndjson) == "{\"name\":\"a\\u001bb\",\"count\":3,\"tags\":[\"x\",\"y\"]}\n{\"name\":null,\"count\":0,\"tags\":[]}\n")
    }

    @Test func jsonIsOneArray() throws {
        let rows = try JSONSerialization.jsonObject(with: Data(try render(.json).utf8)) as! [[String: Any]]
        #expect(rows.count == 2)
        #expect(rows[1]["name"] is NSNull)
    }

    @Test func csvHasTheHeaderEmptyCellsForNullAndListsJoined() throws {
        #expect(try render(.csv) == "name,count,tags\r\na\\eb,3,x;y\r\n,0,\r\n")
    }

    @Test func tablesAlignAndFitTheWidth() throws {
        let text = try render(.table)
        #expect(text.split(separator: "\n")[0] == "NAME  COUNT  TAGS")
        #expect(text.split(separator: "\n")[1] == "a\\eb  3      x, y")
        #expect(!text.contains("\u{1B}"))
        let output = TextOutput(capture: true)
        let sink = makeSink(.table, output: output, terminal: true, width: 30, color: false)
        try sink.begin(columns: ["identity", "calls"])
        try sink.row([.text(String(repeating: "x", count: 60)), .int(1)])
        try sink.finish()
        for line in output.capturedText.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 30) }
        #expect(output.capturedText.contains("…"))
    }
}

@Suite struct TimeArgumentTests {
    @Test func isoDatesAndRelativeTimesParse() {
        let now: Int64 = 1_800_000_000
        #expect(TimeArgument.parse("2026-11-01", now: now) == EventTime.parseISO("2026-11-01T00:00:00Z"))
        #expect(TimeArgument.parse("2026-11-01T12:00:00", now: now) == EventTime.parseISO("2026-11-01T12:00:00Z"))
        #expect(TimeArgument.parse("2026-11-01T12:00:00+02:00", now: now) == EventTime.parseISO("2026-11-01T10:00:00Z"))
        #expect(TimeArgument.parse("90m", now: now) == now - 5400)
        #expect(TimeArgument.parse("36h", now: now) == now - 129_600)
        #expect(TimeArgument.parse("7d", now: now) == now - 604_800)
        for bad in ["", "yesterday", "7x", "2026-02-30x", "-5d", "99999999999999999999d"] {
            #expect(TimeArgument.parse(bad, now: now) == nil, "\(bad)")
        }
    }

    @Test func eventTimesInEveryFormSeen() {
        let t = EventTime.parseISO("2022-12-11T19:42:55Z")
        #expect(t == 1_670_787_775)
        #expect(EventTime.parseISO("2022-12-11 19:42:55") == t)
        #expect(EventTime.parseISO("2022-12-11 19:42:55.00000") == t)
        #expect(EventTime.parseISO("20221211T194255Z") == t)
        #expect(EventTime.parseISO("2022-12-11T20:42:55+01:00") == t)
        #expect(EventTime.format(t!) == "2022-12-11T19:42:55Z")
        #expect(EventTime.parseISO("not a time") == nil)
    }
}

@Suite struct ARNTests {
    @Test func partsOfARNsAreFound() {
        #expect(ARN.account("arn:aws:iam::123456789012:role/path/Deploy") == "123456789012")
        #expect(ARN.account("arn:aws:s3:::bucket") == nil)
        #expect(ARN.account("not an arn") == nil)
        #expect(ARN.roleName("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123") == "AWSReservedSSO_Admin_0123")
        #expect(ARN.roleName("arn:aws:sts::123456789012:assumed-role/Deploy/session/with/slashes") == "Deploy")
        #expect(ARN.roleName("arn:aws:iam::123456789012:user/alice") == nil)
        #expect(ARN.sessionName("arn:aws:sts::123456789012:assumed-role/Deploy/alice@example.com") == "alice@example.com")
        #expect(ARN.sessionName("arn:aws:sts::123456789012:assumed-role/Deploy") == nil)
        #expect(ARN.permissionSet(roleName: "AWSReservedSSO_AdministratorAccess_0123abcd") == "AdministratorAccess")
        #expect(ARN.permissionSet(roleName: "AWSReservedSSO_Read_Only_0123abcd") == "Read_Only")
        #expect(ARN.permissionSet(roleName: "Deploy") == nil)
        #expect(ARN.assumedRole(roleArn: "arn:aws-us-gov:iam::123456789012:role/x/Deploy", sessionName: "s")
                == "arn:aws-us-gov:sts::123456789012:assumed-role/Deploy/s")
        #expect(ARN.isGitHubProvider("arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"))
        #expect(!ARN.isGitHubProvider("arn:aws:iam::1:oidc-provider/gitlab.com"))
    }
}
