// The events' and callers' secondary indexes: which exist, which a bulk import drops, and their builds.

import Foundation
import GRDB

extension Schema {
    /// The secondary indexes of the events and their callers. A large import drops those in
    /// `bulkDropped` and builds them again at its end (a sorted build is much faster than keeping them
    /// up to date row by row); opening the store creates any that a killed import left missing.
    static let eventIndexes: [(name: String, definition: String)] = [
        // An event's caller: how a session's calls, an identity's own records and a user id's are found
        // (through the callers indexes below).
        ("events_caller", "ON event_rows(caller_id)"),
        // With the caller: the twins' link finds the caller copies from the index alone (0.086 -> 0.07 s).
        ("events_shared", "ON event_rows(shared_event_id, caller_id) WHERE shared_event_id IS NOT NULL"),
        ("events_minting", "ON event_rows(req_role_name) WHERE req_role_arn IS NOT NULL"),
        // Failed attempts to assume a role: few, and `who` reads them all for its `denied`.
        ("events_denied", "ON event_rows(req_role_name, req_permission_set, req_role_arn) WHERE req_role_arn IS NOT NULL AND error_code IS NOT NULL"),
        ("events_twin", "ON event_rows(twin_of) WHERE twin_of IS NOT NULL"),
        // The successful minting records, in id order, with every column their sessions take: the
        // resolver reads this (a tenth of the events' size) instead of scanning every event for them
        // (minted sessions at 1 GB: 0.17-0.2 s -> 0.1 s). Appended to in id order as records are stored.
        ("events_mints", """
            ON event_rows(id, minted_key, action, time, minted_expires, req_role_arn, req_role_name, req_permission_set,
                req_session_name, account, assumed_role_id, assumed_role_arn, mint_source_identity, source_ip, caller_id,
                minted_identity, minted_kind)
            WHERE minted_key IS NOT NULL AND error_code IS NULL AND service = 'sts.amazonaws.com'
            """),
        // What `--who` looks up besides sessions: origins the records name themselves, GitHub subjects
        // of web identity calls and Identity Center user ids.
        ("callers_hash", "ON callers(hash)"),
        ("callers_key", "ON callers(access_key_id) WHERE access_key_id IS NOT NULL"),
        ("callers_own", "ON callers(own_identity) WHERE own_attribution = 'direct' OR access_key_id IS NULL"),
        ("callers_github", "ON callers(own_identity) WHERE own_kind = 'github-actions' AND own_attribution = 'direct'"),
        ("callers_on_behalf_of", "ON callers(on_behalf_of) WHERE on_behalf_of IS NOT NULL"),
    ]

    /// Creates whichever of the events', callers' and sessions' indexes is missing.
    static func createEventIndexes(_ db: Database) throws {
        for index in eventIndexes + SessionResolver.sessionIndexes {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) \(index.definition)")
        }
    }

    /// Drops the event indexes for a bulk import, the unique key's too: the import then stores every
    /// record and `restoreEventIndexes` removes the duplicates in one sorted pass.
    static func dropEventIndexes(_ db: Database) throws {
        for index in eventIndexes where bulkDropped.contains(index.name) {
            try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
        }
        try db.execute(sql: "DROP INDEX IF EXISTS events_event_key")
    }

    /// The indexes with an entry for (nearly) every event. The partial ones cover few rows: keeping them
    /// during a bulk import costs little, while building each again would read the whole table.
    static let bulkDropped: Set<String> = ["events_caller"]

    /// Runs index builds tuned for sorting. SQLite's sorter sorts runs of the cache's size and merges them:
    /// with small runs that fit the CPU caches and a helper thread per core, the three builds of a bulk
    /// import took 0.52 s instead of 0.75 s (772,645 events), and less memory. The cache is restored after.
    static func sorting<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -24576
        try db.execute(sql: "PRAGMA cache_size = -4096")
        try db.execute(sql: "PRAGMA threads = \(min(4, ProcessInfo.processInfo.activeProcessorCount))")
        defer {
            try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)")
            try? db.execute(sql: "PRAGMA threads = 0")
        }
        return try body()
    }

    /// Builds the indexes a bulk import dropped (or that a killed one left missing). Without the unique
    /// key, first keeps one row per event id (the first stored) and gives a colliding id the next free key.
    static func restoreEventIndexes(_ db: Database) throws {
        try sorting(db) { try restoreEventIndexesSorting(db) }
    }

    private static func restoreEventIndexesSorting(_ db: Database) throws {
        let hasKey = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'events_event_key')") ?? false
        if !hasKey {
            // Most bulk imports hold no duplicate: then one sorted build is all it takes.
            do {
                try db.execute(sql: "SAVEPOINT unique_key")
                try db.execute(sql: "CREATE UNIQUE INDEX events_event_key ON event_rows(event_key)")
                try db.execute(sql: "RELEASE unique_key")
                try createEventIndexes(db)
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                try db.execute(sql: "ROLLBACK TO unique_key")
                try db.execute(sql: "RELEASE unique_key")
            }
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS events_event_key_dups ON event_rows(event_key)")
            try db.execute(sql: """
                DELETE FROM event_rows WHERE id IN (
                    SELECT e.id FROM event_rows e
                    JOIN (SELECT event_key, event_id, MIN(id) AS keep FROM event_rows
                          WHERE event_key IN (SELECT event_key FROM event_rows GROUP BY event_key HAVING COUNT(*) > 1)
                          GROUP BY event_key, event_id) d
                      ON d.event_key = e.event_key AND d.event_id = e.event_id
                    WHERE e.id != d.keep)
                """)
            let collisions = try Row.fetchAll(db, sql: """
                SELECT id, event_key FROM event_rows
                WHERE event_key IN (SELECT event_key FROM event_rows GROUP BY event_key HAVING COUNT(*) > 1)
                ORDER BY event_key, id
                """)
            var previous: Int64?
            for row in collisions {
                let id: Int64 = row[0]
                let key: Int64 = row[1]
                defer { previous = key }
                guard previous == key else { continue }  // the first of a key keeps it
                var next = EventKey.probe(key)
                while try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event_rows WHERE event_key = ?)", arguments: [next]) ?? false {
                    next = EventKey.probe(next)
                }
                try db.execute(sql: "UPDATE event_rows SET event_key = ? WHERE id = ?", arguments: [next, id])
            }
            // The importer's running totals counted the duplicates: count the pending calls again.
            try recountPendingCalls(db)
            try db.execute(sql: "DROP INDEX events_event_key_dups")
            try db.execute(sql: "CREATE UNIQUE INDEX events_event_key ON event_rows(event_key)")
        }
        try createEventIndexes(db)
    }
}
