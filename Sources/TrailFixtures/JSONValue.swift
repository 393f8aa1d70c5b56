// A small ordered JSON value for writing records the way CloudTrail lays them out.

import TrailCore

public indirect enum JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case object([(String, JSONValue)])
    case array([JSONValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }

    /// An object from pairs, leaving out the nil ones.
    public static func obj(_ pairs: [(String, JSONValue?)]) -> JSONValue {
        .object(pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    public static func str(_ value: String?) -> JSONValue? { value.map(JSONValue.string) }

    public func write(into out: inout String) {
        switch self {
        case .string(let s): out += JSONText.quote(s)
        case .int(let v): out += String(v)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .object(let pairs):
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(k) + ":"
                v.write(into: &out)
            }
            out += "}"
        case .array(let values):
            out += "["
            for (i, v) in values.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        }
    }

    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }
}

/// SplitMix64: a small deterministic generator, the same on every machine.
public struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    public mutating func uuid() -> String {
        let hex = Array("0123456789abcdef")
        var s = ""
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { s += "-" }
            s.append(hex[Int(next() % 16)])
        }
        return s
    }

    /// An access key id: prefix and 16 characters of [A-Z2-7].
    public mutating func accessKey(_ prefix: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return prefix + String((0..<16).map { _ in alphabet[Int(next() % 32)] })
    }

    public mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    public mutating func ip() -> String {
        "\(pick([3, 18, 34, 35, 52, 54, 198, 203])).\(int(0...255)).\(int(0...255)).\(int(1...254))"
    }
}
