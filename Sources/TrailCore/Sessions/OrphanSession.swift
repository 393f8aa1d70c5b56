// Sessions known only from the calls they signed, as the resolver makes them.

import GRDB
import GRDBSQLite

/// A session known only from the calls it signed: what its callers say of it.
struct OrphanSession {
    var key: String
    var created: Int64?
    var roleArn: String?
    var roleName: String?
    var arn: String?
    var federatedProvider: String?
    var account: String?
    var sourceIdentity: String?

    static let columns = "access_key_id, created, role_arn, role_name, permission_set, session_name, account, assumed_role_arn, federated_provider, source_identity"
    static let count = 10
    static let feedColumns = (0..<count).map { "c\($0)" }.joined(separator: ", ")

    var permissionSet: String? { roleName.flatMap(ARN.permissionSet) }
    var sessionName: String? { arn.flatMap(ARN.sessionName) }

    /// The orphans of the new calls, by key (in key order), but those whose key `unless` selects. Read
    /// whole: a NUL in a caller's field stays (GRDB's reading would stop at it).
    static func all(_ db: Database, unless: String) throws -> [OrphanSession] {
        var out: [OrphanSession] = []
        try RawRows.forEach(db, """
            SELECT c.access_key_id, MIN(c.session_created), c.issuer_arn, c.arn, MAX(c.federated_provider), n.account,
                   MAX(c.source_identity), MIN(n.first)
            FROM temp.new_calls n JOIN callers c ON c.id = n.caller_id
            WHERE c.access_key_id IS NOT NULL AND c.ui_type IN ('AssumedRole', 'FederatedUser')
              AND c.access_key_id NOT IN (\(unless))
            GROUP BY c.access_key_id
            """) { s in
            let issuer = RawRows.text(s, 2)
            let roleArn = issuer.flatMap { ARN.roleName($0) != nil ? $0 : nil }
            out.append(OrphanSession(key: RawRows.text(s, 0)!, created: RawRows.int(s, 1) ?? RawRows.int(s, 7),
                                     roleArn: roleArn, roleName: roleArn.flatMap(ARN.roleName), arn: RawRows.text(s, 3),
                                     federatedProvider: RawRows.text(s, 4),
                                     account: roleArn.flatMap(ARN.account) ?? RawRows.text(s, 5), sourceIdentity: RawRows.text(s, 6)))
        }
        return out
    }

    /// The values of `columns`, in order.
    func add(to rows: inout FeedRows) {
        rows.add(key); rows.add(created); rows.add(roleArn); rows.add(roleName); rows.add(permissionSet); rows.add(sessionName)
        rows.add(account); rows.add(arn); rows.add(federatedProvider); rows.add(sourceIdentity)
    }
}
