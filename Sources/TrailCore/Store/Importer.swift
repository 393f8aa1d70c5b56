// `trail import`: files read in parallel on all cores, one writer; a file stored whole or not at all.

import Foundation
import GRDB

/// The summary of SPEC §1.
public struct ImportSummary: Sendable, Equatable {
    public var files = 0
    public var unchanged = 0
    public var skipped = 0
    public var digests = 0
    public var failed = 0
    public var records = 0
    public var newRecords = 0
    public var bytes: Int64 = 0
}

/// What a worker hands the writer about one file.
private enum FileMessage {
    case batch(RowBatch)
    /// The file's last records come with its end: one message fewer to hand over.
    case end(last: RowBatch, records: Int, digests: Int, bytes: Int64)
    case failed(InputError)
}

/// A bounded queue of one file's messages: the worker blocks when the writer lags behind.
private final class FileChannel {
    private let condition = NSCondition()
    private var queue: [FileMessage] = []
    private let capacity: Int

    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// The writer gave up: whatever the worker still sends is dropped, and it never blocks again.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func send(_ message: FileMessage) {
        condition.lock()
        while queue.count >= capacity && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            return
        }
        queue.append(message)
        condition.broadcast()
        condition.unlock()
    }

    func receive() -> FileMessage {
        condition.lock()
        while queue.isEmpty { condition.wait() }
        // At most `capacity` messages wait here; the one taken is released as soon as it is written.
        let message = queue.removeFirst()
        condition.broadcast()
        condition.unlock()
        return message
    }
}

public struct ImportOptions: Sendable {
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var batchSize = 512
    public var maxRecordSize = 16 << 20
    /// Commit after about this many records or this many seconds (each commit holds whole files only),
    /// so that a killed import keeps most of its work.
    public var commitEvery = 5_000
    public var commitSeconds = 1.0
    /// In a bulk import, commits are rarer: each one syncs the journal and the store, and every page it
    /// leaves half filled (the last of each table and index) is journaled again by the next. A killed
    /// bulk import loses at most this much, which the next run reads again. (1 GB benchmark, one commit
    /// instead of eight: load with index builds 2.84-2.97 s -> 2.76-2.90 s, 3 of 4 interleaved pairs faster.)
    public var bulkCommitEvery = 1_000_000
    public var bulkCommitSeconds = 30.0
    /// The readers' nice value (Linux). The single writer is what bounds an import; with as many readers
    /// as cores it got two thirds of a core on a 2-core machine, and the readers ran ahead only to wait.
    /// Niced, they take what the writer leaves: the 1 GB benchmark's import went from 6.9-7.4 s to
    /// 6.05-6.2 s (interleaved runs, with `readAhead` 12 rather than 4).
    public var readerNice: Int32 = 19
    /// Files read ahead of the writer at most: what bounds memory, whatever the tree's size. Each file
    /// holds at most its channel's 4 batches of at most `RowBatch.maxBytes` (1 MiB) of text waiting, so
    /// at worst some 50 MiB wait, and with CloudTrail's usual files (a few hundred records) about 5 MiB.
    public var readAhead = 12
    /// Above this many bytes to read, and more than the store already holds, the event indexes are
    /// dropped for the import and built again after it.
    public var bulkBytes: Int64 = 16 << 20
    /// Forces bulk mode on or off (nil: decided by `bulkBytes` and the store's size).
    public var bulk: Bool?
    /// Session resolution rebuilds the sessions' indexes once at least this many new events (and as many
    /// as the store held) are to be resolved.
    public var sessionIndexRebuild: Int64 = 50_000
    /// A full resolution is worked out in memory for stores of at most this many sessions (`FullResolution`).
    public var fullResolutionLimit = FullResolution.maxSessions
    /// The importer writes its running counts of calls (by caller and address) for the resolver once it
    /// holds this many: what bounds their memory.
    public var pendingCallsLimit = 16_384
    public init() {}
}

public final class Importer {
    public typealias Progress = (_ filesDone: Int, _ filesTotal: Int, _ records: Int, _ bytesRead: Int64, _ bytesTotal: Int64) -> Void

    let store: Store
    let options: ImportOptions

    public init(store: Store, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
    }

    /// Imports the paths; problems with single files are handed to `report` and the rest goes on.
    public func run(paths: [String], report: (InputError) -> Void, progress: Progress? = nil) throws -> ImportSummary {
        var summary = ImportSummary()
        let listing = FileFinder.find(paths)
        summary.skipped = listing.skipped
        for missing in listing.missing {
            summary.failed += 1
            report(InputError(.io, path: missing.path, missing.message))
        }
        let known: [String: (Int64, Int64)] = try store.dbQueue.read { db in
            var map: [String: (Int64, Int64)] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime FROM files")
            while let row = try rows.next() { map[row[0]] = (row[1], row[2]) }
            return map
        }
        var todo: [FoundFile] = []
        for file in listing.files {
            if let seen = known[file.path], seen.0 == file.size, seen.1 == file.mtime {
                summary.unchanged += 1
            } else {
                todo.append(file)
            }
        }
        let totalBytes = todo.reduce(0) { $0 + $1.size }
        // A large import (more than the store holds) drops the event indexes and builds them after, and
        // runs in rollback-journal mode (`Store.bulkJournal`).
        let stored = try store.dbQueue.read { db in
            try Int64.fetchOne(db, sql: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()") ?? 0
        }
        let bulk = !todo.isEmpty && (options.bulk ?? (totalBytes >= options.bulkBytes && totalBytes > stored))
        try store.bulkJournal(bulk) {
            if !todo.isEmpty {
                try importFiles(todo, bulk: bulk, totalBytes: totalBytes, summary: &summary, report: report, progress: progress)
            }
            // A bulk import has resolved the sessions in its last transaction, with its index builds.
            if !bulk {
                var clock = PhaseClock()
                try SessionResolver(store: store, rebuildIndexesFrom: options.sessionIndexRebuild, fullResolutionLimit: options.fullResolutionLimit).resolve()
                clock.lap("resolve sessions")
            }
        }
        if summary.newRecords > 0 && !bulk {
            var clock = PhaseClock()
            try store.dbQueue.write { db in try Importer.analyzeIfGrown(db) }
            clock.lap("planner statistics")
        }
        return summary
    }

    /// The query planner's statistics: without them it cannot tell a small partial index from a large one
    /// behind the `events` view. ANALYZE reads every index (0.08 s at 772,645 events), so it runs again
    /// only once the store has grown by a tenth since the last time. Two of the largest are not read:
    /// their figures follow from counts (`countedStatistics`).
    static func analyzeIfGrown(_ db: Database) throws {
        let top = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event_rows") ?? 0
        let analyzed = try Schema.metaInteger(db, "analyzed_upto")
        guard analyzed.map({ top > $0 + $0 / 10 }) ?? true else { return }
        // Written first (after an ANALYZE of a small table makes sqlite_stat1 exist): the ANALYZE that
        // follows loads every statistic into the planner, these included.
        try db.execute(sql: "ANALYZE meta")
        let events = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM event_rows") ?? 0
        let callers = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM callers") ?? 0
        try db.execute(sql: "DELETE FROM sqlite_stat1 WHERE tbl = 'event_rows' AND idx IN ('events_event_key', 'events_caller')")
        if events > 0 {
            try db.execute(sql: "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('event_rows', 'events_event_key', ?), ('event_rows', 'events_caller', ?)",
                           arguments: ["\(events) 1", "\(events) \((events + max(callers, 1) - 1) / max(callers, 1))"])
        }
        let others = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'event_rows'
            UNION ALL
            SELECT name FROM sqlite_master
            WHERE type = 'index' AND tbl_name = 'event_rows' AND name NOT IN ('events_event_key', 'events_caller')
            """)
        try db.execute(sql: others.map { "ANALYZE \"\($0)\";" }.joined(separator: "\n"))
        try Schema.setMeta(db, "analyzed_upto", top)
    }

    private func importFiles(_ todo: [FoundFile], bulk: Bool, totalBytes: Int64, summary: inout ImportSummary,
                             report: (InputError) -> Void, progress: Progress?) throws {
        let channels = todo.map { _ in FileChannel(capacity: 4) }
        let next = Locked(-1)
        let window = ReadAheadWindow(size: options.readAhead)
        let done = DispatchGroup()
        let readersCPU = Locked(0.0)
        let options = self.options
        for _ in 0..<min(options.workers, todo.count) {
            done.enter()
            let thread = Thread {
                #if os(Linux)
                // On Linux a thread has its own nice value (elsewhere it is the process's: left alone).
                if options.readerNice > 0 { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, options.readerNice) }
                #endif
                let strings = StringTable()
                while true {
                    let index = next.update { $0 += 1; return $0 }
                    guard index < todo.count, window.waitUntilOpen(index) else { break }
                    Importer.read(todo[index], into: channels[index], options: options, strings: strings)
                }
                let cpu = threadCPUSeconds()
                readersCPU.update { $0 += cpu }
                done.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }

        var filesDone = 0
        var bytesDone: Int64 = 0
        defer {
            // Whatever happened to the writer, no worker is left waiting on it.
            window.cancel()
            channels.forEach { $0.cancel() }
            done.wait()
        }
        try store.dbQueue.writeWithoutTransaction { db in
            var storedBefore = 0
            if bulk {
                storedBefore = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event_rows") ?? 0
                try Schema.dropEventIndexes(db)
            }
            var restored = false
            defer {
                // After a failure too: a store is never left without its indexes when it can be helped.
                if bulk && !restored { try? Schema.restoreEventIndexes(db) }
            }
            var clock = PhaseClock()
            let writer = try EventWriter(db: db, bulk: bulk, pendingCallsLimit: options.pendingCallsLimit)
            var inTransaction = false
            var sinceCommit = 0
            var lastCommit = Date()
            var waited = 0.0
            let writerStartCPU = threadCPUSeconds()
            defer { if inTransaction { try? db.execute(sql: "ROLLBACK") } }
            // Prepared once: a file's few statements cost more to compile than to run.
            let savepoint = try db.cachedStatement(sql: "SAVEPOINT file")
            let release = try db.cachedStatement(sql: "RELEASE file")
            let rollback = try db.cachedStatement(sql: "ROLLBACK TO file")
            let addFile = try db.cachedStatement(sql: """
                INSERT INTO files (path, size, mtime, kind, records, imported_at) VALUES (?, ?, ?, 'records', 0, ?)
                ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime
                """)
            let fileIDByPath = try db.cachedStatement(sql: "SELECT id FROM files WHERE path = ?")
            let fileDone = try db.cachedStatement(sql: "UPDATE files SET records = ?, kind = ? WHERE id = ?")
            for (index, file) in todo.enumerated() {
                if !inTransaction {
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    inTransaction = true
                }
                // A file whose records all came in one message (most do) is whole before anything of it is
                // written: it needs no savepoint of its own. One that spans messages gets one, so that a
                // failure further on rolls back what was written of it. (A savepoint makes SQLite copy every
                // page the file touches that existed before it, to the statement journal: 1.7 GB of writes to
                // temporary files for the 6,160 files of the 1 GB benchmark.)
                var first = true
                var savepointOpen = false
                var fileID: Int64 = 0
                var fileNew = 0
                func write(_ batch: RowBatch, final: Bool) throws {
                    if first {
                        first = false
                        if !final {
                            try savepoint.execute()
                            savepointOpen = true
                        }
                        // The file's row comes first so its records can point at it.
                        try addFile.execute(arguments: [file.path, file.size, file.mtime, Int64(Date().timeIntervalSince1970)])
                        fileID = try Int64.fetchOne(fileIDByPath, arguments: [file.path])!
                    }
                    fileNew += try writer.write(batch, fileID: fileID)
                    sinceCommit += batch.count
                }
                loop: while true {
                    let waitStart = Date()
                    let message = channels[index].receive()
                    waited += Date().timeIntervalSince(waitStart)
                    switch message {
                    case .batch(let batch):
                        try write(batch, final: false)
                    case .end(let last, let records, let digests, let bytes):
                        try write(last, final: true)
                        try fileDone.execute(arguments: [records, digests > 0 && records == 0 ? "digest" : "records", fileID])
                        if savepointOpen { try release.execute() }
                        try writer.fileEnded()
                        summary.files += 1
                        summary.records += records
                        summary.newRecords += fileNew
                        summary.bytes += bytes
                        if digests > 0 && records == 0 { summary.digests += 1 }
                        break loop
                    case .failed(let error):
                        if savepointOpen {
                            try rollback.execute()
                            try release.execute()
                        }
                        writer.fileFailed()
                        summary.files += 1
                        summary.failed += 1
                        report(error)
                        break loop
                    }
                }
                window.advance()
                filesDone += 1
                bytesDone += file.size
                // A bulk import's last transaction stays open for its index builds, session resolution and
                // planner statistics: pages it made need no journal when they change again (the twins'
                // links: 0.19 -> 0.09 s at 1 GB).
                if sinceCommit >= (bulk ? options.bulkCommitEvery : options.commitEvery) || (index == todo.count - 1 && !bulk)
                    || Date().timeIntervalSince(lastCommit) >= (bulk ? options.bulkCommitSeconds : options.commitSeconds) {
                    try writer.flushCalls()
                    try db.execute(sql: "COMMIT")
                    inTransaction = false
                    sinceCommit = 0
                    lastCommit = Date()
                }
                progress?(filesDone, todo.count, summary.records, bytesDone, totalBytes)
            }
            clock.lap("read and store")
            // A bulk import ends in its last transaction: duplicates removed and indexes built, sessions
            // resolved, statistics gathered, one commit. Each single-threaded step starts with the store's
            // write-out handed to another thread, so that the commit has little left to sync.
            if bulk {
                try writer.flushCalls()
                if !inTransaction {
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    inTransaction = true
                }
                store.startWriteback()
                try Schema.restoreEventIndexes(db)
                store.startWriteback()
                summary.newRecords = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event_rows") ?? 0) - storedBefore
                clock.lap("remove duplicates and build indexes")
                try SessionResolver(store: store, rebuildIndexesFrom: options.sessionIndexRebuild, fullResolutionLimit: options.fullResolutionLimit).resolve(db)
                clock.lap("resolve sessions")
                store.startWriteback()
                if summary.newRecords > 0 {
                    try Importer.analyzeIfGrown(db)
                    clock.lap("planner statistics")
                }
                try db.execute(sql: "COMMIT")
                inTransaction = false
                restored = true
                clock.lap("commit")
            }
            if PhaseClock().enabled {
                // Every file has been read: the readers are finishing, their CPU time is final.
                done.wait()
                FileHandle.standardError.write(Data(String(format: "timing: writer waited %.3f s for the readers; CPU: writer %.3f s, readers %.3f s\n",
                                                           waited, threadCPUSeconds() - writerStartCPU, readersCPU.update { $0 }).utf8))
            }
        }
    }

    /// A worker's job: read one file whole, or report why not.
    private static func read(_ file: FoundFile, into channel: FileChannel, options: ImportOptions, strings: StringTable) {
        do {
            let gzip = try GzipReader(path: file.path)
            let reader = RecordReader(source: gzip, path: file.path, maxRecordSize: options.maxRecordSize, strings: strings,
                                      storedTextInPlace: true)
            // Sized for a usual CloudTrail file (a few hundred records): one batch, no growing.
            var batch = RowBatch(expected: 256)
            var framed = FramedRecord()
            while try reader.next(into: &framed) {
                batch.append(framed)
                if batch.count == options.batchSize || batch.byteCount >= RowBatch.maxBytes {
                    channel.send(.batch(batch))
                    batch = RowBatch(expected: options.batchSize)
                }
            }
            channel.send(.end(last: batch, records: reader.recordCount, digests: reader.digestCount,
                              bytes: Int64(gzip.decompressedOffset)))
        } catch let error as InputError {
            channel.send(.failed(error))
        } catch {
            channel.send(.failed(InputError(.io, path: file.path, "\(error)")))
        }
    }
}

/// Phase times on standard error when TRAIL_TIMING is set: the profile's first cut. TRAIL_TIMING=2 also
/// times each statement of session resolution that takes over 5 ms.
struct PhaseClock {
    let enabled = ProcessInfo.processInfo.environment["TRAIL_TIMING"] != nil
    var last = Date()
    var lastCPU = PhaseClock.processCPUSeconds()

    /// CPU time of the whole process, all threads (SQLite's sorting helpers included).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    func traceSlowStatements(_ db: Database) {
        guard ProcessInfo.processInfo.environment["TRAIL_TIMING"] == "2" else { return }
        db.trace(options: .profile) { event in
            guard case let .profile(statement, duration) = event, duration > 0.005 else { return }
            let sql = statement.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            FileHandle.standardError.write(Data(String(format: "timing:     %.3f s %@\n", duration, String(sql.prefix(150))).utf8))
        }
    }

    mutating func lap(_ name: String) {
        guard enabled else { return }
        let now = Date()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Self.processCPUSeconds()
        FileHandle.standardError.write(Data(String(format: "timing: %@ %.3f s, CPU %.3f s (peak RSS so far %.1f MiB)\n", name,
                                                   now.timeIntervalSince(last), cpu - lastCPU, Double(usage.ru_maxrss) / 1024).utf8))
        last = now
        lastCPU = cpu
    }
}

/// This process's peak resident memory in KiB (`VmHWM`), or nil where /proc is missing. Unlike the
/// rusage a parent reads, it does not inherit the parent's peak through a vfork-based spawn.
public func peakResidentKiB() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
    return nil
}

/// How far the workers may read ahead of the writer, in files.
final class ReadAheadWindow: @unchecked Sendable {
    private let condition = NSCondition()
    private var written = 0
    private let size: Int

    init(size: Int) { self.size = max(1, size) }

    private var cancelled = false

    /// Waits until file `index` may be read; false once the import is over.
    func waitUntilOpen(_ index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while index >= written + size && !cancelled { condition.wait() }
        return !cancelled
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func advance() {
        condition.lock()
        written += 1
        condition.broadcast()
        condition.unlock()
    }
}

/// The CPU time (user and system) of the calling thread so far.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A value shared by the workers, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func update<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
