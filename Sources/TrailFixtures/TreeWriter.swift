// Lays generated records out as `aws s3 sync` leaves a trail bucket: one gzip file per account,
// region and five minutes, under AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/.

import Foundation
import TrailCore

public struct TreeWriter {
    public var organization: String?
    public var compress = true
    /// Minutes of records per file (CloudTrail delivers about every five).
    public var window: Int64 = 300

    public init(organization: String? = nil) {
        self.organization = organization
    }

    /// The file name CloudTrail would give a delivery.
    public static func fileName(account: String, region: String, time: Int64, suffix: String) -> String {
        let iso = EventTime.format(time)  // 2026-11-01T12:35:00Z
        let digits = iso.filter(\.isNumber)  // 20261101123500
        let stamp = String(digits.prefix(8)) + "T" + String(digits.dropFirst(8).prefix(4)) + "Z"
        return "\(account)_CloudTrail_\(region)_\(stamp)_\(suffix).json"
    }

    /// Writes the records under `root`; returns the paths written and the uncompressed bytes.
    @discardableResult
    public func write(_ records: [GeneratedRecord], to root: URL, rng: inout SeededRandom) throws -> (files: [String], bytes: Int) {
        struct Key: Hashable { var account: String; var region: String; var slot: Int64 }
        var groups: [Key: [GeneratedRecord]] = [:]
        for r in records {
            groups[Key(account: r.account, region: r.region, slot: r.time / window), default: []].append(r)
        }
        var paths: [String] = []
        var bytes = 0
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for key in groups.keys.sorted(by: { ($0.account, $0.region, $0.slot) < ($1.account, $1.region, $1.slot) }) {
            let group = groups[key]!.sorted { $0.time < $1.time }
            let deliveredAt = (key.slot + 1) * window
            let iso = EventTime.format(deliveredAt)
            var folder = root.appendingPathComponent("AWSLogs")
            if let organization { folder.appendPathComponent(organization) }
            folder.appendPathComponent("\(key.account)/CloudTrail/\(key.region)/\(iso.prefix(4))/\(iso.dropFirst(5).prefix(2))/\(iso.dropFirst(8).prefix(2))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let suffix = String((0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            var name = TreeWriter.fileName(account: key.account, region: key.region, time: deliveredAt, suffix: suffix)
            var text = "{\"Records\":["
            for (i, r) in group.enumerated() {
                if i > 0 { text += "," }
                text += r.text
            }
            text += "]}"
            let data = Array(text.utf8)
            bytes += data.count
            let output: [UInt8]
            if compress {
                output = GzipWriter.compress(data)
                name += ".gz"
            } else {
                output = data
            }
            let path = folder.appendingPathComponent(name)
            try Data(output).write(to: path)
            paths.append(path.path)
        }
        return (paths, bytes)
    }
}
