// The identity rules of SPEC §3 that need nothing but the record itself.

public enum MintAction: String, CaseIterable, Sendable {
    case assumeRole = "AssumeRole"
    case assumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
    case assumeRoleWithSAML = "AssumeRoleWithSAML"
    case getSessionToken = "GetSessionToken"
    case getFederationToken = "GetFederationToken"

    public init?(eventSource: String?, eventName: String?) {
        guard eventSource == nil || eventSource == "sts.amazonaws.com", let eventName else { return nil }
        self.init(rawValue: eventName)
    }

    /// Sessions of these actions carry a role; GetSessionToken and GetFederationToken ones do not.
    public var assumesRole: Bool {
        self == .assumeRole || self == .assumeRoleWithWebIdentity || self == .assumeRoleWithSAML
    }
}

public enum IdentityRules {
    /// Identity Center's own services, whose events name the portal user.
    static let identityCenterSources: Set<String> = [
        "sso.amazonaws.com", "signin.amazonaws.com", "sso-directory.amazonaws.com",
        "identitystore.amazonaws.com", "portal.sso.amazonaws.com", "sso-oauth.amazonaws.com",
        "identitystore-auth.amazonaws.com",
    ]

    /// The origin of the web identity behind a WebIdentityUser record: the `sub` claim.
    static func webIdentityOrigin(_ r: EventRecord) -> Origin? {
        let u = r.userIdentity
        var subject = r.mint.subjectFromWebIdentityToken ?? u.userName
        let providerText = r.mint.provider ?? u.identityProvider ?? u.principalId
        if subject == nil, let principal = u.principalId {
            // principalId is `<provider>:<audience>:<sub>`; the sub itself may hold colons.
            let parts = principal.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 { subject = String(parts[2]) }
            if ARN.isGitHubProvider(principal), let range = ARN.firstRange(principal, ":repo:") {
                subject = String(principal[principal.index(after: range.lowerBound)...])
            }
        }
        guard let subject else { return nil }
        return Origin(subject, ARN.isGitHubProvider(providerText) ? .githubActions : .webIdentity)
    }

    /// The origin of a SAML federation: Identity Center when the role is an AWSReservedSSO_ one.
    static func samlOrigin(_ r: EventRecord) -> Origin? {
        guard let subject = r.mint.roleSessionName ?? r.mint.subject ?? r.userIdentity.userName else { return nil }
        let role = r.mint.roleArn.flatMap(ARN.roleName) ?? ""
        return Origin(subject, role.hasPrefix("AWSReservedSSO_") ? .sso : .saml)
    }

    /// The origin a record names by itself, with `direct` attribution; nil for role and federated
    /// sessions, which are resolved through their access key.
    public static func directOrigin(_ r: EventRecord) -> Origin? {
        let u = r.userIdentity
        let account = u.accountId ?? r.recipientAccountId ?? ""
        switch u.type {
        case "IAMUser":
            if let arn = u.arn { return Origin(arn, .iamUser) }
            if let name = u.userName { return Origin("arn:aws:iam::\(account):user/\(name)", .iamUser) }
            return Origin(u.principalId ?? "arn:aws:iam::\(account):user/", .iamUser)
        case "Root":
            return Origin(u.arn ?? "arn:aws:iam::\(account):root", .root)
        case "AWSService":
            return Origin(u.invokedBy ?? r.sourceIPAddress ?? "unknown-service", .awsService)
        case "AWSAccount":
            return Origin("account:\(u.accountId ?? account)", .awsAccount)
        case "SAMLUser":
            return samlOrigin(r)
        case "WebIdentityUser":
            return webIdentityOrigin(r)
        case "IdentityCenterUser":
            if let name = u.userName ?? u.onBehalfOfUserId { return Origin(name, .sso) }
            return nil
        case "Unknown":
            if let name = u.userName ?? u.onBehalfOfUserId,
               r.eventSource.map(identityCenterSources.contains) ?? true {
                return Origin(name, .sso)
            }
            return nil
        case "AssumedRole", "FederatedUser":
            return nil
        case nil:
            if r.hasUserIdentity, let invokedBy = u.invokedBy { return Origin(invokedBy, .awsService) }
            return nil
        default:
            return nil
        }
    }

    /// The origin of a session a record signs without a minting record in sight (an orphan, SPEC §3):
    /// Identity Center roles are `sso`, GitHub web identity sessions `github-actions`, the rest `unknown`.
    public static func orphanOrigin(roleArn: String?, sessionName: String?, assumedRoleArn: String?,
                                    federatedProvider: String?) -> Origin {
        let role = roleArn.flatMap(ARN.roleName) ?? assumedRoleArn.flatMap(ARN.roleName) ?? ""
        let fallbackArn = assumedRoleArn
            ?? roleArn.flatMap { arn in sessionName.flatMap { ARN.assumedRole(roleArn: arn, sessionName: $0) } }
            ?? roleArn ?? "unknown"
        if role.hasPrefix("AWSReservedSSO_"), let name = sessionName ?? assumedRoleArn.flatMap(ARN.sessionName) {
            return Origin(name, .sso)
        }
        if ARN.isGitHubProvider(federatedProvider) { return Origin(fallbackArn, .githubActions) }
        return Origin(fallbackArn, .unknown)
    }

    /// The attribution of an event from its own fields: the direct origin, or for a role session the
    /// orphan fallback (used until its session is linked). Nil for records with no identity (Insights).
    public static func ownAttribution(_ r: EventRecord) -> (Origin, Attribution)? {
        let u = r.userIdentity
        // Most records are a role session's: its own ARN is the fallback unless an Identity Center role's
        // (whose name the ARNs then hold), decided without making the role's and the session's names
        // (1,700 instructions a record, a quarter of packing it).
        if u.type == "AssumedRole", !(u.issuerArn.map { ARN.contains($0, "AWSReservedSSO_") } ?? false),
           !(u.arn.map { ARN.contains($0, "AWSReservedSSO_") } ?? false) {
            return (Origin(u.arn ?? u.issuerArn ?? "unknown", ARN.isGitHubProvider(u.federatedProvider) ? .githubActions : .unknown),
                    .inferred)
        }
        if let origin = directOrigin(r) { return (origin, .direct) }
        switch u.type {
        case "AssumedRole":
            let origin = orphanOrigin(roleArn: u.issuerArn, sessionName: u.arn.flatMap(ARN.sessionName),
                                      assumedRoleArn: u.arn, federatedProvider: u.federatedProvider)
            return (origin, .inferred)
        case "FederatedUser":
            return (Origin(u.arn ?? u.principalId ?? "unknown", .unknown), .inferred)
        default:
            guard r.hasUserIdentity else { return nil }
            return (Origin(u.arn ?? u.principalId ?? u.type ?? "unknown", .unknown), .inferred)
        }
    }

    /// For a successful minting record: the origin of the session when its caller is not itself a
    /// session (web identity, SAML, IAM users, root, services, other accounts).
    public static func mintedOrigin(_ r: EventRecord) -> Origin? {
        guard let action = MintAction(eventSource: r.eventSource, eventName: r.eventName) else { return nil }
        switch action {
        case .assumeRoleWithWebIdentity: return webIdentityOrigin(r)
        case .assumeRoleWithSAML: return samlOrigin(r)
        default: return directOrigin(r)
        }
    }
}
