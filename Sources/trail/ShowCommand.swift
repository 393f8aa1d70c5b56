// `trail show EVENT_ID`: the original record, secrets redacted.

import ArgumentParser
import Foundation
import TrailCore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the original record of an event, its secrets redacted.",
        discussion: """
            Reads the record again from the file it was imported from; session tokens, secret keys
            and assertions are replaced by "<redacted>".

            Example:
              trail show 3038ebd2-c98a-4c65-9b6e-e22506292313
            """)

    @Argument(help: "The event's eventID (as timeline prints it).")
    var eventID: String

    @OptionGroup var store: StoreOptions

    func run() throws {
        let store = try self.store.open()
        do {
            let text = try RecordPrinter.show(eventID: eventID, store: store)
            // One JSON line; on a terminal nothing in it may drive the terminal.
            print(isatty(1) != 0 ? TerminalText.escape(text) : text)
        } catch let error as QueryError {
            throw Diagnostics.fatal(error.message)
        } catch {
            throw Diagnostics.fatal("\(error)")
        }
    }
}
