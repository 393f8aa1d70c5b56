// Writing JSON text: strings escaped so that no log value can break out of its quotes.

public enum JSONText {
    /// A JSON string literal of `value`, escaping quotes, backslashes, control characters and the
    /// line separators U+2028/U+2029; the rest of Unicode passes as UTF-8.
    public static func quote(_ value: String) -> String {
        quote(value, forTerminal: false)
    }

    /// With `forTerminal`, also the scalars that reorder or hide text on a terminal (bidirectional
    /// overrides, zero-width characters) are written as `\u` escapes: still the same JSON value.
    public static func quote(_ value: String, forTerminal: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count + 2)
        append(value, to: &out, forTerminal: forTerminal)
        return out
    }

    /// Appends the literal of `value` to `out`.
    public static func append(_ value: String, to out: inout String, forTerminal: Bool) {
        // Most values (addresses, ARNs, names) are printable ASCII with nothing to escape.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out += "\""
            out += value
            out += "\""
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
                    || (forTerminal && TerminalText.isUnsafe(scalar.value)) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func array(_ values: [String], forTerminal: Bool = false) -> String {
        var out = ""
        append(values, to: &out, forTerminal: forTerminal)
        return out
    }

    /// Appends the array literal of `values` to `out`.
    static func append(_ values: [String], to out: inout String, forTerminal: Bool) {
        out += "["
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            append(value, to: &out, forTerminal: forTerminal)
        }
        out += "]"
    }

    /// Reads back an array of strings written by `array` (the `chain` column).
    public static func parseArray(_ text: String) -> [String] {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> [String] in
            guard let base = buffer.baseAddress else { return [] }
            var c = JSONCursor(base: UnsafePointer(base), count: buffer.count, isFinal: true)
            var out: [String] = []
            do {
                try c.beginArray()
                var first = true
                while try c.nextElement(first: &first) {
                    if try c.peek() == UInt8(ascii: "\"") { out.append(c.string(try c.readString())) } else { try c.skipValue() }
                }
            } catch { return out }
            return out
        }
    }
}
