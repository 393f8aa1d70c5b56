// The `sub` claim of GitHub Actions OIDC tokens, parsed for display and filtering; the identity itself
// stays the subject, verbatim.

/// `repo:acme/api:ref:refs/heads/main`, `repo:acme/api:environment:production`, `repo:acme/api:pull_request`,
/// and custom claim templates (`repository_owner:acme:repository:api:job_workflow_ref:…`): claims as
/// `key:value` pairs, `pull_request` standing alone.
public struct GitHubSubject: Sendable, Equatable {
    public var repository: String?
    public var ref: String?
    public var environment: String?
    public var pullRequest = false
    /// Every claim in order, the standard ones included.
    public var claims: [(key: String, value: String)] = []

    public static func == (a: GitHubSubject, b: GitHubSubject) -> Bool {
        a.repository == b.repository && a.ref == b.ref && a.environment == b.environment && a.pullRequest == b.pullRequest
            && a.claims.map(\.key) == b.claims.map(\.key) && a.claims.map(\.value) == b.claims.map(\.value)
    }

    public init?(_ subject: String) {
        let parts = subject.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var owner: String?
        var name: String?
        var i = 0
        while i < parts.count {
            let key = parts[i]
            if key == "pull_request" {
                pullRequest = true
                claims.append((key, ""))
                i += 1
                continue
            }
            guard i + 1 < parts.count, !key.isEmpty else { return nil }
            let value = parts[i + 1]
            claims.append((key, value))
            switch key {
            case "repo": repository = value
            case "repository_owner": owner = value
            case "repository": name = value
            case "ref": ref = value
            case "environment": environment = value
            default: break
            }
            i += 2
        }
        if repository == nil, let name {
            repository = name.contains("/") ? name : owner.map { "\($0)/\(name)" } ?? name
        }
        guard repository != nil || !claims.isEmpty else { return nil }
    }

    /// The repository alone, fast for the usual `repo:OWNER/NAME:…` subjects (queries call it per row).
    public static func repository(of subject: String) -> String? {
        let utf8 = subject.utf8
        if utf8.starts(with: "repo:".utf8) {
            let rest = utf8.index(utf8.startIndex, offsetBy: 5)
            let end = utf8[rest...].firstIndex(of: UInt8(ascii: ":")) ?? utf8.endIndex
            return rest == end ? nil : String(subject[rest..<end])
        }
        if utf8.starts(with: "arn:".utf8) { return nil }
        return GitHubSubject(subject)?.repository
    }

    /// Whether a `--who` value can name a repository: `OWNER/NAME` of GitHub's characters.
    public static func looksLikeRepository(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "-_.".unicodeScalars.contains($0)
            }
        }
    }

    /// The branch of a `refs/heads/` ref.
    public var branch: String? {
        guard let ref, ref.hasPrefix("refs/heads/") else { return nil }
        return String(ref.dropFirst("refs/heads/".count))
    }

    /// The tag of a `refs/tags/` ref.
    public var tag: String? {
        guard let ref, ref.hasPrefix("refs/tags/") else { return nil }
        return String(ref.dropFirst("refs/tags/".count))
    }

    /// What ran, in the subject's own words, without the repository: `ref:refs/heads/main`,
    /// `environment:production`, `pull_request`, or the custom claims.
    public var context: String {
        claims.filter { !["repo", "repository", "repository_owner"].contains($0.key) }
            .map { $0.value.isEmpty && $0.key == "pull_request" ? $0.key : "\($0.key):\($0.value)" }
            .joined(separator: ":")
    }
}
