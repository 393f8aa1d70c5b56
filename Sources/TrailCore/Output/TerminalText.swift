// Making log values safe to show: no control character or escape sequence reaches a terminal,
// no formula reaches a spreadsheet.

public enum TerminalText {
    /// Whether a scalar could move the cursor, change colours, reorder text or hide what follows.
    @inline(__always)
    static func isUnsafe(_ v: UInt32) -> Bool {
        v < 0x20 || (0x7F...0x9F).contains(v)
            || (0x200B...0x200F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || v == 0x2028 || v == 0x2029 || v == 0xFEFF
    }

    /// The text with every unsafe scalar written as a visible escape (`\e`, `\n`, `\u{202E}`).
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0.value) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar.value) else { out.unicodeScalars.append(scalar); continue }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{1B}": out += "\\e"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// Display width, counting each scalar as one column (escapes are ASCII), East Asian wide as two.
    public static func width(_ text: String) -> Int {
        var w = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (0x0300...0x036F).contains(v) { continue }
            if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v) || (0x1F300...0x1FAFF).contains(v)
                || (0x20000...0x3FFFD).contains(v) {
                w += 2
            } else {
                w += 1
            }
        }
        return w
    }

    /// The text cut to `limit` columns, ending in `…` when cut.
    public static func truncate(_ text: String, to limit: Int) -> String {
        guard width(text) > limit else { return text }
        guard limit > 1 else { return limit == 1 ? "…" : "" }
        var out = ""
        var w = 0
        for scalar in text.unicodeScalars {
            let sw = width(String(scalar))
            if w + sw > limit - 1 { break }
            out.unicodeScalars.append(scalar)
            w += sw
        }
        return out + "…"
    }
}

public enum CSVText {
    /// One RFC 4180 field: quoted when it holds a comma, quote or line break; a cell starting with
    /// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so spreadsheets do not run it.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            text = "'" + text
        }
        if text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}

#if canImport(Foundation)
import Foundation
#endif
