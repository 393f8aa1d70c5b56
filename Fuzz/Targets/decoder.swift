// Fuzz target: decoding one record object, every lenient path included.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var c = JSONCursor(base: data, count: size, isFinal: true)
    if let r = try? RecordDecoder.decode(&c) {
        _ = r.resource
        if let arn = r.userIdentity.arn {
            _ = ARN.account(arn)
            _ = ARN.roleName(arn)
            _ = ARN.sessionName(arn)
        }
        if let role = r.mint.roleArn, let name = ARN.roleName(role) { _ = ARN.permissionSet(roleName: name) }
        if let t = r.eventTime { _ = EventTime.format(t) }
    }
    return 0
}
