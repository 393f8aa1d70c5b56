// Option groups shared by the subcommands, validated into plain values before anything runs.

import ArgumentParser
import Foundation
import TrailCore

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (default: $TRAIL_DB, else ./trail.db).", valueName: "file"))
    var db: String?

    func open() throws -> Store {
        let path = Store.resolvePath(option: db)
        do {
            return try Store(path: path)
        } catch {
            throw Diagnostics.fatal("cannot open the store \(path): \(error)")
        }
    }
}

struct FilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only from this time on: ISO 8601, a date, or a time ago (90m, 36h, 7d).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Only this AWS account.", valueName: "id"))
    var account: String?

    @Option(help: ArgumentHelp("At most this many rows.", valueName: "n"))
    var limit: Int?

    mutating func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, TimeArgument.parse(value) == nil {
                throw ValidationError("\(name) '\(value)': expected an ISO 8601 time (2026-11-01T12:00:00Z), a date (2026-11-01) or a time ago (90m, 36h, 7d)")
            }
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if let account, account.isEmpty { throw ValidationError("--account needs an account id") }
    }

    func filters() -> Filters {
        Filters(since: since.flatMap { TimeArgument.parse($0) }, until: until.flatMap { TimeArgument.parse($0) },
                account: account)
    }
}

extension OutputFormat: ExpressibleByArgument {}

struct FormatOptions: ParsableArguments {
    @Option(help: ArgumentHelp("table, csv, json or ndjson (default: table on a terminal, else ndjson).", valueName: "format"))
    var format: OutputFormat?

    var resolved: OutputFormat { format ?? (isatty(1) != 0 ? .table : .ndjson) }
}

struct ImportPaths: ParsableArguments {
    @Argument(help: ArgumentHelp("Files or folders to import first.", valueName: "path"))
    var paths: [String] = []
}
