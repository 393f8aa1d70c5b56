// Builds CloudTrail records shaped like AWS's own, for the sample logs, scenario tests and the benchmark.

import Foundation
import TrailCore

/// Temporary credentials a minting record returned, and what later records signed by them carry.
public struct Credentials: Sendable {
    public var key: String
    public var roleArn: String
    public var sessionName: String
    public var created: Int64
    public var roleId: String
    public var federatedProvider: String?
    public var sourceIdentity: String?

    public init(key: String, roleArn: String, sessionName: String, created: Int64, roleId: String,
                federatedProvider: String? = nil, sourceIdentity: String? = nil) {
        self.key = key
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.created = created
        self.roleId = roleId
        self.federatedProvider = federatedProvider
        self.sourceIdentity = sourceIdentity
    }

    public var account: String { ARN.account(roleArn) ?? "" }
    public var roleName: String { ARN.roleName(roleArn) ?? "" }
    public var assumedRoleArn: String { "arn:aws:sts::\(account):assumed-role/\(roleName)/\(sessionName)" }
}

/// Who signs a call.
public enum Caller: Sendable {
    case iamUser(account: String, name: String, key: String)
    case root(account: String, key: String?)
    case session(Credentials)
    case consoleSession(Credentials)
    case service(String)
    case account(String)
    case federated(account: String, name: String, key: String, userArn: String, created: Int64)
}

public struct GeneratedRecord: Sendable {
    /// The account whose trail receives the record.
    public var account: String
    public var region: String
    public var time: Int64
    public var eventID: String
    public var text: String
}

public final class TrailBuilder {
    public var rng: SeededRandom
    public private(set) var records: [GeneratedRecord] = []
    /// Alternate the two `expiration` formats AWS has used.
    public var expirationWithComma = false

    public init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Nov 29, 2018 4:31:59 AM` or `Nov 30, 2024, 8:43:17 PM`.
    public static func expiration(_ t: Int64, comma: Bool) -> String {
        let iso = EventTime.format(t)
        let y = iso.prefix(4), mo = Int(iso.dropFirst(5).prefix(2))!, d = Int(iso.dropFirst(8).prefix(2))!
        let h = Int(iso.dropFirst(11).prefix(2))!, rest = iso.dropFirst(13).prefix(6)
        let hour12 = h % 12 == 0 ? 12 : h % 12
        return "\(monthNames[mo - 1]) \(d), \(y)\(comma ? "," : "") \(hour12)\(rest) \(h < 12 ? "AM" : "PM")"
    }

    func userIdentity(_ caller: Caller) -> JSONValue {
        switch caller {
        case .iamUser(let account, let name, let key):
            return .obj([("type", "IAMUser"), ("principalId", .string("AIDA" + String(key.dropFirst(4)))),
                         ("arn", .string("arn:aws:iam::\(account):user/\(name)")), ("accountId", .string(account)),
                         ("accessKeyId", .string(key)), ("userName", .string(name))])
        case .root(let account, let key):
            return .obj([("type", "Root"), ("principalId", .string(account)), ("arn", .string("arn:aws:iam::\(account):root")),
                         ("accountId", .string(account)), ("accessKeyId", JSONValue.str(key))])
        case .session(let c), .consoleSession(let c):
            var webId: JSONValue = .object([])
            if let provider = c.federatedProvider {
                webId = .obj([("federatedProvider", .string(provider)), ("attributes", .object([]))])
            }
            let isConsole: Bool
            if case .consoleSession = caller { isConsole = true } else { isConsole = false }
            return .obj([
                ("type", "AssumedRole"), ("principalId", .string("\(c.roleId):\(c.sessionName)")),
                ("arn", .string(c.assumedRoleArn)), ("accountId", .string(c.account)),
                ("accessKeyId", isConsole ? nil : .string(c.key)),
                ("sessionContext", .obj([
                    ("sessionIssuer", .obj([("type", "Role"), ("principalId", .string(c.roleId)), ("arn", .string(c.roleArn)),
                                            ("accountId", .string(c.account)), ("userName", .string(c.roleName))])),
                    ("webIdFederationData", webId),
                    ("attributes", .obj([("creationDate", .string(EventTime.format(c.created))), ("mfaAuthenticated", "false")])),
                    ("sourceIdentity", JSONValue.str(c.sourceIdentity)),
                ])),
            ])
        case .service(let principal):
            return .obj([("type", "AWSService"), ("invokedBy", .string(principal))])
        case .account(let account):
            return .obj([("type", "AWSAccount"), ("principalId", .string("AROA\(account.prefix(8))EXAMPLE:caller")),
                         ("accountId", .string(account))])
        case .federated(let account, let name, let key, let userArn, let created):
            return .obj([
                ("type", "FederatedUser"), ("principalId", .string("\(account):\(name)")),
                ("arn", .string("arn:aws:sts::\(account):federated-user/\(name)")), ("accountId", .string(account)),
                ("accessKeyId", .string(key)),
                ("sessionContext", .obj([
                    ("sessionIssuer", .obj([("type", "IAMUser"), ("principalId", "AIDAEXAMPLEFEDERATED"), ("arn", .string(userArn)),
                                            ("accountId", .string(account)), ("userName", .string(String(userArn.split(separator: "/").last ?? "")))])),
                    ("attributes", .obj([("creationDate", .string(EventTime.format(created))), ("mfaAuthenticated", "false")])),
                ])),
            ])
        }
    }

    func callerAccount(_ caller: Caller) -> String {
        switch caller {
        case .iamUser(let a, _, _), .root(let a, _), .account(let a), .federated(let a, _, _, _, _): return a
        case .session(let c), .consoleSession(let c): return c.account
        case .service: return ""
        }
    }

    /// Adds one record; returns its eventID.
    @discardableResult
    public func emit(time: Int64, recipient: String, region: String, caller: Caller, identity: JSONValue? = nil,
                     service: String, action: String,
                     ip: String, userAgent: String = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
                     request: JSONValue? = nil, response: JSONValue? = nil, errorCode: String? = nil,
                     readOnly: Bool = true, eventType: String = "AwsApiCall", resources: [String] = [],
                     sharedEventID: String? = nil, additional: JSONValue? = nil,
                     serviceEventDetails: JSONValue? = nil) -> String {
        let eventID = rng.uuid()
        var pairs: [(String, JSONValue?)] = [
            ("eventVersion", "1.09"), ("userIdentity", identity ?? userIdentity(caller)), ("eventTime", .string(EventTime.format(time))),
            ("eventSource", .string(service)), ("eventName", .string(action)), ("awsRegion", .string(region)),
            ("sourceIPAddress", .string(ip)), ("userAgent", .string(userAgent)),
        ]
        if let errorCode {
            pairs.append(("errorCode", .string(errorCode)))
            pairs.append(("errorMessage", .string("User is not authorized to perform: \(action)")))
        }
        pairs.append(("requestParameters", request ?? .null))
        pairs.append(("responseElements", response ?? .null))
        if let additional { pairs.append(("additionalEventData", additional)) }
        pairs += [("requestID", .string(rng.uuid())), ("eventID", .string(eventID)), ("readOnly", .bool(readOnly))]
        if !resources.isEmpty {
            pairs.append(("resources", .array(resources.map { arn in
                .obj([("accountId", JSONValue.str(ARN.account(arn))), ("type", "AWS::IAM::Role"), ("ARN", .string(arn))])
            })))
        }
        pairs += [("eventType", .string(eventType)), ("managementEvent", true), ("recipientAccountId", .string(recipient))]
        if let sharedEventID { pairs.append(("sharedEventID", .string(sharedEventID))) }
        if let serviceEventDetails { pairs.append(("serviceEventDetails", serviceEventDetails)) }
        pairs.append(("eventCategory", "Management"))
        if !service.hasPrefix("signin") {
            pairs.append(("tlsDetails", .obj([("tlsVersion", "TLSv1.3"), ("cipherSuite", "TLS_AES_128_GCM_SHA256"),
                                              ("clientProvidedHostHeader", .string(service.replacingOccurrences(of: ".amazonaws.com", with: ".\(region).amazonaws.com")))])))
        }
        records.append(GeneratedRecord(account: recipient, region: region, time: time, eventID: eventID,
                                       text: JSONValue.obj(pairs).text))
        return eventID
    }

    /// Takes back the last record made (to deliver it elsewhere, or later).
    @discardableResult
    public func removeLastRecord() -> GeneratedRecord {
        records.removeLast()
    }

    /// Forgets the records made so far (after they were written out).
    public func removeAllRecords() {
        records.removeAll(keepingCapacity: true)
    }

    func credentials(_ key: String, expires: Int64) -> JSONValue {
        expirationWithComma.toggle()
        return .obj([("accessKeyId", .string(key)),
                     ("sessionToken", .string("IQoJb3JpZ2luX2VjE" + rng.accessKey("SECRETTOKEN") + "///EXAMPLE=")),
                     ("expiration", .string(TrailBuilder.expiration(expires, comma: expirationWithComma)))])
    }

    func roleId(_ roleArn: String) -> String {
        var h: UInt64 = 1469598103934665603
        for b in roleArn.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "AROA" + String((0..<17).map { i in alphabet[Int((h >> UInt64(i * 3)) % 32)] })
    }

    // MARK: Minting

    /// `AssumeRoleWithWebIdentity` from a GitHub Actions job (or another OIDC provider).
    @discardableResult
    public func assumeRoleWithWebIdentity(time: Int64, roleArn: String, subject: String, region: String = "us-east-1",
                                          ip: String, provider: String = "token.actions.githubusercontent.com",
                                          sessionName: String? = nil, denied: Bool = false) -> Credentials? {
        let account = ARN.account(roleArn) ?? ""
        let providerArn = "arn:aws:iam::\(account):oidc-provider/\(provider)"
        let name = sessionName ?? "GitHubActions-\(rng.int(1_000_000...9_999_999))"
        let caller: JSONValue = .obj([("type", "WebIdentityUser"),
                                      ("principalId", .string("\(providerArn):sts.amazonaws.com:\(subject)")),
                                      ("userName", .string(subject)), ("identityProvider", .string(providerArn))])
        let key = rng.accessKey("ASIA")
        let creds = Credentials(key: key, roleArn: roleArn, sessionName: name, created: time, roleId: roleId(roleArn),
                                federatedProvider: providerArn)
        let eventID = rng.uuid()
        var pairs: [(String, JSONValue?)] = [
            ("eventVersion", "1.08"), ("userIdentity", caller), ("eventTime", .string(EventTime.format(time))),
            ("eventSource", "sts.amazonaws.com"), ("eventName", "AssumeRoleWithWebIdentity"), ("awsRegion", .string(region)),
            ("sourceIPAddress", .string(ip)), ("userAgent", "aws-sdk-js/3.658.1 ua/2.1 os/linux#6.8.0 lang/js md/nodejs#20.18.0 api/sts#3.658.1 configure-aws-credentials"),
        ]
        if denied {
            pairs += [("errorCode", "AccessDenied"), ("errorMessage", "Not authorized to perform sts:AssumeRoleWithWebIdentity")]
        }
        pairs.append(("requestParameters", .obj([("roleArn", .string(roleArn)), ("roleSessionName", .string(name)),
                                                 ("durationSeconds", 3600)])))
        if denied {
            pairs.append(("responseElements", .null))
        } else {
            pairs.append(("responseElements", .obj([
                ("credentials", credentials(key, expires: time + 3600)), ("subjectFromWebIdentityToken", .string(subject)),
                ("assumedRoleUser", .obj([("assumedRoleId", .string("\(creds.roleId):\(name)")), ("arn", .string(creds.assumedRoleArn))])),
                ("provider", .string(providerArn)), ("audience", "sts.amazonaws.com"),
            ])))
        }
        pairs += [("additionalEventData", .obj([("identityProviderConnectionVerificationMethod", "IAMTrustStore")])),
                  ("requestID", .string(rng.uuid())), ("eventID", .string(eventID)), ("readOnly", true),
                  ("resources", .array([.obj([("accountId", .string(account)), ("type", "AWS::IAM::Role"), ("ARN", .string(roleArn))])])),
                  ("eventType", "AwsApiCall"), ("managementEvent", true), ("recipientAccountId", .string(account)),
                  ("eventCategory", "Management")]
        records.append(GeneratedRecord(account: account, region: region, time: time, eventID: eventID, text: JSONValue.obj(pairs).text))
        return denied ? nil : creds
    }

    /// `AssumeRoleWithSAML`: Identity Center (an `AWSReservedSSO_` role) or another IdP.
    @discardableResult
    public func assumeRoleWithSAML(time: Int64, roleArn: String, user: String, region: String = "us-east-1", ip: String,
                                   issuer: String = "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/EXAMPLE") -> Credentials {
        let account = ARN.account(roleArn) ?? ""
        let key = rng.accessKey("ASIA")
        let creds = Credentials(key: key, roleArn: roleArn, sessionName: user, created: time, roleId: roleId(roleArn))
        // SAML callers are logged as SAMLUser, not as any Caller of later calls.
        let samlUser = JSONValue.obj([("type", "SAMLUser"), ("principalId", .string("EXAMPLEqualifier=:\(user)")),
                                      ("userName", .string(user)), ("identityProvider", "EXAMPLEqualifier=")])
        emit(time: time, recipient: account, region: region, caller: .service("sts.amazonaws.com"), identity: samlUser,
             service: "sts.amazonaws.com", action: "AssumeRoleWithSAML", ip: ip,
             request: .obj([("sAMLAssertionID", .string("_" + rng.uuid())), ("roleSessionName", .string(user)),
                            ("durationSeconds", 43200), ("roleArn", .string(roleArn)),
                            ("principalArn", .string("arn:aws:iam::\(account):saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"))]),
             response: .obj([("subjectType", "persistent"), ("issuer", .string(issuer)),
                             ("credentials", credentials(key, expires: time + 43200)), ("nameQualifier", "EXAMPLEqualifier="),
                             ("assumedRoleUser", .obj([("assumedRoleId", .string("\(creds.roleId):\(user)")), ("arn", .string(creds.assumedRoleArn))])),
                             ("subject", .string(user)), ("audience", "https://signin.aws.amazon.com/saml")]),
             resources: [roleArn])
        return creds
    }

    /// `AssumeRole` by any caller. Across accounts, the target account's trail gets its own copy with
    /// `userIdentity` of type AWSAccount and the same `sharedEventID`.
    @discardableResult
    public func assumeRole(time: Int64, caller: Caller, roleArn: String, sessionName: String, region: String = "us-east-1",
                           ip: String, sourceIdentity: String? = nil, denied: Bool = false) -> Credentials? {
        let target = ARN.account(roleArn) ?? ""
        let key = rng.accessKey("ASIA")
        var inherited = sourceIdentity
        if case .session(let c) = caller, inherited == nil { inherited = c.sourceIdentity }
        let creds = Credentials(key: key, roleArn: roleArn, sessionName: sessionName, created: time, roleId: roleId(roleArn),
                                sourceIdentity: inherited)
        let request = JSONValue.obj([("roleArn", .string(roleArn)), ("roleSessionName", .string(sessionName)),
                                     ("durationSeconds", 3600), ("sourceIdentity", JSONValue.str(sourceIdentity))])
        var response: JSONValue? = nil
        if !denied {
            var pairs: [(String, JSONValue?)] = [("credentials", credentials(key, expires: time + 3600))]
            if case .service = caller {} else {
                pairs.append(("assumedRoleUser", .obj([("assumedRoleId", .string("\(creds.roleId):\(sessionName)")),
                                                        ("arn", .string(creds.assumedRoleArn))])))
            }
            pairs.append(("sourceIdentity", JSONValue.str(inherited)))
            response = .obj(pairs)
        }
        let source = callerAccount(caller)
        let crossAccount = !source.isEmpty && source != target
        let shared = crossAccount ? rng.uuid() : nil
        let ip = { if case .service(let s) = caller { return s } else { return ip } }()
        emit(time: time, recipient: source.isEmpty ? target : source, region: region, caller: caller,
             service: "sts.amazonaws.com", action: "AssumeRole", ip: ip, request: request, response: response,
             errorCode: denied ? "AccessDenied" : nil, resources: [roleArn], sharedEventID: shared)
        if crossAccount {
            emit(time: time, recipient: target, region: region, caller: .account(source), service: "sts.amazonaws.com",
                 action: "AssumeRole", ip: ip, request: request, response: response,
                 errorCode: denied ? "AccessDenied" : nil, resources: [roleArn], sharedEventID: shared)
        }
        return denied ? nil : creds
    }

    /// `GetSessionToken` or `GetFederationToken` by an IAM user: credentials with no role.
    public func getSessionToken(time: Int64, user: Caller, region: String = "us-east-1", ip: String) -> String {
        let key = rng.accessKey("ASIA")
        guard case .iamUser(let account, _, _) = user else { fatalError("GetSessionToken needs an IAM user") }
        emit(time: time, recipient: account, region: region, caller: user, service: "sts.amazonaws.com",
             action: "GetSessionToken", ip: ip, request: .obj([("durationSeconds", 3600)]),
             response: .obj([("credentials", credentials(key, expires: time + 3600))]))
        return key
    }

    public func getFederationToken(time: Int64, user: Caller, name: String, region: String = "us-east-1", ip: String) -> Caller {
        let key = rng.accessKey("ASIA")
        guard case .iamUser(let account, let userName, _) = user else { fatalError("GetFederationToken needs an IAM user") }
        emit(time: time, recipient: account, region: region, caller: user, service: "sts.amazonaws.com",
             action: "GetFederationToken", ip: ip,
             request: .obj([("name", .string(name)), ("policy", "{\"Version\":\"2012-10-17\",\"Statement\":[]}")]),
             response: .obj([("credentials", credentials(key, expires: time + 3600)),
                             ("federatedUser", .obj([("federatedUserId", .string("\(account):\(name)")),
                                                     ("arn", .string("arn:aws:sts::\(account):federated-user/\(name)"))])),
                             ("packedPolicySize", 5)]))
        return .federated(account: account, name: name, key: key, userArn: "arn:aws:iam::\(account):user/\(userName)", created: time)
    }

    // MARK: Sign-in and Identity Center

    public func consoleLogin(time: Int64, caller: Caller, recipient: String, mfa: Bool, ip: String, failed: Bool = false) {
        emit(time: time, recipient: recipient, region: "us-east-1", caller: caller, service: "signin.amazonaws.com",
             action: "ConsoleLogin", ip: ip,
             userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
             response: .obj([("ConsoleLogin", .string(failed ? "Failure" : "Success"))]),
             errorCode: failed ? "Failed authentication" : nil, readOnly: false, eventType: "AwsConsoleSignIn",
             additional: .obj([("LoginTo", "https://console.aws.amazon.com/console/home"), ("MobileVersion", "No"),
                               ("MFAUsed", .string(mfa ? "Yes" : "No"))]))
    }

    /// Identity Center's `GetRoleCredentials` in the old schema (`Unknown` with `userName`) or the new
    /// one (`IdentityCenterUser` with `onBehalfOf.userId` only).
    public func ssoGetRoleCredentials(time: Int64, managementAccount: String, user: String, userId: String,
                                      newSchema: Bool, roleName: String, account: String, ip: String) {
        let identity: JSONValue = newSchema
            ? .obj([("type", "IdentityCenterUser"), ("accountId", .string(managementAccount)),
                    ("onBehalfOf", .obj([("userId", .string(userId)),
                                         ("identityStoreArn", "arn:aws:identitystore::111111111111:identitystore/d-1234567890")])),
                    ("credentialId", .string(rng.uuid()))])
            : .obj([("type", "Unknown"), ("principalId", .string(userId)), ("accountId", .string(managementAccount)),
                    ("userName", .string(user))])
        let eventID = rng.uuid()
        let pairs: [(String, JSONValue?)] = [
            ("eventVersion", "1.08"), ("userIdentity", identity), ("eventTime", .string(EventTime.format(time))),
            ("eventSource", "sso.amazonaws.com"), ("eventName", "GetRoleCredentials"), ("awsRegion", "us-east-1"),
            ("sourceIPAddress", .string(ip)), ("userAgent", "aws-cli/2.15.30"),
            ("requestParameters", .null), ("responseElements", .null),
            ("requestID", .string(rng.uuid())), ("eventID", .string(eventID)), ("readOnly", true),
            ("eventType", "AwsServiceEvent"), ("managementEvent", true), ("recipientAccountId", .string(managementAccount)),
            ("serviceEventDetails", .obj([("role_name", .string(roleName)), ("account_id", .string(account))])),
            ("eventCategory", "Management"),
        ]
        records.append(GeneratedRecord(account: managementAccount, region: "us-east-1", time: time, eventID: eventID,
                                       text: JSONValue.obj(pairs).text))
    }
}
