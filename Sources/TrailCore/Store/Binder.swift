// Binding values to raw SQLite statements by position, without copying where the bytes outlive the step.

import GRDB
import GRDBSQLite

/// SQLite's SQLITE_TRANSIENT, which Swift cannot import as a macro.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Binds values to a raw statement by position.
struct Binder {
    let statement: OpaquePointer
    var index: Int32 = 1
    /// Where known, which parameters are NULL already: binding NULL again is skipped (most of a record's
    /// columns are NULL, and each bind is a library call that releases the old value).
    let nulls: NullParameters?

    init(_ statement: OpaquePointer, nulls: NullParameters? = nil) {
        self.statement = statement
        self.nulls = nulls
    }

    @inline(__always)
    private func bindNull() {
        if let nulls {
            if nulls.flags[Int(index)] { return }
            nulls.flags[Int(index)] = true
        }
        sqlite3_bind_null(statement, index)
    }

    @inline(__always)
    private func bound() {
        nulls?.flags[Int(index)] = false
    }

    /// A short text in place (copied by SQLite), or its long string.
    mutating func text(_ value: EventWriter.ShortText) {
        if value.count == EventWriter.ShortText.long { return text(value.long) }
        if value.count < 0 {
            sqlite3_bind_null(statement, index)
        } else {
            var words = value.words
            withUnsafeBytes(of: &words) { bind(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(value.count))) }
        }
        index += 1
    }

    mutating func text(_ value: String?) {
        if let value {
            // A native string's bytes in place; a bridged or small one is copied first.
            if value.utf8.withContiguousStorageIfAvailable({ bind($0) }) == nil {
                var copy = value
                copy.withUTF8 { bind($0) }
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
        index += 1
    }

    /// Binds a text value of a batch in place (SQLITE_STATIC): the batch outlives the statement's step,
    /// and `EventWriter.write` clears the bindings before the batch goes.
    mutating func span(_ span: Span, in bytes: UnsafeBufferPointer<UInt8>) {
        if span.count < 0 {
            bindNull()
        } else if span.count == 0 {
            sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
            bound()
        } else {
            let base = UnsafeRawPointer(bytes.baseAddress! + Int(span.start)).assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(statement, index, base, span.count, nil)
            bound()
        }
        index += 1
    }

    private func bind(_ buffer: UnsafeBufferPointer<UInt8>) {
        if let base = buffer.baseAddress {
            _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                  Int32(buffer.count), sqliteTransient)
        } else {
            _ = sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
        }
    }

    mutating func int(_ value: Int64?) {
        if let value {
            sqlite3_bind_int64(statement, index, value)
            bound()
        } else {
            bindNull()
        }
        index += 1
    }

    mutating func bool(_ value: Bool?) {
        int(value.map { $0 ? 1 : 0 })
    }
}

/// Which parameters of a statement are NULL (all, after `sqlite3_clear_bindings`), by index from 1.
final class NullParameters {
    let flags: UnsafeMutableBufferPointer<Bool>

    init(_ statement: OpaquePointer) {
        flags = .allocate(capacity: Int(sqlite3_bind_parameter_count(statement)) + 1)
        clear()
    }

    deinit { flags.deallocate() }

    /// Clears the statement's bindings, and says so.
    func clear(_ statement: OpaquePointer? = nil) {
        if let statement { sqlite3_clear_bindings(statement) }
        flags.initialize(repeating: true)
    }
}
