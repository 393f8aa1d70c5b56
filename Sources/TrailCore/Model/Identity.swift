// Identity kinds and the ARN helpers the identity rules rely on (SPEC §3).

import Foundation

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

public enum ARN {
    /// The account of an ARN (`arn:aws:iam::123456789012:role/x` gives `123456789012`).
    public static func account(_ arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", !parts[4].isEmpty else { return nil }
        return String(parts[4])
    }

    /// The role name of a role ARN or an assumed-role ARN: the last path segment of the role.
    public static func roleName(_ arn: String) -> String? {
        guard let resourceStart = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).dropFirst(5).first
        else { return nil }
        let resource = Substring(resourceStart)
        if resource.hasPrefix("role/") {
            return resource.split(separator: "/").last.map(String.init)
        }
        if resource.hasPrefix("assumed-role/") {
            let parts = resource.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count >= 2 ? String(parts[1]) : nil
        }
        return nil
    }

    /// The session name of an assumed-role ARN.
    public static func sessionName(_ arn: String) -> String? {
        guard let range = arn.range(of: ":assumed-role/") else { return nil }
        let parts = arn[range.upperBound...].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// The Identity Center permission set of an `AWSReservedSSO_<set>_<hex>` role name.
    public static func permissionSet(roleName: String) -> String? {
        guard roleName.hasPrefix("AWSReservedSSO_") else { return nil }
        let rest = roleName.dropFirst("AWSReservedSSO_".count)
        guard let underscore = rest.lastIndex(of: "_") else { return String(rest) }
        return String(rest[..<underscore])
    }

    /// The assumed-role ARN of a session: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public static func assumedRole(roleArn: String, sessionName: String) -> String? {
        guard let account = account(roleArn), let role = roleName(roleArn) else { return nil }
        let partition = roleArn.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).dropFirst().first ?? "aws"
        return "arn:\(partition):sts::\(account):assumed-role/\(role)/\(sessionName)"
    }

    public static func isGitHubProvider(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.contains("token.actions.githubusercontent.com")
    }
}
