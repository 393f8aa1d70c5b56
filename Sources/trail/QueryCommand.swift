// `trail query NAME`: a saved query, built in or from the user's folder, with bound parameters.

import ArgumentParser
import Foundation
import TrailCore

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a saved query; --list lists them.",
        discussion: """
            Saved queries are .sql files with SQLite named parameters (:role), built into trail and
            read from --queries DIR or $TRAIL_QUERIES too. Parameters are bound, never pasted into
            the SQL. --since, --until and --account fill :since, :until and :account.

            Examples:
              trail query --list
              trail query github-refs --param role=GitHubOIDC
              trail query console-without-mfa --since 30d --format csv
            """)

    @Argument(help: "The query's name.")
    var name: String?

    @Flag(help: "List the saved queries.")
    var list = false

    @Option(help: ArgumentHelp("A parameter, NAME=VALUE (repeatable).", valueName: "name=value"))
    var param: [String] = []

    @Option(help: ArgumentHelp("A folder of your own .sql queries (default: $TRAIL_QUERIES).", valueName: "dir"))
    var queries: String?

    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if !list && name == nil { throw ValidationError("give a query name, or --list") }
        for p in param where !p.contains("=") || p.hasPrefix("=") {
            throw ValidationError("--param '\(p)': expected NAME=VALUE")
        }
    }

    func run() throws {
        let folder = queries ?? ProcessInfo.processInfo.environment["TRAIL_QUERIES"]
        let all: [String: SavedQuery]
        do {
            all = try SavedQueries.all(userFolder: folder)
        } catch {
            throw Diagnostics.fatal("\(error)")
        }
        if list {
            let output = TextOutput()
            signal(SIGPIPE, SIG_IGN)
            let terminal = isatty(1) != 0
            let sink = makeSink(format.resolved, output: output, terminal: terminal,
                                width: terminal ? Runner.terminalWidth() : nil, color: false)
            try sink.begin(columns: ["name", "description", "params", "origin"])
            for query in all.values.sorted(by: { $0.name < $1.name }) {
                try sink.row([.text(query.name), .text(query.description), .text(query.parameters), .text(query.origin)])
            }
            try sink.finish()
            return
        }
        guard let name, let query = all[name] else {
            throw ValidationError("no saved query '\(name ?? "")': see trail query --list")
        }
        var parameters = filter.filters().parameters
        for p in param {
            let parts = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).trimmingCharacters(in: CharacterSet(charactersIn: ":"))
            let value = String(parts[1])
            switch key {
            case "since", "until":
                guard let t = TimeArgument.parse(value) else {
                    throw ValidationError("--param \(key): expected an ISO 8601 time, a date or a time ago (7d)")
                }
                parameters[key] = .int(t)
            case "who":
                // The same pair as --who gives: the identity, and the repository it may name.
                let who = Filters(who: value).parameters
                parameters["who"] = who["who"]
                parameters["who_repo"] = who["who_repo"]
            default:
                parameters[key] = .text(value)
            }
        }
        let store = try self.store.open()
        try Runner.run(query: query, parameters: parameters, limit: filter.limit, format: format.resolved, store: store)
    }
}
