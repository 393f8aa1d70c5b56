// The story behind SampleLogs/: a small organisation with GitHub Actions, Identity Center users, a
// leftover IAM user, service roles, a role chain across three accounts and a denied fork.
//
// It also keeps the answers trail must find, counted as the records are made, for the tests.

import TrailCore

public struct SampleScenario {
    public static let prod = "111111111111"
    public static let staging = "222222222222"
    public static let tooling = "333333333333"
    public static let management = "999999999999"
    public static let start: Int64 = EventTime.parseISO("2026-11-02T08:00:00Z")!

    /// What `trail who --role ROLE` must say of one identity.
    public struct WhoRow: Equatable, Sendable {
        public var kind: String
        public var sessions = 0
        public var denied = 0
        public var calls = 0
        public var accounts: Set<String> = []
    }

    public let builder: TrailBuilder
    /// role name -> identity -> expected row.
    public private(set) var who: [String: [String: WhoRow]] = [:]
    /// Long-lived keys and the calls they signed.
    public private(set) var keys: [String: Int] = [:]
    /// Identity -> the chain of role ARNs of its deepest session.
    public private(set) var chains: [String: [String]] = [:]
    public private(set) var hostileEventID = ""

    public init(seed: UInt64 = 20261102, days: Int = 5) {
        builder = TrailBuilder(seed: seed)
        build(days: days)
    }

    mutating func count(_ role: String, _ identity: String, kind: String, account: String,
                        sessions: Int = 0, denied: Int = 0, calls: Int = 0) {
        var row = who[role, default: [:]][identity] ?? WhoRow(kind: kind)
        row.sessions += sessions
        row.denied += denied
        row.calls += calls
        row.accounts.insert(account)
        who[role, default: [:]][identity] = row
    }

    /// Calls signed by a session, counted for the session's role and identity.
    mutating func calls(_ creds: Credentials, identity: String, kind: String, at time: Int64, count n: Int,
                        region: String = "us-east-1", ip: String,
                        actions: [(String, String, JSONValue?)]) {
        let b = builder
        for i in 0..<n {
            let (service, action, request) = actions[i % actions.count]
            b.emit(time: time + Int64(5 + i * 7), recipient: creds.account, region: region, caller: .session(creds),
                   service: service, action: action, ip: ip, request: request,
                   readOnly: action.hasPrefix("Get") || action.hasPrefix("List") || action.hasPrefix("Describe"))
        }
        count(creds.roleName, identity, kind: kind, account: creds.account, calls: n)
    }

    mutating func build(days: Int) {
        let b = builder
        let githubRoleProd = "arn:aws:iam::\(Self.prod):role/GitHubOIDC"
        let githubRoleStaging = "arn:aws:iam::\(Self.staging):role/GitHubOIDC"
        let githubRoleTooling = "arn:aws:iam::\(Self.tooling):role/GitHubOIDC"
        let deployRole = "arn:aws:iam::\(Self.prod):role/TerraformDeploy"
        let networkRole = "arn:aws:iam::\(Self.staging):role/NetworkAdmin"
        let adminSet = "arn:aws:iam::\(Self.prod):role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_4c1a2b3d4e5f6a7b"
        let readOnlyProd = "arn:aws:iam::\(Self.prod):role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_0f1e2d3c4b5a6978"
        let readOnlyStaging = "arn:aws:iam::\(Self.staging):role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_8a9b0c1d2e3f4a5b"
        let lambdaRole = "arn:aws:iam::\(Self.prod):role/orders-api-lambda-role"
        let githubIPs = ["4.175.114.51", "20.42.11.18", "52.238.25.61", "172.183.51.160"]

        let deployActions: [(String, String, JSONValue?)] = [
            ("ecr.amazonaws.com", "GetAuthorizationToken", nil),
            ("ecr.amazonaws.com", "PutImage", .obj([("repositoryName", "acme/api"), ("imageTag", "latest")])),
            ("ecs.amazonaws.com", "UpdateService", .obj([("cluster", "prod"), ("service", "api")])),
            ("s3.amazonaws.com", "PutObject", .obj([("bucketName", "acme-artifacts"), ("key", "api/build.zip")])),
            ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", .obj([("functionName", "orders-api")])),
        ]
        let testActions: [(String, String, JSONValue?)] = [
            ("s3.amazonaws.com", "GetObject", .obj([("bucketName", "acme-test-fixtures"), ("key", "seed.sql")])),
            ("dynamodb.amazonaws.com", "Query", .obj([("tableName", "orders-staging")])),
        ]
        let webActions: [(String, String, JSONValue?)] = [
            ("s3.amazonaws.com", "PutObject", .obj([("bucketName", "acme-web-assets"), ("key", "index.html")])),
            ("cloudfront.amazonaws.com", "CreateInvalidation", .obj([("distributionId", "E2EXAMPLE")])),
        ]
        let readActions: [(String, String, JSONValue?)] = [
            ("ec2.amazonaws.com", "DescribeInstances", nil),
            ("s3.amazonaws.com", "ListBuckets", nil),
            ("cloudwatch.amazonaws.com", "GetMetricData", nil),
            ("logs.amazonaws.com", "FilterLogEvents", .obj([("logGroupName", "/aws/lambda/orders-api")])),
        ]

        for day in 0..<days {
            let t0 = Self.start + Int64(day) * 86400

            // acme/api: deploys from main every day, a tag release on day 1, pull requests to staging.
            let mainSub = "repo:acme/api:ref:refs/heads/main"
            for run in 0..<3 {
                let t = t0 + Int64(run) * 7200 + 600
                let creds = b.assumeRoleWithWebIdentity(time: t, roleArn: githubRoleProd, subject: mainSub, ip: githubIPs[run % 4])!
                count("GitHubOIDC", mainSub, kind: "github-actions", account: Self.prod, sessions: 1)
                calls(creds, identity: mainSub, kind: "github-actions", at: t, count: 5, ip: githubIPs[run % 4], actions: deployActions)
            }
            if day == 1 {
                let tagSub = "repo:acme/api:ref:refs/tags/v1.4.0"
                let t = t0 + 30000
                let creds = b.assumeRoleWithWebIdentity(time: t, roleArn: githubRoleProd, subject: tagSub, ip: githubIPs[1])!
                count("GitHubOIDC", tagSub, kind: "github-actions", account: Self.prod, sessions: 1)
                calls(creds, identity: tagSub, kind: "github-actions", at: t, count: 5, ip: githubIPs[1], actions: deployActions)
            }
            let prSub = "repo:acme/api:pull_request"
            for run in 0..<4 {
                let t = t0 + Int64(run) * 3000 + 1200
                let creds = b.assumeRoleWithWebIdentity(time: t, roleArn: githubRoleStaging, subject: prSub, ip: githubIPs[(run + 2) % 4])!
                count("GitHubOIDC", prSub, kind: "github-actions", account: Self.staging, sessions: 1)
                calls(creds, identity: prSub, kind: "github-actions", at: t, count: 2, ip: githubIPs[(run + 2) % 4], actions: testActions)
            }

            // acme/web deploys through its production environment.
            let webSub = "repo:acme/web:environment:production"
            do {
                let t = t0 + 14000
                let creds = b.assumeRoleWithWebIdentity(time: t, roleArn: githubRoleProd, subject: webSub, ip: githubIPs[3])!
                count("GitHubOIDC", webSub, kind: "github-actions", account: Self.prod, sessions: 1)
                calls(creds, identity: webSub, kind: "github-actions", at: t, count: 2, ip: githubIPs[3], actions: webActions)
            }

            // acme/infra: tooling's GitHubOIDC, then TerraformDeploy in prod, then NetworkAdmin in staging.
            let infraSub = "repo:acme/infra:ref:refs/heads/main"
            do {
                let t = t0 + 20000
                let first = b.assumeRoleWithWebIdentity(time: t, roleArn: githubRoleTooling, subject: infraSub, ip: githubIPs[0])!
                count("GitHubOIDC", infraSub, kind: "github-actions", account: Self.tooling, sessions: 1)
                let second = b.assumeRole(time: t + 20, caller: .session(first), roleArn: deployRole,
                                          sessionName: "terraform", ip: githubIPs[0], sourceIdentity: "acme-infra-ci")!
                count("GitHubOIDC", infraSub, kind: "github-actions", account: Self.tooling, calls: 1)
                count("TerraformDeploy", infraSub, kind: "github-actions", account: Self.prod, sessions: 1)
                calls(second, identity: infraSub, kind: "github-actions", at: t + 30, count: 3, ip: githubIPs[0], actions: [
                    ("iam.amazonaws.com", "GetRole", .obj([("roleName", "orders-api-lambda-role")])),
                    ("ec2.amazonaws.com", "DescribeVpcs", nil),
                ])
                let third = b.assumeRole(time: t + 60, caller: .session(second), roleArn: networkRole,
                                         sessionName: "terraform-network", ip: githubIPs[0])!
                count("TerraformDeploy", infraSub, kind: "github-actions", account: Self.prod, calls: 1)
                count("NetworkAdmin", infraSub, kind: "github-actions", account: Self.staging, sessions: 1)
                calls(third, identity: infraSub, kind: "github-actions", at: t + 70, count: 2, ip: githubIPs[0], actions: [
                    ("ec2.amazonaws.com", "CreateRoute", nil), ("ec2.amazonaws.com", "DescribeRouteTables", nil),
                ])
                chains[infraSub] = [githubRoleTooling, deployRole, networkRole]
            }

            // Identity Center: alice administers prod from the console, bob reads prod and staging.
            do {
                let t = t0 + 3600
                b.ssoGetRoleCredentials(time: t - 5, managementAccount: Self.management, user: "alice@example.com",
                                        userId: "94482488-3041-7026-18f0-6589c9a2ab5b", newSchema: false,
                                        roleName: "AdministratorAccess", account: Self.prod, ip: "198.51.100.7")
                let creds = b.assumeRoleWithSAML(time: t, roleArn: adminSet, user: "alice@example.com", ip: "198.51.100.7")
                count("AWSReservedSSO_AdministratorAccess_4c1a2b3d4e5f6a7b", "alice@example.com", kind: "sso",
                      account: Self.prod, sessions: 1)
                b.consoleLogin(time: t + 1, caller: .consoleSession(creds), recipient: Self.prod, mfa: true, ip: "198.51.100.7")
                count("AWSReservedSSO_AdministratorAccess_4c1a2b3d4e5f6a7b", "alice@example.com", kind: "sso",
                      account: Self.prod, calls: 1)
                calls(creds, identity: "alice@example.com", kind: "sso", at: t + 60, count: 4, ip: "198.51.100.7", actions: [
                    ("iam.amazonaws.com", "CreatePolicyVersion", .obj([("policyArn", "arn:aws:iam::111111111111:policy/deploy")])),
                    ("secretsmanager.amazonaws.com", "GetSecretValue", .obj([("secretId", "prod/db-password")])),
                ])
            }
            for (i, role) in [readOnlyProd, readOnlyStaging].enumerated() {
                let t = t0 + 5000 + Int64(i) * 900
                b.ssoGetRoleCredentials(time: t - 5, managementAccount: Self.management, user: "bob@example.com",
                                        userId: "c4a8f4e2-9071-70c3-5d1e-3f2e8b1a9c0d", newSchema: true,
                                        roleName: "ReadOnlyAccess", account: ARN.account(role)!, ip: "203.0.113.40")
                let creds = b.assumeRoleWithSAML(time: t, roleArn: role, user: "bob@example.com", ip: "203.0.113.40")
                let name = ARN.roleName(role)!
                count(name, "bob@example.com", kind: "sso", account: ARN.account(role)!, sessions: 1)
                calls(creds, identity: "bob@example.com", kind: "sso", at: t, count: 4, region: "eu-west-1",
                      ip: "203.0.113.40", actions: readActions)
            }

            // The Lambda function's role, assumed by the service.
            do {
                let t = t0 + 9000
                let creds = b.assumeRole(time: t, caller: .service("lambda.amazonaws.com"), roleArn: lambdaRole,
                                         sessionName: "orders-api", ip: "lambda.amazonaws.com")!
                count("orders-api-lambda-role", "lambda.amazonaws.com", kind: "aws-service", account: Self.prod, sessions: 1)
                calls(creds, identity: "lambda.amazonaws.com", kind: "aws-service", at: t, count: 6, ip: "3.80.12.9", actions: [
                    ("dynamodb.amazonaws.com", "PutItem", .obj([("tableName", "orders")])),
                    ("sqs.amazonaws.com", "SendMessage", .obj([("queueUrl", "https://sqs.us-east-1.amazonaws.com/111111111111/orders")])),
                    ("kms.amazonaws.com", "Decrypt", .obj([("keyId", "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")])),
                ])
            }

            // The leftover IAM user with a long-lived key, and the session and federation tokens it mints.
            let akia = "AKIAIOSFODNN7LEGACY1"
            let user = Caller.iamUser(account: Self.prod, name: "legacy-deployer", key: akia)
            for i in 0..<5 {
                b.emit(time: t0 + 40000 + Int64(i) * 60, recipient: Self.prod, region: "us-east-1", caller: user,
                       service: "s3.amazonaws.com", action: i % 2 == 0 ? "PutObject" : "ListBuckets", ip: "192.0.2.10",
                       request: i % 2 == 0 ? .obj([("bucketName", "acme-backups"), ("key", .string("db/\(day)-\(i).dump"))]) : nil,
                       readOnly: i % 2 == 1)
            }
            keys[akia, default: 0] += 5
            if day == 0 {
                let sessionKey = b.getSessionToken(time: t0 + 41000, user: user, ip: "192.0.2.10")
                keys[akia, default: 0] += 1
                for i in 0..<2 {
                    b.emit(time: t0 + 41100 + Int64(i), recipient: Self.prod, region: "us-east-1",
                           caller: .iamUser(account: Self.prod, name: "legacy-deployer", key: sessionKey),
                           service: "s3.amazonaws.com", action: "GetObject", ip: "192.0.2.10",
                           request: .obj([("bucketName", "acme-backups"), ("key", "db/latest.dump")]))
                }
                let federated = b.getFederationToken(time: t0 + 42000, user: user, name: "vendor-support", ip: "192.0.2.10")
                keys[akia, default: 0] += 1
                b.emit(time: t0 + 42100, recipient: Self.prod, region: "us-east-1", caller: federated,
                       service: "s3.amazonaws.com", action: "GetObject", ip: "198.18.0.55",
                       request: .obj([("bucketName", "acme-backups"), ("key", "db/latest.dump")]))
            }

            // A fork tries the production role and is denied; its user agent carries a terminal escape.
            if day == 2 {
                let forkSub = "repo:evil-org/acme-api-fork:pull_request"
                b.assumeRoleWithWebIdentity(time: t0 + 50000, roleArn: githubRoleProd, subject: forkSub, ip: "185.220.101.4",
                                            denied: true)
                count("GitHubOIDC", forkSub, kind: "github-actions", account: Self.prod, denied: 1)
                hostileEventID = b.emit(time: t0 + 50010, recipient: Self.prod, region: "us-east-1",
                                        caller: .account("444444444444"), service: "s3.amazonaws.com", action: "GetObject",
                                        ip: "185.220.101.4", userAgent: "curl/8.5 \u{1B}]0;owned\u{07}\u{1B}[2J",
                                        request: .obj([("bucketName", "=HYPERLINK(\"http://x.example/\")"), ("key", "a")]),
                                        errorCode: "AccessDenied")
            }
        }

        // A batch job whose session was minted before these logs begin: an orphan.
        let orphan = Credentials(key: "ASIAORPHANBATCH00001", roleArn: "arn:aws:iam::\(Self.prod):role/LegacyBatchRole",
                                 sessionName: "nightly-batch", created: Self.start - 1800, roleId: "AROAORPHANBATCHROLE01")
        calls(orphan, identity: orphan.assumedRoleArn, kind: "unknown", at: Self.start + 100, count: 3, ip: "10.0.4.20",
              actions: [("s3.amazonaws.com", "GetObject", .obj([("bucketName", "acme-reports"), ("key", "daily.csv")]))])
        count("LegacyBatchRole", orphan.assumedRoleArn, kind: "unknown", account: Self.prod, sessions: 1)
        // The root user signs in without MFA once.
        b.consoleLogin(time: Self.start + 70000, caller: .root(account: Self.staging, key: nil), recipient: Self.staging,
                       mfa: false, ip: "203.0.113.99")
    }
}
