// `trail import PATH...`: read files and folders into the store, incrementally.

import ArgumentParser
import Foundation
import TrailCore

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import CloudTrail files and folders into the store.",
        discussion: """
            Reads .json, .jsonl, .ndjson and .gz files (gzip or plain, whatever the name says) in the
            folders given, and every file named. Files already imported (same path, size and
            modification time) are not read again; a record seen twice is stored once.

            Examples:
              trail import ./logs
              trail import --format json ./logs/AWSLogs/123456789012
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Summary as text (default) or json.", valueName: "format"))
    var format: SummaryFormat = .text

    @Flag(name: .shortAndLong, help: "No progress line.")
    var quiet = false

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String]

    enum SummaryFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or folder to import") }
    }

    func run() throws {
        let store = try self.store.open()
        let started = Date()
        let (summary, ok) = try Runner.importPaths(paths, into: store, quiet: quiet)
        let seconds = Date().timeIntervalSince(started)
        switch format {
        case .json:
            let text = """
                {"files":\(summary.files),"unchanged":\(summary.unchanged),"skipped":\(summary.skipped),\
                "digests":\(summary.digests),"failed":\(summary.failed),"records":\(summary.records),\
                "new_records":\(summary.newRecords)}
                """
            print(text)
        case .text:
            let mb = Double(summary.bytes) / 1_000_000
            let line = String(format: "imported %d files (%d unchanged, %d skipped, %d digests, %d failed): %d records, %d new, %.1f MB in %.2fs",
                              summary.files, summary.unchanged, summary.skipped, summary.digests, summary.failed,
                              summary.records, summary.newRecords, mb, seconds)
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if ProcessInfo.processInfo.environment["TRAIL_TIMING"] != nil, let peak = peakResidentKiB() {
            FileHandle.standardError.write(Data("timing: peak resident memory \(peak) KiB\n".utf8))
        }
        if !ok { throw ExitCode(1) }
    }
}
