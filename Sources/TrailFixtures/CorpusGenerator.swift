// A large, realistic trail for the benchmark and the crash tests: ten accounts, four regions, five-minute
// deliveries, GitHub Actions, Identity Center users, service roles, role chains and long-lived keys.

import Foundation
import TrailCore

public struct CorpusGenerator {
    public let seed: UInt64
    public var accounts: [String]
    public let regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
    public var start: Int64 = EventTime.parseISO("2026-10-01T00:00:00Z")!

    public init(seed: UInt64 = 1) {
        self.seed = seed
        accounts = (1...10).map { String(format: "%012d", 100_000_000_000 + $0 * 11_111) }
    }

    static let repositories = ["acme/api", "acme/web", "acme/infra", "acme/billing", "acme/search", "acme/mobile-backend",
                               "acme/data-pipeline", "acme/auth", "acme/docs", "acme/terraform-modules"]
    static let refs = ["ref:refs/heads/main", "ref:refs/heads/develop", "pull_request", "environment:production",
                       "environment:staging", "ref:refs/tags/v2.3.1"]
    static let users = (1...30).map { "user\($0)@example.com" }
    static let permissionSets = ["AdministratorAccess_4c1a2b3d4e5f6a7b", "ReadOnlyAccess_0f1e2d3c4b5a6978",
                                 "PowerUserAccess_9a8b7c6d5e4f3a2b"]
    static let services = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "config.amazonaws.com"]

    static let actions: [(String, String, (inout SeededRandom) -> JSONValue?)] = [
        ("s3.amazonaws.com", "GetObject", { r in .obj([("bucketName", .string("acme-data-\(r.int(1...20))")), ("key", .string("objects/\(r.int(1...99999)).json")), ("Host", "s3.amazonaws.com")]) }),
        ("s3.amazonaws.com", "PutObject", { r in .obj([("bucketName", .string("acme-data-\(r.int(1...20))")), ("key", .string("uploads/\(r.uuid()).bin")), ("x-amz-acl", "private")]) }),
        ("s3.amazonaws.com", "ListObjects", { r in .obj([("bucketName", .string("acme-data-\(r.int(1...20))")), ("prefix", "logs/"), ("list-type", "2")]) }),
        ("dynamodb.amazonaws.com", "Query", { r in .obj([("tableName", .string("orders-\(r.int(1...5))")), ("keyConditionExpression", "pk = :pk"), ("limit", 100)]) }),
        ("dynamodb.amazonaws.com", "PutItem", { r in .obj([("tableName", .string("orders-\(r.int(1...5))"))]) }),
        ("kms.amazonaws.com", "Decrypt", { r in .obj([("encryptionAlgorithm", "SYMMETRIC_DEFAULT"), ("keyId", .string("arn:aws:kms:us-east-1:111111111111:key/\(r.uuid())"))]) }),
        ("sts.amazonaws.com", "GetCallerIdentity", { _ in nil }),
        ("ec2.amazonaws.com", "DescribeInstances", { r in .obj([("instancesSet", .obj([("items", .array([.obj([("instanceId", .string("i-0\(r.int(100000...999999))abcdef"))])]))])), ("filterSet", .object([]))]) }),
        ("logs.amazonaws.com", "PutLogEvents", { r in .obj([("logGroupName", .string("/aws/lambda/fn-\(r.int(1...40))")), ("logStreamName", .string("2026/10/01/[$LATEST]\(r.uuid())"))]) }),
        ("secretsmanager.amazonaws.com", "GetSecretValue", { r in .obj([("secretId", .string("prod/service-\(r.int(1...30))"))]) }),
        ("ssm.amazonaws.com", "GetParameter", { r in .obj([("name", .string("/app/config/\(r.int(1...50))")), ("withDecryption", true)]) }),
        ("sqs.amazonaws.com", "SendMessage", { r in .obj([("queueUrl", .string("https://sqs.us-east-1.amazonaws.com/111111111111/queue-\(r.int(1...9))"))]) }),
        ("lambda.amazonaws.com", "Invoke", { r in .obj([("functionName", .string("fn-\(r.int(1...40))"))]) }),
        ("ecr.amazonaws.com", "BatchGetImage", { r in .obj([("repositoryName", .string("service-\(r.int(1...12))")), ("imageIds", .array([.obj([("imageTag", "latest")])]))]) }),
        ("iam.amazonaws.com", "GetRole", { r in .obj([("roleName", .string("role-\(r.int(1...25))"))]) }),
    ]

    /// Writes about `records` records under `root`; returns files written and uncompressed bytes.
    @discardableResult
    public func write(records target: Int, to root: URL, compress: Bool = true) throws -> (files: Int, bytes: Int) {
        try generate(to: root, compress: compress) { records, _ in records >= target }
    }

    /// Writes about `bytes` bytes of uncompressed JSON under `root`.
    @discardableResult
    public func write(bytes target: Int, to root: URL, compress: Bool = true) throws -> (files: Int, bytes: Int) {
        try generate(to: root, compress: compress) { _, bytes in bytes >= target }
    }

    private func generate(to root: URL, compress: Bool, done: (Int, Int) -> Bool) throws -> (files: Int, bytes: Int) {
        let b = TrailBuilder(seed: seed)
        var treeRng = SeededRandom(seed: seed ^ 0x5EED)
        var writer = TreeWriter(organization: "o-corpus0001")
        writer.compress = compress
        var active: [(Caller, Credentials?, String)] = []
        var files = 0, bytes = 0, records = 0
        var window = start
        let keys = accounts.map { a in (a, "AKIA" + String(a.suffix(12)) + "EXMP") }
        while !done(records, bytes) {
            let count = 4000 + b.rng.int(0...2000)
            for i in 0..<count {
                let t = window + Int64(i * 300 / count)
                step(b, time: t, active: &active, keys: keys)
            }
            if active.count > 2000 { active.removeFirst(active.count - 2000) }
            records += b.records.count
            let written = try writer.write(b.records, to: root, rng: &treeRng)
            files += written.files.count
            bytes += written.bytes
            b.removeAllRecords()
            window += 300
        }
        return (files, bytes)
    }

    private func step(_ b: TrailBuilder, time t: Int64, active: inout [(Caller, Credentials?, String)], keys: [(String, String)]) {
        let dice = b.rng.int(0...999)
        let account = b.rng.pick(accounts)
        let region = b.rng.pick(regions)
        let ip = b.rng.ip()
        switch dice {
        case 0..<25:
            let subject = "repo:\(b.rng.pick(Self.repositories)):\(b.rng.pick(Self.refs))"
            if let c = b.assumeRoleWithWebIdentity(time: t, roleArn: "arn:aws:iam::\(account):role/GitHubOIDC", subject: subject,
                                                   region: region, ip: ip) {
                active.append((.session(c), c, ip))
            }
        case 25..<28:
            b.assumeRoleWithWebIdentity(time: t, roleArn: "arn:aws:iam::\(account):role/GitHubOIDC",
                                        subject: "repo:fork-\(b.rng.int(1...99))/api:pull_request", region: region, ip: ip, denied: true)
        case 28..<45:
            let set = b.rng.pick(Self.permissionSets)
            let role = "arn:aws:iam::\(account):role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_\(set)"
            let c = b.assumeRoleWithSAML(time: t, roleArn: role, user: b.rng.pick(Self.users), region: region, ip: ip)
            active.append((.session(c), c, ip))
        case 45..<75:
            let service = b.rng.pick(Self.services)
            if let c = b.assumeRole(time: t, caller: .service(service), roleArn: "arn:aws:iam::\(account):role/\(service.prefix(3))-role-\(b.rng.int(1...15))",
                                    sessionName: "s-\(b.rng.int(1000...9999))", region: region, ip: service) {
                active.append((.session(c), c, ip))
            }
        case 75..<85:
            if let (caller, _, _) = active.randomElement(using: &b.rng), case .session = caller {
                let target = b.rng.pick(accounts)
                if let c = b.assumeRole(time: t, caller: caller, roleArn: "arn:aws:iam::\(target):role/CrossAccountDeploy",
                                        sessionName: "chain-\(b.rng.int(1...999))", region: region, ip: ip) {
                    active.append((.session(c), c, ip))
                }
            }
        case 85..<185:
            let (a, key) = b.rng.pick(keys)
            let (service, action, request) = b.rng.pick(Self.actions)
            b.emit(time: t, recipient: a, region: region, caller: .iamUser(account: a, name: "ci-user", key: key),
                   service: service, action: action, ip: "192.0.2.\(b.rng.int(1...50))", request: request(&b.rng))
        default:
            // A session calls from the address it was started from, as pipelines and people do.
            guard let (caller, creds, origin) = active.randomElement(using: &b.rng), let creds else { return }
            let (service, action, request) = b.rng.pick(Self.actions)
            let failed = b.rng.int(0...99) < 3
            b.emit(time: t, recipient: creds.account, region: region, caller: caller, service: service, action: action,
                   ip: origin.contains(".amazonaws.com") ? ip : origin, request: request(&b.rng), errorCode: failed ? "AccessDenied" : nil,
                   readOnly: action.hasPrefix("Get") || action.hasPrefix("List") || action.hasPrefix("Describe"))
        }
    }
}
