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
    @Test func plainAndEscapedStringsQuoteAlikeWhetherAloneOrInAnArray() {
        let values = ["10.0.0.1", "a\"b", "back\\slash", "tab\t", "del\u{7F}", "é", "\u{202E}x", ""]
        #expect(JSONText.array(values) == "[" + values.map { JSONText.quote($0) }.joined(separator: ",") + "]")
        #expect(JSONText.quote("10.0.0.1") == "\"10.0.0.1\"")
        #expect(JSONText.quote("del\u{7F}") == "\"del\\u007f\"")
        #expect(JSONText.quote("\u{202E}x", forTerminal: true) == "\"\\u202ex\"")
        #expect(JSONText.parseArray(JSONText.array(values)) == values)
    }

    @Test func stringsAreEscapedSoThatTheyParseBack() throws {
        let nasty = "q\"b\\s/\u{1B}[2J\u{0}\u{9B}\u{2028}é😀"
        let quoted = JSONText.quote(nasty)
        #expect(!quoted.contains("\u{1B}") && !quoted.contains("\u{9B}") && !quoted.contains("\u{2028}"))
        let back = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as! [String]
        #expect(back == [nasty])
        #expect(JSONText.parseArray(JSONText.array(["a", nasty])) == ["a", nasty])
        let bidi = "evil\u{202E}txt"
        #expect(JSONText.quote(bidi) == "\"evil\u{202E}txt\"")
        #expect(JSONText.quote(bidi, forTerminal: true) == "\"evil\\u202etxt\"")
        let back2 = try JSONSerialization.jsonObject(with: Data("[\(JSONText.quote(bidi, forTerminal: true))]".utf8)) as! [String]
        #expect(back2 == [bidi])
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

    @Test func longTablesStreamWithTheWidthsOfTheirFirstRows() throws {
        let output = TextOutput(capture: true)
        let sink = makeSink(.table, output: output, terminal: false, width: nil, color: false)
        try sink.begin(columns: ["n", "name"])
        for i in 0..<(TableSink.sizingRows + 5) {
            try sink.row([.int(Int64(i)), .text(i == TableSink.sizingRows + 2 ? "a much longer name than before" : "x")])
        }
        try sink.finish()
        let lines = output.capturedText.split(separator: "\n")
        #expect(lines.count == TableSink.sizingRows + 6)
        #expect(lines[0] == "N    NAME")
        #expect(lines[TableSink.sizingRows + 3] == "1002  a much longer name than before")
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
        // Lists and free text give way before what the row is about, and times keep their date.
        let wide = TextOutput(capture: true)
        let table = makeSink(.table, output: wide, terminal: true, width: 80, color: false)
        try table.begin(columns: ["identity", "first_seen", "source_ips"])
        try table.row([.text("repo:acme/api:ref:refs/heads/main"), .text("2026-11-02T13:33:20Z"),
                       .list((1...20).map { "10.0.0.\($0)" })])
        try table.finish()
        let line = String(wide.capturedText.split(separator: "\n")[1])
        #expect(line.hasPrefix("repo:acme/api:ref:refs/heads/main  2026-11-02T13:33:20Z  10.0.0.1"))
        #expect(TerminalText.width(line) <= 80)
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
        // Found by the decoder fuzzer: a year that overflows the day arithmetic.
        #expect(EventTime.parseExpiration("Jan 3, 2022666666666666 9:03:34 PM") == nil)
        #expect(EventTime.parseExpiration("Jan 3, 99999999999999999999 9:03:34 PM") == nil)
    }

    @Test func expirationsReadFromBytesAgreeWithTheWordByWordReading() {
        let samples = [
            "Nov 29, 2018 4:31:59 AM", "Nov 30, 2024, 8:43:17 PM", "Jan 1, 2025 12:00:00 AM", "Jan 1, 2025 12:00:00 PM",
            "dec 31, 1999 11:59:59 pm", "November 3, 2023 1:02:03 AM", "Feb 29, 2024 3:04:05 Am", "Jun 7,  2021 ,10:00:00  PM",
            "Jan 1, 2025, 12:00:00\u{202F}PM", "Jan 1, 2025\u{00A0}1:00:00 AM", "Nov. 29, 2018 4:31:59 AM", "Nov 029, 2018 4:31:59 AM",
            "Nov 29, 2018 13:31:59 AM", "Nov 29, 2018 0:31:59 AM", "Nov 29, 2018 4:31:59 XM", "Nov 29, 2018 4:31:59",
            "Nov 29, 2018 4:31:59 AM extra", "Nov 29, +2018 4:31:59 AM", "Nov 29, 2018 4:3:59 AM", "Nov 29, 2018 4:31:599 AM",
            "Nov 32, 2018 4:31:59 AM", "Feb 30, 2018 4:31:59 AM", "Xyz 1, 2018 4:31:59 AM", "2018-11-29T04:31:59Z", "",
        ]
        for text in samples {
            var bytes = text
            let fast = bytes.withUTF8 { EventTime.parseClockTime($0) }
            let words = EventTime.parseExpirationWords(text)
            if let fast { #expect(fast == words, "\(text)") }
            #expect(EventTime.parseExpiration(text) == words, "\(text)")
        }
        // The common shape takes the byte path.
        var usual = "Nov 29, 2018 4:31:59 AM"
        #expect(usual.withUTF8 { EventTime.parseClockTime($0) } == EventTime.parseISO("2018-11-29T04:31:59Z"))
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

    @Test func substringsAreFoundAtTheirFirstPlaceWhateverPrecedesThem() {
        func found(_ text: String) -> String? { ARN.firstRange(text, ":repo:").map { String(text[$0]) + "@" + String(text[..<$0.lowerBound]) } }
        #expect(found(":repo:x") == ":repo:@")
        #expect(found("a:repo:b:repo:") == ":repo:@a")
        #expect(found("é☕:rep:repo:") == ":repo:@é☕:rep")
        #expect(found("::repo") == nil)
        #expect(found(":repo") == nil)
        #expect(found("") == nil)
        #expect(found("x:repo:") == ":repo:@x")
        #expect(ARN.isGitHubProvider("token.actions.githubusercontent.com"))
        #expect(!ARN.isGitHubProvider("token.actions.githubusercontent.co"))
    }

    @Test func edgesOfARNsAreKeptExactly() {
        #expect(ARN.roleName("arn:aws:iam::123456789012:role/") == nil)
        #expect(ARN.roleName("arn:aws:sts::123456789012:assumed-role/") == nil)
        #expect(ARN.roleName("arn:aws:sts::123456789012:assumed-role/Deploy") == "Deploy")
        #expect(ARN.roleName("arn:aws:iam::123456789012") == nil)
        #expect(ARN.sessionName("arn:aws:sts::123456789012:assumed-role/Deploy/") == "")
        #expect(ARN.sessionName("arn:aws:sts::123456789012:assumed-role/Déploy/élise:x/y") == "élise:x/y")
        #expect(ARN.account("arn:aws:iam:::role/x") == nil)
        #expect(ARN.account("arn:") == nil)
        #expect(ARN.permissionSet(roleName: "AWSReservedSSO_") == "")
        #expect(ARN.permissionSet(roleName: "AWSReservedSSO__x") == "")
        #expect(ARN.permissionSet(roleName: "AWSReservedSSO_NoHex") == "NoHex")
        #expect(ARN.resource("arn:aws:s3:::bucket/key") == "bucket/key")
        #expect(ARN.resource("arn:aws:s3:::") == "")
        #expect(ARN.resource("urn:aws:s3:::bucket") == nil)
        // Bridged or small strings take the copying path.
        let small = "arn:a:b:c:d:e"
        #expect(ARN.resource(small) == "e")
    }
}

@Suite struct GitHubSubjectTests {
    @Test func theUsualSubjectsParse() throws {
        let main = try #require(GitHubSubject("repo:acme/api:ref:refs/heads/main"))
        #expect(main.repository == "acme/api" && main.branch == "main" && main.tag == nil)
        #expect(main.context == "ref:refs/heads/main")
        let tag = try #require(GitHubSubject("repo:acme/api:ref:refs/tags/v1.4.0"))
        #expect(tag.tag == "v1.4.0")
        let env = try #require(GitHubSubject("repo:acme/web:environment:production"))
        #expect(env.environment == "production" && env.context == "environment:production")
        let pr = try #require(GitHubSubject("repo:acme/api:pull_request"))
        #expect(pr.pullRequest && pr.context == "pull_request")
    }

    @Test func customClaimTemplatesParse() throws {
        let custom = try #require(GitHubSubject(
            "repo:acme/api:environment:prod:job_workflow_ref:acme/shared/.github/workflows/deploy.yml@refs/heads/main"))
        #expect(custom.repository == "acme/api")
        #expect(custom.environment == "prod")
        #expect(custom.claims.last?.key == "job_workflow_ref")
        let owner = try #require(GitHubSubject("repository_owner:acme:repository:api:ref:refs/heads/main"))
        #expect(owner.repository == "acme/api")
        let ids = try #require(GitHubSubject("repository_owner_id:123:repository_id:456:ref:refs/heads/main"))
        #expect(ids.repository == nil && ids.ref == "refs/heads/main")
        #expect(GitHubSubject("not-a-subject") == nil)
        #expect(GitHubSubject.repository(of: "repo:acme/api:pull_request") == "acme/api")
        #expect(GitHubSubject.repository(of: "repository_owner:acme:repository:api:ref:x") == "acme/api")
        #expect(GitHubSubject.looksLikeRepository("acme/api") && GitHubSubject.looksLikeRepository("a-b.c/d_e"))
        #expect(!GitHubSubject.looksLikeRepository("alice@example.com") && !GitHubSubject.looksLikeRepository("a/b/c"))
    }
}

@Suite struct ResourceTests {
    func resource(_ source: String, _ request: String) throws -> String? {
        let text = #"{"eventVersion":"1.08","eventSource":"\#(source)","requestParameters":\#(request)}"#
        return try readRecords(Array(text.utf8)).records.first?.record.resource
    }

    @Test func theCommonServicesNameWhatTheyTouched() throws {
        #expect(try resource("s3.amazonaws.com", #"{"bucketName":"b","key":"k/1"}"#) == "b/k/1")
        #expect(try resource("s3.amazonaws.com", #"{"bucketName":"b"}"#) == "b")
        #expect(try resource("dynamodb.amazonaws.com", #"{"tableName":"orders"}"#) == "orders")
        #expect(try resource("lambda.amazonaws.com", #"{"functionName":"fn"}"#) == "fn")
        #expect(try resource("kms.amazonaws.com", #"{"keyId":"alias/x"}"#) == "alias/x")
        #expect(try resource("secretsmanager.amazonaws.com", #"{"secretId":"prod/db"}"#) == "prod/db")
        #expect(try resource("ssm.amazonaws.com", #"{"name":"/app/p","withDecryption":true}"#) == "/app/p")
        #expect(try resource("sqs.amazonaws.com", #"{"queueUrl":"https://q"}"#) == "https://q")
        #expect(try resource("sns.amazonaws.com", #"{"topicArn":"arn:aws:sns:us-east-1:1:t"}"#) == "arn:aws:sns:us-east-1:1:t")
        #expect(try resource("logs.amazonaws.com", #"{"logGroupName":"/aws/lambda/fn"}"#) == "/aws/lambda/fn")
        #expect(try resource("iam.amazonaws.com", #"{"roleName":"r"}"#) == "r")
        #expect(try resource("iam.amazonaws.com", #"{"userName":"u"}"#) == "u")
        #expect(try resource("iam.amazonaws.com", #"{"policyArn":"arn:aws:iam::1:policy/p"}"#) == "arn:aws:iam::1:policy/p")
        #expect(try resource("ec2.amazonaws.com", #"{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}"#) == "i-1")
        #expect(try resource("ecr.amazonaws.com", #"{"repositoryName":"svc"}"#) == "svc")
        #expect(try resource("sts.amazonaws.com", #"{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"s"}"#) == "arn:aws:iam::1:role/R")
        #expect(try resource("ec2.amazonaws.com", "null") == nil)
    }

    @Test func anotherServiceNamesTheFirstIdentifierItGaveWhateverItsForm() throws {
        #expect(try resource("example.amazonaws.com", #"{"tableName":"t","bucketName":"b"}"#) == "b")
        #expect(try resource("example.amazonaws.com", #"{"bucketName":"b","roleArn":"arn:aws:iam::1:role/R"}"#) == "arn:aws:iam::1:role/R")
        #expect(try resource("ec2.amazonaws.com", #"{"instancesSet":{"items":[{"instanceId":12345}]}}"#) == "12345")
        #expect(try resource("s3.amazonaws.com", #"{"bucketName":"b","key":"a\/\u00e9"}"#) == "b/a/é")
        #expect(try resource("dynamodb.amazonaws.com", #"{"tableName":true}"#) == "true")
        #expect(try resource("example.amazonaws.com", #"{"key":"k","durationSeconds":3600}"#) == nil)
    }

    @Test func theResourcesListWinsOverTheRequest() throws {
        let text = #"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","requestParameters":{"bucketName":"b"},"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]}"#
        #expect(try readRecords(Array(text.utf8)).records.first?.record.resource == "arn:aws:s3:::b")
    }
}
