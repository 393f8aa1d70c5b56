// What a record says of its caller, stored once per distinct value in `callers`.

import GRDB
import GRDBSQLite

/// The `userIdentity` fields the store keeps and the origin the record names by itself (SPEC §3).
/// A session signs many calls with the same caller block; storing it once and pointing at it keeps
/// the event rows small, which is most of an import's cost.
public struct Caller: Equatable, Sendable {
    public var uiType: String?
    public var principalId: String?
    public var arn: String?
    public var accessKeyId: String?
    public var userName: String?
    public var invokedBy: String?
    public var onBehalfOf: String?
    public var credentialId: String?
    public var issuerArn: String?
    public var federatedProvider: String?
    public var sessionCreated: Int64?
    public var mfaAuthenticated: Int64?
    public var sourceIdentity: String?
    public var ownIdentity: String?
    public var ownKind: String?
    public var ownAttribution: String?

    /// The `callers` columns, in the order of the SQL function `caller_hash`'s arguments.
    public static let columns = [
        "ui_type", "principal_id", "arn", "access_key_id", "user_name", "invoked_by", "on_behalf_of",
        "credential_id", "issuer_arn", "federated_provider", "session_created", "mfa_authenticated",
        "source_identity", "own_identity", "own_kind", "own_attribution",
    ]
    /// Where `session_created` is in `columns`; `mfa_authenticated` follows. The other columns are text.
    static let sessionCreatedColumn = 10

    public init() {}

    public init(_ r: borrowing EventRecord, own: (Origin, Attribution)?) {
        let u = r.userIdentity
        uiType = u.type
        principalId = u.principalId
        arn = u.arn
        accessKeyId = u.accessKeyId
        userName = u.userName
        invokedBy = u.invokedBy
        onBehalfOf = u.onBehalfOfUserId
        credentialId = u.credentialId
        issuerArn = u.issuerArn
        federatedProvider = u.federatedProvider
        sessionCreated = u.creationDate
        mfaAuthenticated = u.mfaAuthenticated.map { $0 ? 1 : 0 }
        sourceIdentity = u.sourceIdentity
        ownIdentity = own?.0.identity
        ownKind = own?.0.kind.rawValue
        ownAttribution = own?.1.rawValue
    }

    /// The stored `callers.hash` (`StoreHasher`) over the columns, each tagged with its type and length so
    /// that no two different callers feed the same words. Only narrows a look-up: rows are compared whole.
    public var storeHash: Int64 {
        var h = StoreHasher()
        h.feed(uiType); h.feed(principalId); h.feed(arn); h.feed(accessKeyId); h.feed(userName)
        h.feed(invokedBy); h.feed(onBehalfOf); h.feed(credentialId); h.feed(issuerArn); h.feed(federatedProvider)
        h.feed(sessionCreated); h.feed(mfaAuthenticated)
        h.feed(sourceIdentity); h.feed(ownIdentity); h.feed(ownKind); h.feed(ownAttribution)
        return h.value
    }

    /// `caller_hash(...)` for SQL, over the columns in `columns` order: the same hash as `storeHash`.
    /// Reads SQLite's own bytes, as text may hold a NUL.
    static func addSQLHash(_ db: Database) {
        let function: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, count, arguments in
            var h = StoreHasher()
            for i in 0..<Int(count) {
                guard let value = arguments?[i] else { continue }
                switch sqlite3_value_type(value) {
                case SQLITE_NULL:
                    h.feed(nil as String?)
                case SQLITE_INTEGER:
                    h.feed(sqlite3_value_int64(value))
                default:
                    let text = sqlite3_value_text(value)
                    let bytes = Int(sqlite3_value_bytes(value))
                    h.feed(UnsafeBufferPointer(start: text, count: text == nil ? 0 : bytes))
                }
            }
            sqlite3_result_int64(context, h.value)
        }
        sqlite3_create_function_v2(db.sqliteConnection, "caller_hash", Int32(columns.count), SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   nil, function, nil, nil, nil)
    }
}

/// The hash behind `callers.hash`: a word at a time (FNV-style multiply, then a final mix). It is
/// stored, so it must not change without a migration that computes it again.
struct StoreHasher {
    private var h: UInt64 = 0xcbf29ce484222325

    var value: Int64 {
        var x = h
        x ^= x >> 33
        x = x &* 0xff51afd7ed558ccd
        x ^= x >> 33
        return Int64(bitPattern: x)
    }

    @inline(__always)
    private mutating func word(_ w: UInt64) {
        h = (h ^ w) &* 0x100000001b3
        h = (h << 29) | (h >> 35)
    }

    mutating func feed(_ text: String?) {
        guard var text else { return word(0) }
        text.withUTF8 { feed($0) }
    }

    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Text from Swift and from SQLite hash alike, an empty one too (with or without a base address).
        word(2 | UInt64(bytes.count) << 8)
        word(forEachWord(bytes) { word($0) })
    }

    mutating func feed(_ number: Int64?) {
        guard let number else { return word(0) }
        word(1)
        word(UInt64(bitPattern: number))
    }
}
