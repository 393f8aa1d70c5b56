// The benchmark: generates a realistic trail in the S3 layout, then measures side by side, in one run,
// `trail import`, a zlib-only baseline, DuckDB's read_json where the duckdb Python module is installed,
// a re-import of the unchanged tree and the whole-process time of two queries.
//
//   swift build -c release && .build/release/trail-bench [--size MB] [--corpus DIR] [--runs N]

import Foundation
import TrailCore
import TrailFixtures

struct Options {
    var sizeMB = 1000
    var corpus: String?
    var trail = ".build/release/trail"
    var runs = 1
    var keep = false

    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch a {
            case "--size": sizeMB = Int(value) ?? sizeMB; i += 1
            case "--corpus": corpus = value; i += 1
            case "--trail": trail = value; i += 1
            case "--runs": runs = max(1, Int(value) ?? 1); i += 1
            case "--keep-db": keep = true
            case "-h", "--help":
                print("usage: trail-bench [--size MB (1000)] [--corpus DIR] [--trail PATH] [--runs N] [--keep-db]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("trail-bench: unknown argument \(a)\n".utf8))
                exit(64)
            }
            i += 1
        }
    }
}

struct Measure {
    var wall: Double
    var user: Double
    var system: Double
    var maxRSS: Int  // KiB
    var status: Int32
    var stdout: String
    var stderr: String
    var cpu: Double { user + system }
}

/// Runs a program and measures its wall time, CPU time and peak RSS (from wait4's rusage). posix_spawn,
/// not Process: Foundation reaps its children itself, and their rusage with them.
func measure(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Measure {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    let errPath = NSTemporaryDirectory() + "trail-bench-stderr-\(getpid())"
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
    }
    var pid: pid_t = 0
    let start = Date()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    close(fds[1])
    guard spawned == 0 else {
        close(fds[0])
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
    }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fds[0], &buffer, buffer.count)
        if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
    }
    close(fds[0])
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let wall = Date().timeIntervalSince(start)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: errPath)
    return Measure(wall: wall, user: seconds(usage.ru_utime), system: seconds(usage.ru_stime), maxRSS: usage.ru_maxrss,
                   status: exitCode, stdout: String(decoding: data, as: UTF8.self), stderr: stderr)
}

func files(under root: String) -> [String] {
    FileFinder.find([root]).files.map(\.path)
}

/// The floor: inflate every file on one core with zlib, nothing else.
func zlibBaseline(_ paths: [String]) throws -> (seconds: Double, cpu: Double, bytes: Int) {
    var usageBefore = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usageBefore)
    let start = Date()
    var total = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    for path in paths {
        let reader = try GzipReader(path: path)
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            total += n
        }
    }
    var usageAfter = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usageAfter)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let cpu = seconds(usageAfter.ru_utime) - seconds(usageBefore.ru_utime) + seconds(usageAfter.ru_stime) - seconds(usageBefore.ru_stime)
    return (Date().timeIntervalSince(start), cpu, total)
}

func line(_ name: String, _ seconds: Double, bytes: Int, records: Int? = nil, cpu: Double? = nil, rss: Int? = nil,
          ratio: Double? = nil) {
    var parts = [name.padding(toLength: 28, withPad: " ", startingAt: 0),
                 String(format: "%8.2f s", seconds),
                 String(format: "%8.1f MB/s", Double(bytes) / seconds / 1e6)]
    parts.append(records.map { String(format: "%9.0f rec/s", Double($0) / seconds) } ?? String(repeating: " ", count: 15))
    parts.append(cpu.map { String(format: "cpu %7.2f s", $0) } ?? String(repeating: " ", count: 12))
    parts.append(rss.map { String(format: "rss %6.1f MiB", Double($0) / 1024) } ?? String(repeating: " ", count: 14))
    if let ratio { parts.append(String(format: "x%.2f of trail", ratio)) }
    print(parts.joined(separator: "  "))
}

let options = Options(CommandLine.arguments)
let corpus = options.corpus ?? ".build/bench-corpus-\(options.sizeMB)MB"
let marker = URL(fileURLWithPath: corpus).appendingPathComponent("corpus.done")
guard FileManager.default.isExecutableFile(atPath: options.trail) else {
    print("trail-bench: \(options.trail) not found: run swift build -c release first")
    exit(1)
}

print("trail-bench: machine \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
if !FileManager.default.fileExists(atPath: marker.path) {
    print("generating a \(options.sizeMB) MB corpus under \(corpus) (once; kept for later runs)…")
    try? FileManager.default.removeItem(atPath: corpus)
    let started = Date()
    let (count, bytes) = try CorpusGenerator(seed: 1).write(bytes: options.sizeMB * 1_000_000, to: URL(fileURLWithPath: corpus))
    try Data("\(count) \(bytes)\n".utf8).write(to: marker)
    print(String(format: "  %d files, %.1f MB uncompressed, in %.1f s", count, Double(bytes) / 1e6, Date().timeIntervalSince(started)))
}
let paths = files(under: corpus)
let compressed = paths.reduce(0) { total, path in
    total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
}

// Warm the page cache so that every contender reads from memory.
_ = try zlibBaseline(paths)
let floor = try zlibBaseline(paths)
let bytes = floor.bytes
print(String(format: "corpus: %d files, %.1f MB compressed, %.1f MB uncompressed", paths.count, Double(compressed) / 1e6, Double(bytes) / 1e6))
print("")

let db = NSTemporaryDirectory() + "trail-bench-\(getpid()).db"
func removeDB() {
    for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: db + suffix) }
}
var best: Measure?
var records = 0
for run in 0..<options.runs {
    removeDB()
    var m = try measure(options.trail, ["import", "--quiet", "--format", "json", "--db", db, corpus],
                        environment: ["TRAIL_TIMING": "1"])
    // trail's own high-water mark: a child's rusage can inherit the spawner's peak.
    if let line = m.stderr.split(separator: "\n").first(where: { $0.hasPrefix("timing: peak resident memory ") }),
       let kib = Int(line.split(separator: " ")[4]) {
        m.maxRSS = kib
    }
    guard m.status == 0, let summary = try? JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [String: Any] else {
        print("trail import failed (status \(m.status)): \(m.stdout)")
        exit(1)
    }
    records = summary["records"] as? Int ?? 0
    if best == nil || m.wall < best!.wall { best = m }
    if options.runs > 1 { print(String(format: "  run %d: %.2f s", run + 1, m.wall)) }
}
let importRun = best!
let reimport = try measure(options.trail, ["import", "--quiet", "--format", "json", "--db", db, corpus])

print("import of the same files, page cache warm:")
line("trail import (all cores)", importRun.wall, bytes: bytes, records: records, cpu: importRun.cpu, rss: importRun.maxRSS, ratio: 1)
line("zlib inflate only (1 core)", floor.seconds, bytes: bytes, cpu: floor.cpu, ratio: importRun.wall / floor.seconds)

// DuckDB, where its Python module is installed: read_json of the same files into a table.
let duckScript = """
    import duckdb, sys, time
    con = duckdb.connect(sys.argv[2])
    t = time.time()
    con.execute("CREATE TABLE events AS SELECT unnest(Records, max_depth := 2) FROM read_json(?, format='auto', maximum_object_size=1073741824, union_by_name=true)", [sys.argv[1] + '/**/*.json.gz'])
    print(con.execute("SELECT count(*) FROM events").fetchone()[0])
    """
let duckDB = NSTemporaryDirectory() + "trail-bench-duck-\(getpid()).duckdb"
let python = ((ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
    + ["/usr/bin/python3"]).first { FileManager.default.isExecutableFile(atPath: $0) }
if let python, (try? measure(python, ["-c", "import duckdb"]))?.status == 0 {
    try? FileManager.default.removeItem(atPath: duckDB)
    let d = try measure(python, ["-c", duckScript, corpus, duckDB])
    try? FileManager.default.removeItem(atPath: duckDB)
    if d.status == 0 {
        line("duckdb read_json (all cores)", d.wall, bytes: bytes, records: Int(d.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
             cpu: d.cpu, rss: d.maxRSS, ratio: importRun.wall / d.wall)
    } else {
        print("duckdb read_json: failed (status \(d.status))")
    }
} else {
    print("duckdb read_json: skipped (pip install duckdb to compare)")
}
print("")
print(String(format: "re-import of the unchanged tree: %.3f s", reimport.wall))

// Whole-process query times on the imported store, best of five.
func bestOf(_ arguments: [String]) throws -> Double {
    var times: [Double] = []
    for _ in 0..<5 { times.append(try measure(options.trail, arguments).wall) }
    return times.min()!
}
let who = try bestOf(["who", "--role", "GitHubOIDC", "--db", db, "--format", "ndjson"])
let identity = "repo:acme/api:ref:refs/heads/main"
let timeline = try bestOf(["timeline", "--who", identity, "--db", db, "--format", "ndjson"])
let timelineRows = try measure(options.trail, ["timeline", "--who", identity, "--db", db, "--format", "ndjson"]).stdout.split(separator: "\n").count
print(String(format: "trail who --role GitHubOIDC:                %.3f s (%d records in the store)", who, records))
print(String(format: "trail timeline --who %@ --format ndjson: %.3f s (%d rows)", identity, timeline, timelineRows))
print("")

let mbps = Double(bytes) / importRun.wall / 1e6
let rssMiB = Double(importRun.maxRSS) / 1024
print("targets (SPEC issue: import >= 300 MB/s, peak RSS <= 100 MiB, re-import < 1 s, who < 50 ms):")
print(String(format: "  import %.0f MB/s: %@", mbps, mbps >= 300 ? "met" : "NOT met"))
print(String(format: "  peak RSS %.1f MiB: %@", rssMiB, rssMiB <= 100 ? "met" : "NOT met"))
print(String(format: "  re-import %.3f s: %@", reimport.wall, reimport.wall < 1 ? "met" : "NOT met"))
print(String(format: "  who %.3f s: %@", who, who < 0.05 ? "met" : "NOT met"))
if !options.keep { removeDB() } else { print("store kept at \(db)") }
