// Identity kinds and the ARN helpers the identity rules rely on (SPEC §3).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// ARN helpers on the bytes of the string: they run for every record, so no Foundation, no String
/// index arithmetic, and no allocation but the result.
public enum ARN {
    /// The string's UTF-8 bytes, in place when it has contiguous storage (native strings do).
    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    @inline(__always)
    static func starts(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, with prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard bytes.count - offset >= n else { return false }
        for k in 0..<n where bytes[offset + k] != prefix.utf8Start[k] { return false }
        return true
    }

    /// The offsets of the fourth and fifth colons of an `arn:` string: the account lies between them,
    /// the resource after the fifth.
    @inline(__always)
    static func accountColons(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        guard starts(bytes, at: 0, with: "arn:") else { return nil }
        var seen = 1
        var fourth = 0
        for i in 4..<bytes.count where bytes[i] == UInt8(ascii: ":") {
            seen += 1
            if seen == 4 { fourth = i }
            if seen == 5 { return (fourth, i) }
        }
        return nil
    }

    /// The resource part of an ARN, after its fifth colon.
    static func resource(_ arn: String) -> Substring? {
        guard let start = withBytes(arn, { accountColons($0).map { $0.1 + 1 } }) else { return nil }
        return arn[arn.utf8.index(arn.utf8.startIndex, offsetBy: start)...]
    }

    /// The account of an ARN (`arn:aws:iam::123456789012:role/x` gives `123456789012`).
    public static func account(_ arn: String) -> String? {
        withBytes(arn) { b in
            guard let (fourth, fifth) = accountColons(b), fifth > fourth + 1 else { return nil }
            return string(b, fourth + 1..<fifth)
        }
    }

    /// The role name of a role ARN or an assumed-role ARN: the last path segment of the role.
    public static func roleName(_ arn: String) -> String? {
        withBytes(arn) { b in
            guard let (_, fifth) = accountColons(b) else { return nil }
            let resource = fifth + 1
            if starts(b, at: resource, with: "role/") {
                var slash = b.count - 1
                while b[slash] != UInt8(ascii: "/") { slash -= 1 }
                return slash + 1 < b.count ? string(b, slash + 1..<b.count) : nil
            }
            if starts(b, at: resource, with: "assumed-role/") {
                let start = resource + 13
                var end = start
                while end < b.count && b[end] != UInt8(ascii: "/") { end += 1 }
                return end > start ? string(b, start..<end) : nil
            }
            return nil
        }
    }

    /// The session name of an assumed-role ARN.
    public static func sessionName(_ arn: String) -> String? {
        withBytes(arn) { b in
            guard let (_, fifth) = accountColons(b), starts(b, at: fifth + 1, with: "assumed-role/") else { return nil }
            var slash = fifth + 14
            while slash < b.count && b[slash] != UInt8(ascii: "/") { slash += 1 }
            return slash < b.count ? string(b, slash + 1..<b.count) : nil
        }
    }

    /// The Identity Center permission set of an `AWSReservedSSO_<set>_<hex>` role name.
    public static func permissionSet(roleName: String) -> String? {
        withBytes(roleName) { b in
            guard starts(b, at: 0, with: "AWSReservedSSO_") else { return nil }
            var underscore = b.count - 1
            while underscore >= 15 && b[underscore] != UInt8(ascii: "_") { underscore -= 1 }
            return underscore >= 15 ? string(b, 15..<underscore) : string(b, 15..<b.count)
        }
    }

    /// The assumed-role ARN of a session: `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public static func assumedRole(roleArn: String, sessionName: String) -> String? {
        guard let account = account(roleArn), let role = roleName(roleArn) else { return nil }
        let partition: String = withBytes(roleArn) { b in
            var end = 4
            while b[end] != UInt8(ascii: ":") { end += 1 }  // an ARN that has an account has this colon
            return string(b, 4..<end)
        }
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
        // On the string's bytes in place where it has them (a native string): memchr for the first byte,
        // memcmp for the rest. Walking the UTF-8 view by index cost 2,500 instructions a search.
        if let found = text.utf8.withContiguousStorageIfAvailable({ b -> Int? in
            guard b.count >= n, n > 0, let base = b.baseAddress else { return nil }
            var i = 0
            while i + n <= b.count {
                guard let hit = memchr(base + i, Int32(needle.utf8Start[0]), b.count - n + 1 - i) else { return nil }
                let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                if memcmp(hit, needle.utf8Start, n) == 0 { return at }
                i = at + 1
            }
            return nil
        }) {
            guard let at = found else { return nil }
            let start = text.utf8.index(text.utf8.startIndex, offsetBy: at)
            return start..<text.utf8.index(start, offsetBy: n)
        }
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
