// What a request names (a bucket and key, a table, a function...), as the decoder finds it in
// `requestParameters`, and the one resource it makes of them.

/// Identifiers found in `requestParameters`, from which a resource is named: where their text lies in
/// the record's bytes, made into a string only for the one that names the resource (most are not).
struct RequestIdentifiers {
    var bucketName: JSONStringSlice?
    var key: JSONStringSlice?
    var tableName: JSONStringSlice?
    var functionName: JSONStringSlice?
    var keyId: JSONStringSlice?
    var secretId: JSONStringSlice?
    var name: JSONStringSlice?
    var queueUrl: JSONStringSlice?
    var topicArn: JSONStringSlice?
    var logGroupName: JSONStringSlice?
    var roleName: JSONStringSlice?
    var userName: JSONStringSlice?
    var policyArn: JSONStringSlice?
    var instanceId: JSONStringSlice?
    var repositoryName: JSONStringSlice?
    var groupName: JSONStringSlice?
    var trailName: JSONStringSlice?

    /// The resource the request names, by the conventions of its service. `roleArn` is the request's
    /// (`MintFields.roleArn`); the slices are read through `c`, the cursor over the same record.
    func resource(eventSource: String?, roleArn: String?, _ c: JSONCursor) -> String? {
        // Most requests name none of these: then no service name is compared at all.
        guard bucketName != nil || tableName != nil || functionName != nil || keyId != nil || secretId != nil
                || name != nil || queueUrl != nil || topicArn != nil || logGroupName != nil || roleName != nil
                || userName != nil || policyArn != nil || instanceId != nil || repositoryName != nil || roleArn != nil
                || groupName != nil || trailName != nil else { return nil }
        func text(_ slice: JSONStringSlice?) -> String? { slice.map { c.string($0) } }
        switch eventSource {
        case "s3.amazonaws.com":
            if let bucketName = text(bucketName) {
                if let key = text(key) { return "\(bucketName)/\(key)" }
                return bucketName
            }
        case "dynamodb.amazonaws.com": if let tableName { return text(tableName) }
        case "lambda.amazonaws.com": if let functionName { return text(functionName) }
        case "kms.amazonaws.com": if let keyId { return text(keyId) }
        case "secretsmanager.amazonaws.com": if let secretId { return text(secretId) }
        case "ssm.amazonaws.com": if let name { return text(name) }
        case "sqs.amazonaws.com": if let queueUrl { return text(queueUrl) }
        case "sns.amazonaws.com": if let topicArn { return text(topicArn) }
        case "logs.amazonaws.com": if let logGroupName { return text(logGroupName) }
        case "iam.amazonaws.com":
            if let policyArn { return text(policyArn) }
            if let roleName { return text(roleName) }
            if let userName { return text(userName) }
            if let groupName { return text(groupName) }
        case "ec2.amazonaws.com": if let instanceId { return text(instanceId) }
        case "ecr.amazonaws.com": if let repositoryName { return text(repositoryName) }
        case "sts.amazonaws.com": if let roleArn { return roleArn }
        case "cloudtrail.amazonaws.com": if let name { return text(name) }
        default: break
        }
        if let roleArn { return roleArn }
        for candidate in [bucketName, tableName, functionName, secretId, queueUrl, topicArn, logGroupName, roleName,
                          policyArn, instanceId, repositoryName, trailName] where candidate != nil {
            return text(candidate)
        }
        return nil
    }
}
