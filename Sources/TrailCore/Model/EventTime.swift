// Reading and writing the time formats CloudTrail uses; times are seconds since 1970, UTC.

public enum EventTime {
    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    @inline(__always)
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// `2026-11-01T12:34:56Z`.
    public static func format(_ seconds: Int64) -> String {
        let days = Int((seconds >= 0 ? seconds : seconds - 86399) / 86400)
        let rest = Int(seconds - Int64(days) * 86400)
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = String(y)
        while year.count < 4 { year = "0" + year }
        return "\(year)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    static func make(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Int64? {
        // A year outside 1..9999 is no CloudTrail time, and would overflow the arithmetic (found by fuzzing).
        guard (1...9999).contains(y), (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s) else {
            return nil
        }
        return Int64(daysFromCivil(y, mo, d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
    }

    /// ISO 8601 as CloudTrail and its forwarders write it: `2022-01-03T19:10:05Z`,
    /// `2022-12-11 19:42:55.00000`, `20131102T010628Z`, with an optional offset; a bare date is its midnight.
    public static func parseISO(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += count
            return v
        }
        func skip(_ c: UInt8) -> Bool {
            if i < n && b[i] == c { i += 1; return true }
            return false
        }
        guard let y = digits(4) else { return nil }
        let extended = skip(UInt8(ascii: "-"))
        guard let mo = digits(2) else { return nil }
        if extended { guard skip(UInt8(ascii: "-")) else { return nil } }
        guard let d = digits(2) else { return nil }
        if i == n { return make(y, mo, d, 0, 0, 0) }
        guard i < n, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "t") else { return nil }
        i += 1
        guard let h = digits(2) else { return nil }
        if extended { guard skip(UInt8(ascii: ":")) else { return nil } }
        guard let mi = digits(2) else { return nil }
        var s = 0
        if extended {
            if skip(UInt8(ascii: ":")) { guard let v = digits(2) else { return nil }; s = v }
        } else {
            guard let v = digits(2) else { return nil }
            s = v
        }
        if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
            while i < n, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        guard var t = make(y, mo, d, h, mi, s) else { return nil }
        if i == n || skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) {
            return i == n ? t : nil
        }
        guard i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
        i += 1
        guard let oh = digits(2) else { return nil }
        _ = skip(UInt8(ascii: ":"))
        let om = digits(2) ?? 0
        guard i == n else { return nil }
        t -= sign * Int64(oh * 3600 + om * 60)
        return t
    }

    public static func parseISO(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseISO($0) }
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let monthCodes = months.map { m in m.utf8.reduce(0) { $0 << 8 | Int($1) } }

    /// The credentials `expiration` of STS responses: `Nov 29, 2018 4:31:59 AM` or
    /// `Nov 30, 2024, 8:43:17 PM` (UTC, any kind of space before the AM/PM); ISO 8601 is accepted too.
    public static func parseExpiration(_ text: String) -> Int64? {
        var bytes = text
        if let time = bytes.withUTF8({ parseISO($0) ?? parseClockTime($0) }) { return time }
        return parseExpirationWords(text)
    }

    /// The usual shape, `Nov 29, 2018 4:31:59 AM`, read from its bytes without making strings; nil for
    /// anything else, which `parseExpirationWords` reads (what this accepts, it reads alike).
    static func parseClockTime(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        var i = 0
        func separators() -> Bool {
            let start = i
            while i < n, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: ",") { i += 1 }
            return i > start
        }
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            let start = i
            var value = 0
            while i < n, i - start < maxDigits, b[i] >= 0x30, b[i] <= 0x39 {
                value = value * 10 + Int(b[i] - 0x30)
                i += 1
            }
            return i - start >= minDigits ? value : nil
        }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
        while i < n, isLetter(b[i]) { i += 1 }
        guard i >= 3 else { return nil }
        // The three letters, lower-cased, as one number compared with the months' (no string made).
        let name = Int(b[0] | 0x20) << 16 | Int(b[1] | 0x20) << 8 | Int(b[2] | 0x20)
        guard let month = monthCodes.firstIndex(of: name) else { return nil }
        guard separators(), let day = number(1, 2), separators(), let year = number(4, 4), separators(),
              var hour = number(1, 2), i < n, b[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let minute = number(2, 2), i < n, b[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let second = number(2, 2), separators(), i + 2 == n, (1...12).contains(hour),
              b[i + 1] | 0x20 == UInt8(ascii: "m") else { return nil }
        switch b[i] | 0x20 {
        case UInt8(ascii: "a"): if hour == 12 { hour = 0 }
        case UInt8(ascii: "p"): if hour != 12 { hour += 12 }
        default: return nil
        }
        return make(year, month + 1, day, hour, minute, second)
    }

    /// `parseExpiration` of any other shape: words split on spaces, commas and no-break spaces.
    static func parseExpirationWords(_ text: String) -> Int64? {
        if let iso = parseISO(text) { return iso }
        // Split on spaces, commas and the no-break spaces some locales use.
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\u{202F}" || $0 == "\u{00A0}" })
        guard parts.count == 5,
              let month = months.firstIndex(of: parts[0].prefix(3).lowercased()),
              let day = Int(parts[1]), let year = Int(parts[2]) else { return nil }
        let clock = parts[3].split(separator: ":")
        guard clock.count == 3, var hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (1...12).contains(hour) else { return nil }
        switch parts[4].uppercased() {
        case "AM": if hour == 12 { hour = 0 }
        case "PM": if hour != 12 { hour += 12 }
        default: return nil
        }
        return make(year, month + 1, day, hour, minute, second)
    }
}
