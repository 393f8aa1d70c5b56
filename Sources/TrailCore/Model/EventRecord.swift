// The typed CloudTrail record: the fields trail uses, read leniently, with every secret left behind.

/// The parts of `userIdentity` that identify the caller (SPEC §3).
public struct UserIdentity: Sendable, Equatable {
    public var type: String?
    public var principalId: String?
    public var arn: String?
    public var accountId: String?
    public var accessKeyId: String?
    public var userName: String?
    public var invokedBy: String?
    public var identityProvider: String?
    public var credentialId: String?
    /// `onBehalfOf.userId` and `onBehalfOf.identityStoreArn` (Identity Center's newer schema).
    public var onBehalfOfUserId: String?
    public var identityStoreArn: String?
    /// `sessionContext.sessionIssuer`.
    public var issuerType: String?
    public var issuerArn: String?
    public var issuerUserName: String?
    public var issuerAccountId: String?
    /// `sessionContext.webIdFederationData.federatedProvider`.
    public var federatedProvider: String?
    /// `sessionContext.attributes.creationDate`, seconds since 1970.
    public var creationDate: Int64?
    public var mfaAuthenticated: Bool?
    public var sourceIdentity: String?

    public init() {}
}

/// The STS request and response fields that mint a session.
public struct MintFields: Sendable, Equatable {
    public var roleArn: String?
    public var roleSessionName: String?
    public var durationSeconds: Int64?
    public var sourceIdentity: String?
    public var principalArn: String?
    /// GetFederationToken's `name`.
    public var federationName: String?
    public var accessKeyId: String?
    public var expiration: Int64?
    public var assumedRoleId: String?
    public var assumedRoleArn: String?
    public var subjectFromWebIdentityToken: String?
    public var provider: String?
    public var audience: String?
    public var subject: String?
    public var subjectType: String?
    public var issuer: String?
    public var federatedUserArn: String?
    public var responseSourceIdentity: String?

    public init() {}
}

/// One CloudTrail record.
public struct EventRecord: Sendable, Equatable {
    public var eventID: String?
    /// `eventTime`, seconds since 1970; nil when missing or unreadable.
    public var eventTime: Int64?
    public var eventSource: String?
    public var eventName: String?
    public var eventType: String?
    public var awsRegion: String?
    public var sourceIPAddress: String?
    public var userAgent: String?
    public var errorCode: String?
    public var recipientAccountId: String?
    public var sharedEventID: String?
    public var readOnly: Bool?
    public var userIdentity = UserIdentity()
    public var hasUserIdentity = false
    public var mint = MintFields()
    /// The first ARN of `resources`.
    public var resourceARN: String?
    /// The request's own identifier of what it touched (bucket and key, table, function…).
    public var requestResource: String?
    /// `additionalEventData.MFAUsed` of console sign-ins.
    public var mfaUsed: String?
    /// `responseElements.ConsoleLogin` (Success / Failure).
    public var consoleLoginResult: String?
    /// Identity Center's `serviceEventDetails.role_name` and `account_id`.
    public var ssoRoleName: String?
    public var ssoAccountId: String?

    /// For the importer, the fields that are only stored, where their text lies in the bytes the record
    /// was read from (`FramedRecord.inPlaceBase`), when it was kept there instead of in the string field.
    public struct InPlace: Sendable, Equatable {
        /// Unique to each record: left in place, it is no string made and freed per record.
        public var eventID: JSONStringSlice?
        public var awsRegion: JSONStringSlice?
        public var eventType: JSONStringSlice?
        public var userAgent: JSONStringSlice?
        public init() {}
    }
    public var inPlace = InPlace()

    public init() {}

    /// The resource this event touched, best first.
    public var resource: String? { resourceARN ?? requestResource }
}
