// One line per problem on standard error, `trail: error: PATH: where: what`; the exit code comes last.

import ArgumentParser
import Foundation
import TrailCore

enum Diagnostics {
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Writes one line to standard error; log-derived text is escaped so it cannot drive the terminal.
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((TerminalText.escape(text) + "\n").utf8))
    }

    static func error(_ text: String) {
        line("trail: error: " + text)
    }

    /// An error that ends the command with exit status 1 after printing its line.
    static func fatal(_ text: String) -> ExitCode {
        error(text)
        return ExitCode(1)
    }
}
