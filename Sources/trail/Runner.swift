// What the query subcommands share: import the paths given, run a saved query, print it.

import ArgumentParser
import Foundation
import GRDB
import TrailCore

enum Runner {
    /// Imports `paths` into `store` (quietly unless on a terminal); returns false if some file failed.
    static func importPaths(_ paths: [String], into store: Store, quiet: Bool = false) throws -> (ImportSummary, Bool) {
        let progress = ProgressLine(enabled: !quiet && Diagnostics.stderrIsTerminal)
        let importer = Importer(store: store)
        let summary: ImportSummary
        do {
            summary = try importer.run(paths: paths, report: { error in
                progress.clear()
                Diagnostics.error(error.description)
            }, progress: progress.update)
        } catch {
            progress.clear()
            throw Diagnostics.fatal("import failed: \(error)")
        }
        progress.clear()
        return (summary, summary.failed == 0)
    }

    /// Runs a saved query and prints it; exits 1 afterwards if the import before it had failures.
    static func run(query: SavedQuery, parameters: [String: Parameter], limit: Int?, format: OutputFormat,
                    store: Store, importOK: Bool = true) throws {
        signal(SIGPIPE, SIG_IGN)
        let terminal = isatty(1) != 0
        let output = TextOutput()
        let sink = UserIDNote(makeSink(format, output: output, terminal: terminal, width: terminal ? terminalWidth() : nil,
                                       color: terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil))
        do {
            try QueryRunner(store: store).run(sql: query.sql, parameters: parameters, limit: limit, into: sink)
        } catch let error as QueryError {
            throw Diagnostics.fatal("\(query.name): \(error.message)")
        } catch let error as DatabaseError {
            // The message alone: GRDB's description would print the whole SQL text.
            throw Diagnostics.fatal("\(query.name): \(error.message ?? "SQLite error \(error.resultCode)")")
        } catch {
            throw Diagnostics.fatal("\(query.name): \(error)")
        }
        output.flush()
        if !importOK { throw ExitCode(1) }
    }

    /// The common body of who/what/sessions/timeline/keys.
    static func runBuiltin(_ name: String, filters: Filters, filterOptions: FilterOptions, format: FormatOptions,
                           storeOptions: StoreOptions, paths: [String]) throws {
        let store = try storeOptions.open()
        var ok = true
        if !paths.isEmpty { ok = try importPaths(paths, into: store).1 }
        try run(query: SavedQueries.builtin(name), parameters: filters.parameters, limit: filterOptions.limit,
                format: format.resolved, store: store, importOK: ok)
    }

    static func terminalWidth() -> Int? {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return nil
    }
}

/// Passes rows on, and notes on standard error the Identity Center user ids shown as identities: the
/// newer portal events name only the id, and nothing in CloudTrail joins it to a name (SPEC §3).
final class UserIDNote: RowSink {
    let next: RowSink
    var identity: Int?
    var kind: Int?
    var ids: [String] = []

    init(_ next: RowSink) { self.next = next }

    func begin(columns: [String]) throws {
        identity = columns.firstIndex(of: "identity") ?? columns.firstIndex(of: "user")
        kind = columns.firstIndex(of: "kind")
        try next.begin(columns: columns)
    }

    func row(_ cells: [Cell]) throws {
        if let identity, case .text(let value) = cells[identity], UserIDNote.looksLikeUserID(value),
           kind.map({ cells[$0] == .text("sso") }) ?? true, ids.count < 5, !ids.contains(value) {
            ids.append(value)
        }
        try next.row(cells)
    }

    func finish() throws {
        try next.finish()
        for id in ids {
            Diagnostics.line("trail: note: \(id) is an Identity Center user id: no imported record names that user")
        }
    }

    /// Identity store user ids are UUIDs, sometimes prefixed with the directory id (`d-1234567890.`).
    static func looksLikeUserID(_ text: String) -> Bool {
        let uuid = text.split(separator: ".").last ?? ""
        let groups = uuid.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && uuid.allSatisfy { $0.isHexDigit || $0 == "-" }
    }
}

/// The import progress line on a terminal: files, records, MB/s and time left.
final class ProgressLine {
    let enabled: Bool
    let start = Date()
    var last = Date.distantPast
    var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(filesDone: Int, filesTotal: Int, records: Int, bytesRead: Int64, bytesTotal: Int64) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.2 || filesDone == filesTotal else { return }
        last = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(bytesRead) / elapsed
        let left = rate > 0 ? Double(bytesTotal - bytesRead) / rate : 0
        let text = String(format: "importing: %d/%d files, %d records, %.1f MB/s, %.0fs left",
                          filesDone, filesTotal, records, rate / 1_000_000, left)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
