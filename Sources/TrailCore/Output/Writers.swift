// The four output formats of SPEC §5 as row sinks: table, CSV, JSON and NDJSON.

import Foundation

public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json, ndjson
}

/// Buffered standard output (or any descriptor). A closed pipe ends the program quietly.
public final class TextOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Collects everything instead of writing (tests).
    public private(set) var captured: [UInt8]?

    public init(fd: Int32 = 1, capture: Bool = false) {
        self.fd = fd
        captured = capture ? [] : nil
        buffer.reserveCapacity(1 << 16)
    }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if captured != nil {
            captured!.append(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    // The reader went away (`trail timeline | head`): nothing left to do.
                    exit(0)
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public var capturedText: String { String(decoding: captured ?? [], as: UTF8.self) }
}

/// Makes the sink for a format.
public func makeSink(_ format: OutputFormat, output: TextOutput, terminal: Bool, width: Int?, color: Bool) -> RowSink {
    switch format {
    case .table: return TableSink(output: output, width: width, color: color)
    case .csv: return CSVSink(output: output)
    case .json: return JSONSink(output: output, lines: false, terminal: terminal)
    case .ndjson: return JSONSink(output: output, lines: true, terminal: terminal)
    }
}

public final class JSONSink: RowSink {
    let output: TextOutput
    let lines: Bool
    let terminal: Bool
    var columns: [String] = []
    var count = 0

    public init(output: TextOutput, lines: Bool, terminal: Bool = false) {
        self.output = output
        self.lines = lines
        self.terminal = terminal
    }

    public func begin(columns: [String]) {
        self.columns = columns.map(JSONText.quote)
        if !lines { output.write("[") }
    }

    public func row(_ cells: [Cell]) {
        var text = lines ? "{" : (count == 0 ? "\n{" : ",\n{")
        for (i, cell) in cells.enumerated() {
            if i > 0 { text += "," }
            text += columns[i] + ":"
            switch cell {
            case .null: text += "null"
            case .int(let v): text += String(v)
            case .real(let v): text += v.isFinite ? String(v) : "null"
            case .text(let v): JSONText.append(v, to: &text, forTerminal: terminal)
            case .list(let v): JSONText.append(v, to: &text, forTerminal: terminal)
            }
        }
        text += lines ? "}\n" : "}"
        output.write(text)
        count += 1
    }

    public func finish() {
        if !lines { output.write(count == 0 ? "]\n" : "\n]\n") }
        output.flush()
    }
}

/// RFC 4180 rows. Control characters are written escaped even into a file: a CSV is read with `cat`
/// as often as with a spreadsheet, and no log field has a reason to hold one.
public final class CSVSink: RowSink {
    let output: TextOutput

    public init(output: TextOutput) {
        self.output = output
    }

    public func begin(columns: [String]) {
        output.write(columns.map(CSVText.field).joined(separator: ",") + "\r\n")
    }

    public func row(_ cells: [Cell]) {
        let fields = cells.map { cell -> String in
            let text = cell.text ?? ""
            return CSVText.field(TerminalText.escape(text))
        }
        output.write(fields.joined(separator: ",") + "\r\n")
    }

    public func finish() { output.flush() }
}

/// Aligned columns fitted to the terminal width; every value escaped for the terminal.
public final class TableSink: RowSink {
    let output: TextOutput
    let width: Int?
    let color: Bool
    var columns: [String] = []
    var rows: [[String]] = []

    public init(output: TextOutput, width: Int?, color: Bool) {
        self.output = output
        self.width = width
        self.color = color
    }

    public func begin(columns: [String]) { self.columns = columns }

    /// Columns of free text and lists: shortened first, since the eye needs them least in a table.
    static let expendable: Set<String> = [
        "source_ips", "accounts", "services", "chain", "user_agent", "resource", "role_arn", "description", "params",
        "origin", "source_ip", "session", "event_id",
    ]

    static let times: Set<String> = ["time", "first_seen", "last_seen", "started", "expires"]

    /// Narrows columns until the table fits: first the expendable ones, right to left, down to their
    /// header (at least 10); then the others but times; then the first column (what the row is about)
    /// to 24; then times to their date; then whatever it takes.
    func fit(_ widths: inout [Int], into width: Int) {
        let gaps = 2 * max(0, columns.count - 1)
        var excess = widths.reduce(0, +) + gaps - width
        func shrink(_ indices: [Int], floor: (Int) -> Int) {
            for i in indices where excess > 0 {
                let cut = min(excess, max(0, widths[i] - floor(i)))
                widths[i] -= cut
                excess -= cut
            }
        }
        let order = Array(columns.indices.reversed())
        let header = { (i: Int) in max(TerminalText.width(self.columns[i]), 10) }
        let isTime = { (i: Int) in TableSink.times.contains(self.columns[i]) }
        let isExpendable = { (i: Int) in TableSink.expendable.contains(self.columns[i]) }
        shrink(order.filter(isExpendable), floor: header)
        shrink(order.filter { $0 != 0 && !isExpendable($0) && !isTime($0) }, floor: header)
        shrink([0], floor: { _ in 24 })
        shrink(order.filter(isTime), floor: { _ in 11 })  // the date survives
        shrink([0], floor: { _ in 12 })
        shrink(order, floor: { _ in 4 })
    }

    /// Rows kept to size the columns; later rows stream out with those widths, so a long timeline
    /// needs no more memory than its first screens.
    public static let sizingRows = 1000
    var widths: [Int]?
    var printed = 0

    public func row(_ cells: [Cell]) {
        let texts = cells.map { cell -> String in
            switch cell {
            case .null: return "-"
            case .list(let v): return v.isEmpty ? "-" : TerminalText.escape(v.joined(separator: ", "))
            default: return TerminalText.escape(cell.text ?? "")
            }
        }
        if widths != nil {
            output.write(line(texts, header: false) + "\n")
            printed += 1
            return
        }
        rows.append(texts)
        if rows.count >= TableSink.sizingRows { flushSized() }
    }

    /// Sizes the columns from the rows held, prints the header and them.
    func flushSized() {
        var sized = columns.map(TerminalText.width)
        for row in rows {
            for (i, cell) in row.enumerated() { sized[i] = max(sized[i], TerminalText.width(cell)) }
        }
        if let width { fit(&sized, into: width) }
        widths = sized
        output.write(line(columns.map { $0.uppercased() }, header: true) + "\n")
        for row in rows { output.write(line(row, header: false) + "\n") }
        printed += rows.count
        rows.removeAll()
    }

    func line(_ cells: [String], header: Bool) -> String {
        let widths = self.widths ?? []
        var parts: [String] = []
        for (i, cell) in cells.enumerated() {
            // Off a terminal nothing is cut: a streamed row longer than the first ones just sticks out.
            let text = width == nil ? cell : TerminalText.truncate(cell, to: widths[i])
            let padded = i == cells.count - 1 ? text : text + String(repeating: " ", count: max(0, widths[i] - TerminalText.width(text)))
            parts.append(padded)
        }
        let text = parts.joined(separator: "  ")
        return header && color ? "\u{1B}[1m" + text + "\u{1B}[0m" : text
    }

    public func finish() {
        if widths == nil { flushSized() }
        if printed == 0 { output.write("(no rows)\n") }
        output.flush()
    }
}
