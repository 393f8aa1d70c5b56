// What the query subcommands share: import the paths given, run a saved query, print it.

import ArgumentParser
import Foundation
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
        let sink = makeSink(format, output: output, terminal: terminal, width: terminal ? terminalWidth() : nil,
                            color: terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        do {
            try QueryRunner(store: store).run(sql: query.sql, parameters: parameters, limit: limit, into: sink)
        } catch let error as QueryError {
            throw Diagnostics.fatal("\(query.name): \(error.message)")
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
