// Writes SampleLogs/: the deterministic sample trail the README's first command reads.
//
//   swift run trail-samplegen [FOLDER]    (default: SampleLogs)

import Foundation
import TrailCore
import TrailFixtures

let folder = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "SampleLogs"
let root = URL(fileURLWithPath: folder)
try? FileManager.default.removeItem(at: root.appendingPathComponent("AWSLogs"))
let scenario = SampleScenario()
var rng = SeededRandom(seed: 7)
let (files, bytes) = try TreeWriter(organization: "o-exampleorg1").write(scenario.builder.records, to: root, rng: &rng)

// One digest file, as CloudTrail delivers them beside the logs: recognised and counted, never read as records.
let digestFolder = root.appendingPathComponent("AWSLogs/o-exampleorg1/\(SampleScenario.prod)/CloudTrail-Digest/us-east-1/2026/11/03")
try FileManager.default.createDirectory(at: digestFolder, withIntermediateDirectories: true)
let digest = """
    {"awsAccountId":"\(SampleScenario.prod)","digestStartTime":"2026-11-02T08:00:00Z","digestEndTime":"2026-11-03T08:00:00Z",\
    "digestS3Bucket":"acme-trail","digestS3Object":"AWSLogs/o-exampleorg1/\(SampleScenario.prod)/CloudTrail-Digest/us-east-1/2026/11/03/\
    \(SampleScenario.prod)_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20261103T080000Z.json.gz",\
    "digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA",\
    "newestEventTime":"2026-11-03T07:59:00Z","oldestEventTime":"2026-11-02T08:00:05Z","previousDigestS3Bucket":null,\
    "previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}
    """
try Data(GzipWriter.compress(Array(digest.utf8))).write(to: digestFolder.appendingPathComponent(
    "\(SampleScenario.prod)_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20261103T080000Z.json.gz"))
print("wrote \(files.count) log files, \(scenario.builder.records.count) records, \(bytes) bytes uncompressed, under \(folder)/AWSLogs")
