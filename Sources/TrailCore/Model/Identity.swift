// Identity kinds and the ARN helpers the identity rules rely on (SPEC §3).

/// The kind of origin behind an event.
public enum IdentityKind: String, Sendable, CaseIterable {
    case githubActions = "github-actions"
    case webIdentity = "web-identity"
    case sso
    case saml
    case iamUser = "iam-user"
    case root
    case awsService = "aws-service"
    case awsAccount = "aws-account"
    case unknown
}

/// How an event was tied to its origin.
public enum Attribution: String, Sendable {
    case direct, key, inferred
}

/// An origin: who, of what kind.
public struct Origin: Sendable, Equatable {
    public var identity: String
    public var kind: IdentityKind
    public init(_ identity: String, _ kind: IdentityKind) {
        self.identity = identity
        self.kind = kind
    }
}

/// ARN helpers on the bytes of the string: they run for every record, so no Foundation and few allocations.
public enum ARN {
    /// The offsets of the first `count` colons.
    @inline(__always)
    static func colons(_ utf8: String.UTF8View, _ count: Int) -> [String.Index]? {
        var found: [String.Index] = []
        found.reserveCapacity(count)
        var i = utf8.startIndex
        while i != utf8.endIndex && found.count < count {
            if utf8[i] == UInt8(ascii: ":") { found.append(i) }
            i = utf8.index(after: i)
        }
        return found.count == count ? found : nil
    }

    /// The resource part of an ARN, after its fifth colon.
    static func resource(_ arn: String) -> Substring? {
        guard arn.utf8.starts(with: "arn:".utf8), let c = colons(arn.utf8, 5) else { return nil }
        return arn[arn.utf8.index(after: c[4])...]
    }

    /// The account of an ARN (`arn:aws:iam::123456789012:role/x` gives `123456789012`).
    public static func account(_ arn: String) -> String? {
        guard arn.utf8.starts(with: "arn:".utf8), let c = colons(arn.utf8, 5) else { return nil }
        let start = arn.utf8.index(after: c[3])
        guard start != c[4] else { return nil }
        return String(arn[start..<c[4]])
    }

    /// The role name of a role ARN or an assumed-role ARN: the last path segment of the role.
    public static func roleName(_ arn: String) -> String? {
        guard let resource = resource(arn) else { return nil }
        if resource.utf8.starts(with: "role/".utf8) {
            guard let slash = resource.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
            let name = resource[resource.utf8.index(after: slash)...]
            return name.isEmpty ? nil : String(name)
        }
        if resource.utf8.starts(with: "assumed-role/".utf8) {
            let rest = resource.dropFirst("assumed-role/".count)
            let name = rest.utf8.firstIndex(of: UInt8(ascii: "/")).map { rest[..<$0] } ?? rest
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }

    /// The session name of an assumed-role ARN.
    public static func sessionName(_ arn: String) -> String? {
        guard let resource = resource(arn), resource.utf8.starts(with: "assumed-role/".utf8) else { return nil }
        let rest = resource.dropFirst("assumed-role/".count)
        guard let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return String(rest[rest.utf8.index(after: slash)...])
    }

    /// The Identity Center permission set of an `AWSReservedSSO_<set>_<hex>` role name.
    public static func permissionSet(roleName: String) -> String? {
        guard roleName.utf8.starts(with: "AWSReservedSSO_".utf8) else { return nil }
        let rest = roleName.dropFirst("AWSReservedSSO_".count)
        guard let underscore = rest.utf8.lastIndex(of: UInt8(ascii: "_")) else { return String(rest) }
        return String(rest[..<underscore])
    }

    /// The assumed-role ARN of a session: `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public static func assumedRole(roleArn: String, sessionName: String) -> String? {
        guard let account = account(roleArn), let role = roleName(roleArn), let c = colons(roleArn.utf8, 2) else { return nil }
        let partition = roleArn[roleArn.utf8.index(after: c[0])..<c[1]]
        return "arn:\(partition):sts::\(account):assumed-role/\(role)/\(sessionName)"
    }

    public static func isGitHubProvider(_ text: String?) -> Bool {
        guard let text else { return false }
        return contains(text, "token.actions.githubusercontent.com")
    }

    /// Substring search on bytes.
    static func contains(_ text: String, _ needle: StaticString) -> Bool {
        firstRange(text, needle) != nil
    }

    static func firstRange(_ text: String, _ needle: StaticString) -> Range<String.Index>? {
        let n = needle.utf8CodeUnitCount
        let utf8 = text.utf8
        guard utf8.count >= n else { return nil }
        let first = needle.utf8Start[0]
        var i = utf8.startIndex
        while let start = utf8[i...].firstIndex(of: first) {
            var j = start
            var k = 0
            while k < n, j != utf8.endIndex, utf8[j] == needle.utf8Start[k] {
                j = utf8.index(after: j)
                k += 1
            }
            if k == n { return start..<j }
            i = utf8.index(after: start)
        }
        return nil
    }
}
