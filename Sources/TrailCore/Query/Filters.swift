// The filters every query command takes, turned into the named parameters of the saved queries.

import Foundation

public struct Filters: Sendable, Equatable {
    public var since: Int64?
    public var until: Int64?
    public var account: String?
    public var role: String?
    public var who: String?
    public var session: String?

    public init(since: Int64? = nil, until: Int64? = nil, account: String? = nil, role: String? = nil,
                who: String? = nil, session: String? = nil) {
        self.since = since
        self.until = until
        self.account = account
        self.role = role
        self.who = who
        self.session = session
    }

    public var parameters: [String: Parameter] {
        var p: [String: Parameter] = [:]
        p["since"] = since.map(Parameter.int) ?? .null
        p["until"] = until.map(Parameter.int) ?? .null
        p["account"] = account.map(Parameter.text) ?? .null
        p["role"] = role.map(Parameter.text) ?? .null
        p["who"] = who.map(Parameter.text) ?? .null
        p["session"] = session.map(Parameter.text) ?? .null
        // A repository (`acme/api`, or `repo:acme/api`) matches every subject of that repository.
        if let who {
            var repository = who.hasPrefix("repo:") ? String(who.dropFirst(5)) : who
            if repository.hasSuffix(":") { repository.removeLast() }
            p["who_repo"] = GitHubSubject.looksLikeRepository(repository) ? .text(repository) : .null
        } else {
            p["who_repo"] = .null
        }
        return p
    }
}

public enum TimeArgument {
    /// `--since`/`--until`: ISO 8601 with or without an offset (UTC without), a date (its midnight UTC),
    /// or a time ago: `90m`, `36h`, `7d` (also `s` and `w`).
    public static func parse(_ text: String, now: Int64 = Int64(Date().timeIntervalSince1970)) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let unit = trimmed.last, "smhdw".contains(unit), let amount = Int64(trimmed.dropLast()), amount >= 0 {
            let scale: Int64 = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800][String(unit)]!
            let (product, overflow) = amount.multipliedReportingOverflow(by: scale)
            return overflow ? nil : now - product
        }
        return EventTime.parseISO(trimmed)
    }
}
