// `trail show`: the original record read again from its file, its secrets replaced by "<redacted>".

import GRDB

public enum RecordPrinter {
    /// Keys whose values are credentials or assertions (compared without regard to case).
    static let secretKeys: Set<String> = [
        "sessiontoken", "secretaccesskey", "samlassertion", "webidentitytoken", "assertion", "password",
        "clientsecret", "accesstoken", "refreshtoken", "idtoken", "oidctoken", "x-amz-security-token",
        "privatekey", "newpassword", "oldpassword",
    ]

    /// Re-writes a JSON value compactly with every secret value replaced.
    public static func redacted(_ bytes: [UInt8]) throws -> String {
        try bytes.withUnsafeBufferPointer { b -> String in
            guard let base = b.baseAddress else { throw QueryError("empty record") }
            var c = JSONCursor(base: base, count: b.count, isFinal: true)
            var out = ""
            try copy(&c, into: &out)
            return out
        }
    }

    private static func copy(_ c: inout JSONCursor, into out: inout String) throws {
        switch try c.peek() {
        case UInt8(ascii: "{"):
            try c.beginObject()
            out += "{"
            var first = true
            while let key = try c.nextKey(first: &first) {
                if out.last != "{" { out += "," }
                let name = c.string(key)
                out += JSONText.quote(name) + ":"
                if secretKeys.contains(name.lowercased()), try c.peek() != UInt8(ascii: "n") {
                    try c.skipValue()
                    out += "\"<redacted>\""
                } else {
                    try copy(&c, into: &out)
                }
            }
            out += "}"
        case UInt8(ascii: "["):
            try c.beginArray()
            out += "["
            var first = true
            while try c.nextElement(first: &first) {
                if out.last != "[" { out += "," }
                try copy(&c, into: &out)
            }
            out += "]"
        case UInt8(ascii: "\""):
            out += JSONText.quote(c.string(try c.readString()))
        default:
            let start = c.pos
            try c.skipValue()
            out += String(decoding: UnsafeBufferPointer(start: c.base + start, count: c.pos - start), as: UTF8.self)
        }
    }

    /// The stored record of `eventID`, read again from its source file and redacted.
    public static func show(eventID: String, store: Store) throws -> String {
        guard let row = try store.dbQueue.read({ db -> Row? in
            var key = EventKey.hash(eventID)
            for _ in 0..<64 {
                let row = try Row.fetchOne(db, sql: """
                    SELECT e.event_id, f.path, e.offset, e.length, e.embedded FROM events e JOIN files f ON f.id = e.file_id
                    WHERE e.event_key = ?
                    """, arguments: [key])
                guard let row else { return nil }
                if row["event_id"] == eventID { return row }
                key = EventKey.probe(key)
            }
            return nil
        }) else {
            throw QueryError("no event \(eventID) in the store")
        }
        let path: String = row["path"]
        let offset: Int = row["offset"]
        let length: Int = row["length"]
        let embedded: Bool = row["embedded"]
        var bytes = try readRange(path: path, offset: offset, length: length)
        if embedded {
            bytes = try lookupEventRecord(bytes, path: path)
        }
        let text = try redacted(bytes)
        guard text.contains(JSONText.quote(eventID)) || eventID.hasPrefix("hash:") else {
            throw QueryError("\(path) changed since it was imported: run trail import again")
        }
        return text
    }

    static func readRange(path: String, offset: Int, length: Int) throws -> [UInt8] {
        let reader = try GzipReader(path: path)
        var skipped = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var out: [UInt8] = []
        out.reserveCapacity(length)
        while out.count < length {
            let n = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
            guard n > 0 else { throw QueryError("\(path) is shorter than when it was imported") }
            var start = 0
            if skipped < offset {
                let skip = min(n, offset - skipped)
                skipped += skip
                start = skip
            }
            if start < n { out.append(contentsOf: chunk[start..<min(n, start + length - out.count)]) }
        }
        return out
    }

    static func lookupEventRecord(_ element: [UInt8], path: String) throws -> [UInt8] {
        try element.withUnsafeBufferPointer { b -> [UInt8] in
            var c = JSONCursor(base: b.baseAddress!, count: b.count, isFinal: true)
            try c.beginObject()
            var first = true
            while let key = try c.nextKey(first: &first) {
                if c.matches(key, "CloudTrailEvent"), try c.peek() == UInt8(ascii: "\"") {
                    return c.unescapedBytes(try c.readString())
                }
                try c.skipValue()
            }
            throw QueryError("\(path) changed since it was imported: run trail import again")
        }
    }
}
