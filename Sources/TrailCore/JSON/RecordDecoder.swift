// Turns the bytes of one CloudTrail record into an EventRecord in a single validating pass.
//
// Only the fields trail uses are turned into values; the rest is validated and skipped. Secrets
// (sessionToken, secretAccessKey, SAML assertions, web identity tokens) are never read into memory
// as values: they are skipped like any field nobody asked for.

/// What the decoder learned about an object beyond the record itself.
public struct ObjectMarks {
    /// The object has a key that marks a record (`eventVersion`, `eventTime`, `eventName`).
    public var isRecord = false
    /// The object has a digest file's keys (`digestStartTime`, `logFiles`).
    public var isDigest = false
    /// The object holds `Records` or `Events` arrays: it is a log file, not a record.
    public var isWrapper = false
}

public enum RecordDecoder {
    /// Decodes the object at the cursor. Throws `.needMore` if the buffer ends inside it.
    public static func decode(_ c: inout JSONCursor) throws -> EventRecord {
        var record = EventRecord()
        _ = try decode(&c, into: &record)
        return record
    }

    /// Decodes the object at the cursor into `record`, which the caller owns: the importer's path, where
    /// no record is copied, moved out of a wrapper or destroyed empty.
    public static func decode(_ c: inout JSONCursor, into record: inout EventRecord) throws -> ObjectMarks {
        var marks = ObjectMarks()
        var ids = RequestIdentifiers()
        try c.beginObject()
        var first = true
        while let key = try c.nextKey(first: &first) {
            switch key.count {
            case 6:
                if c.matches(key, "Events") { marks.isWrapper = true; try c.skipValue() } else { try c.skipValue() }
            case 7:
                if c.matches(key, "eventID") { record.eventID = try readStored(&c, inPlace: &record.inPlace.eventID, intern: false) }
                else if c.matches(key, "Records") { marks.isWrapper = true; try c.skipValue() }
                else { try c.skipValue() }
            case 8:
                if c.matches(key, "readOnly") { record.readOnly = try readBool(&c) }
                else if c.matches(key, "logFiles") { marks.isDigest = true; try c.skipValue() }
                else { try c.skipValue() }
            case 9:
                if c.matches(key, "eventTime") {
                    marks.isRecord = true
                    record.eventTime = try readTime(&c)
                } else if c.matches(key, "eventName") {
                    marks.isRecord = true
                    record.eventName = try readString(&c)
                } else if c.matches(key, "eventType") {
                    record.eventType = try readStored(&c, inPlace: &record.inPlace.eventType)
                } else if c.matches(key, "errorCode") {
                    record.errorCode = try readString(&c)
                } else if c.matches(key, "awsRegion") {
                    record.awsRegion = try readStored(&c, inPlace: &record.inPlace.awsRegion)
                } else if c.matches(key, "userAgent") {
                    record.userAgent = try readStored(&c, inPlace: &record.inPlace.userAgent)
                } else if c.matches(key, "resources") {
                    record.resourceARN = try readResources(&c)
                } else { try c.skipValue() }
            case 11:
                if c.matches(key, "eventSource") { record.eventSource = try readString(&c) }
                else { try c.skipValue() }
            case 12:
                if c.matches(key, "eventVersion") {
                    // It marks a record; its value is used nowhere, so it is not made into a string.
                    marks.isRecord = true
                    try c.skipValue()
                } else if c.matches(key, "userIdentity") {
                    record.hasUserIdentity = try readUserIdentity(&c, into: &record.userIdentity)
                } else { try c.skipValue() }
            case 13:
                if c.matches(key, "sharedEventID") { record.sharedEventID = try readString(&c, intern: false) }
                else { try c.skipValue() }
            case 15:
                if c.matches(key, "sourceIPAddress") { record.sourceIPAddress = try readString(&c) }
                else if c.matches(key, "digestStartTime") { marks.isDigest = true; try c.skipValue() }
                else { try c.skipValue() }
            case 16:
                if c.matches(key, "responseElements") { try readResponse(&c, into: &record) }
                else { try c.skipValue() }
            case 17:
                if c.matches(key, "requestParameters") { try readRequest(&c, into: &record.mint, ids: &ids) }
                else { try c.skipValue() }
            case 18:
                if c.matches(key, "recipientAccountId") { record.recipientAccountId = try readString(&c) }
                else { try c.skipValue() }
            case 19:
                if c.matches(key, "additionalEventData") { try readAdditional(&c, into: &record) }
                else if c.matches(key, "serviceEventDetails") { try readServiceEventDetails(&c, into: &record) }
                else { try c.skipValue() }
            default:
                try c.skipValue()
            }
        }
        record.requestResource = ids.resource(eventSource: record.eventSource, roleArn: record.mint.roleArn, c)
        return marks
    }

    // MARK: Lenient scalars

    /// A string; a number or boolean as its text; nil for null, objects and arrays.
    @inline(__always)
    static func readString(_ c: inout JSONCursor, intern: Bool = true) throws -> String? {
        let b = try c.peek()
        switch b {
        case UInt8(ascii: "\""):
            let s = try c.readString()
            return c.string(s, intern: intern)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let r = try c.readNumber()
            return String(decoding: UnsafeBufferPointer(start: c.base + r.lowerBound, count: r.count), as: UTF8.self)
        case UInt8(ascii: "t"):
            try c.skipValue()
            return "true"
        case UInt8(ascii: "f"):
            try c.skipValue()
            return "false"
        default:
            try c.skipValue()
            return nil
        }
    }

    /// A field that is only stored: with `keepsStoredTextInPlace`, a plain string (no escapes) is left
    /// where it is, its slice in `inPlace` and no string made; anything else is read by `readString`.
    @inline(__always)
    static func readStored(_ c: inout JSONCursor, inPlace: inout JSONStringSlice?, intern: Bool = true) throws -> String? {
        inPlace = nil
        if c.keepsStoredTextInPlace, try c.peek() == UInt8(ascii: "\"") {
            let s = try c.readString()
            if !s.hasEscapes {
                inPlace = s
                return nil
            }
            return c.string(s, intern: intern)
        }
        return try readString(&c, intern: intern)
    }

    /// Like `readString`, but an empty string is nil.
    @inline(__always)
    static func readNonEmpty(_ c: inout JSONCursor) throws -> String? {
        guard let s = try readString(&c), !s.isEmpty else { return nil }
        return s
    }

    /// Where `readString`'s text lies: a string's (escapes not yet decoded), or a number's or a literal's
    /// bytes; nil for null, objects and arrays.
    @inline(__always)
    static func readSlice(_ c: inout JSONCursor) throws -> JSONStringSlice? {
        switch try c.peek() {
        case UInt8(ascii: "\""):
            return try c.readString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let r = try c.readNumber()
            return JSONStringSlice(start: r.lowerBound, end: r.upperBound, hasEscapes: false)
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let start = c.pos
            try c.skipValue()
            return JSONStringSlice(start: start, end: c.pos, hasEscapes: false)
        default:
            try c.skipValue()
            return nil
        }
    }

    /// `true` or `false`, as a literal or a string in any case; anything else is nil.
    static func readBool(_ c: inout JSONCursor) throws -> Bool? {
        let b = try c.peek()
        if b == UInt8(ascii: "t") || b == UInt8(ascii: "f") {
            try c.skipValue()  // validated: only `true` or `false` begin so
            return b == UInt8(ascii: "t")
        }
        guard b == UInt8(ascii: "\"") else {
            try c.skipValue()
            return nil
        }
        let s = try c.readString()
        if !s.hasEscapes {
            // ASCII letters fold to lower case with 0x20; "true" and "false" hold no other bytes.
            func folded(_ word: StaticString) -> Bool {
                guard s.count == word.utf8CodeUnitCount else { return false }
                for i in 0..<s.count where c.base[s.start + i] | 0x20 != word.utf8Start[i] { return false }
                return true
            }
            return folded("true") ? true : folded("false") ? false : nil
        }
        switch c.string(s, intern: false).lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    static func readInt(_ c: inout JSONCursor) throws -> Int64? {
        guard let s = try readString(&c) else { return nil }
        if let v = Int64(s) { return v }
        if let d = Double(s), d.isFinite, abs(d) < 9e18 { return Int64(d) }
        return nil
    }

    static func readTime(_ c: inout JSONCursor) throws -> Int64? {
        if try c.peek() == UInt8(ascii: "\"") {
            let s = try c.readString()
            if !s.hasEscapes {
                return EventTime.parseISO(UnsafeBufferPointer(start: c.base + s.start, count: s.count))
            }
            return EventTime.parseISO(c.string(s))
        }
        try c.skipValue()
        return nil
    }

    /// Enters an object if the value is one; skips anything else and returns false.
    @inline(__always)
    static func enterObject(_ c: inout JSONCursor) throws -> Bool {
        if try c.peek() == UInt8(ascii: "{") {
            try c.beginObject()
            return true
        }
        try c.skipValue()
        return false
    }

    // MARK: userIdentity

    static func readUserIdentity(_ c: inout JSONCursor, into u: inout UserIdentity) throws -> Bool {
        guard try enterObject(&c) else { return false }
        var first = true
        while let key = try c.nextKey(first: &first) {
            if c.matches(key, "type") { u.type = try readNonEmpty(&c) }
            else if c.matches(key, "principalId") { u.principalId = try readNonEmpty(&c) }
            else if c.matches(key, "arn") { u.arn = try readNonEmpty(&c) }
            else if c.matches(key, "accountId") { u.accountId = try readNonEmpty(&c) }
            else if c.matches(key, "accessKeyId") { u.accessKeyId = try readNonEmpty(&c) }
            else if c.matches(key, "userName") { u.userName = try readNonEmpty(&c) }
            else if c.matches(key, "invokedBy") { u.invokedBy = try readNonEmpty(&c) }
            else if c.matches(key, "identityProvider") { u.identityProvider = try readNonEmpty(&c) }
            else if c.matches(key, "credentialId") { u.credentialId = try readNonEmpty(&c) }
            else if c.matches(key, "onBehalfOf") {
                if try enterObject(&c) {
                    var f = true
                    while let k = try c.nextKey(first: &f) {
                        if c.matches(k, "userId") { u.onBehalfOfUserId = try readNonEmpty(&c) }
                        else if c.matches(k, "identityStoreArn") { u.identityStoreArn = try readNonEmpty(&c) }
                        else { try c.skipValue() }
                    }
                }
            } else if c.matches(key, "sessionContext") {
                try readSessionContext(&c, into: &u)
            } else {
                try c.skipValue()
            }
        }
        return true
    }

    static func readSessionContext(_ c: inout JSONCursor, into u: inout UserIdentity) throws {
        guard try enterObject(&c) else { return }
        var first = true
        while let key = try c.nextKey(first: &first) {
            if c.matches(key, "sessionIssuer") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    if c.matches(k, "type") { u.issuerType = try readNonEmpty(&c) }
                    else if c.matches(k, "arn") { u.issuerArn = try readNonEmpty(&c) }
                    else if c.matches(k, "userName") { u.issuerUserName = try readNonEmpty(&c) }
                    else if c.matches(k, "accountId") { u.issuerAccountId = try readNonEmpty(&c) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "webIdFederationData") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    if c.matches(k, "federatedProvider") { u.federatedProvider = try readNonEmpty(&c) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "attributes") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    if c.matches(k, "creationDate") { u.creationDate = try readTime(&c) }
                    else if c.matches(k, "mfaAuthenticated") { u.mfaAuthenticated = try readBool(&c) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "sourceIdentity") {
                u.sourceIdentity = try readNonEmpty(&c)
            } else {
                try c.skipValue()
            }
        }
    }

    // MARK: requestParameters and responseElements

    static func readRequest(_ c: inout JSONCursor, into m: inout MintFields, ids: inout RequestIdentifiers) throws {
        guard try enterObject(&c) else { return }
        var first = true
        while let key = try c.nextKey(first: &first) {
            switch key.count {
            case 3:
                if c.matches(key, "key") { ids.key = try readSlice(&c) } else { try c.skipValue() }
            case 4:
                if c.matches(key, "name") {
                    let v = try readSlice(&c)
                    ids.name = v
                    m.federationName = v.map { c.string($0) }
                } else { try c.skipValue() }
            case 5:
                if c.matches(key, "keyId") { ids.keyId = try readSlice(&c) } else { try c.skipValue() }
            case 7:
                if c.matches(key, "roleArn") { m.roleArn = try readNonEmpty(&c) } else { try c.skipValue() }
            case 8:
                if c.matches(key, "secretId") { ids.secretId = try readSlice(&c) }
                else if c.matches(key, "queueUrl") { ids.queueUrl = try readSlice(&c) }
                else if c.matches(key, "topicArn") { ids.topicArn = try readSlice(&c) }
                else if c.matches(key, "roleName") { ids.roleName = try readSlice(&c) }
                else if c.matches(key, "userName") { ids.userName = try readSlice(&c) }
                else { try c.skipValue() }
            case 9:
                if c.matches(key, "tableName") { ids.tableName = try readSlice(&c) }
                else if c.matches(key, "policyArn") { ids.policyArn = try readSlice(&c) }
                else if c.matches(key, "groupName") { ids.groupName = try readSlice(&c) }
                else { try c.skipValue() }
            case 10:
                if c.matches(key, "bucketName") { ids.bucketName = try readSlice(&c) }
                else if c.matches(key, "instanceId") { ids.instanceId = try readSlice(&c) }
                else { try c.skipValue() }
            case 12:
                if c.matches(key, "functionName") { ids.functionName = try readSlice(&c) }
                else if c.matches(key, "logGroupName") { ids.logGroupName = try readSlice(&c) }
                else if c.matches(key, "instancesSet") { ids.instanceId = try readInstancesSet(&c) }
                else if c.matches(key, "principalArn") { m.principalArn = try readNonEmpty(&c) }
                else { try c.skipValue() }
            case 14:
                if c.matches(key, "repositoryName") { ids.repositoryName = try readSlice(&c) }
                else if c.matches(key, "sourceIdentity") { m.sourceIdentity = try readNonEmpty(&c) }
                else { try c.skipValue() }
            case 15:
                if c.matches(key, "roleSessionName") { m.roleSessionName = try readNonEmpty(&c) }
                else if c.matches(key, "durationSeconds") { m.durationSeconds = try readInt(&c) }
                else { try c.skipValue() }
            default:
                try c.skipValue()
            }
        }
    }

    /// EC2's `instancesSet.items[0].instanceId`.
    static func readInstancesSet(_ c: inout JSONCursor) throws -> JSONStringSlice? {
        var found: JSONStringSlice?
        guard try enterObject(&c) else { return nil }
        var first = true
        while let key = try c.nextKey(first: &first) {
            guard c.matches(key, "items"), try c.peek() == UInt8(ascii: "[") else { try c.skipValue(); continue }
            try c.beginArray()
            var f = true
            while try c.nextElement(first: &f) {
                if found != nil { try c.skipValue(); continue }
                guard try enterObject(&c) else { continue }
                var g = true
                while let k = try c.nextKey(first: &g) {
                    if c.matches(k, "instanceId") { found = try readSlice(&c) } else { try c.skipValue() }
                }
            }
        }
        return found
    }

    static func readResponse(_ c: inout JSONCursor, into r: inout EventRecord) throws {
        guard try enterObject(&c) else { return }
        var first = true
        while let key = try c.nextKey(first: &first) {
            if c.matches(key, "credentials") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    // sessionToken and secretAccessKey fall through to skipValue: never kept.
                    if c.matches(k, "accessKeyId") { r.mint.accessKeyId = try readNonEmpty(&c) }
                    else if c.matches(k, "expiration") { r.mint.expiration = try readString(&c).flatMap(EventTime.parseExpiration) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "assumedRoleUser") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    if c.matches(k, "assumedRoleId") { r.mint.assumedRoleId = try readNonEmpty(&c) }
                    else if c.matches(k, "arn") { r.mint.assumedRoleArn = try readNonEmpty(&c) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "federatedUser") {
                guard try enterObject(&c) else { continue }
                var f = true
                while let k = try c.nextKey(first: &f) {
                    if c.matches(k, "arn") { r.mint.federatedUserArn = try readNonEmpty(&c) }
                    else { try c.skipValue() }
                }
            } else if c.matches(key, "subjectFromWebIdentityToken") {
                r.mint.subjectFromWebIdentityToken = try readNonEmpty(&c)
            } else if c.matches(key, "provider") {
                r.mint.provider = try readNonEmpty(&c)
            } else if c.matches(key, "audience") {
                r.mint.audience = try readNonEmpty(&c)
            } else if c.matches(key, "subject") {
                r.mint.subject = try readNonEmpty(&c)
            } else if c.matches(key, "subjectType") {
                r.mint.subjectType = try readNonEmpty(&c)
            } else if c.matches(key, "issuer") {
                r.mint.issuer = try readNonEmpty(&c)
            } else if c.matches(key, "sourceIdentity") {
                r.mint.responseSourceIdentity = try readNonEmpty(&c)
            } else if c.matches(key, "ConsoleLogin") {
                r.consoleLoginResult = try readNonEmpty(&c)
            } else {
                try c.skipValue()
            }
        }
    }

    static func readAdditional(_ c: inout JSONCursor, into r: inout EventRecord) throws {
        guard try enterObject(&c) else { return }
        var first = true
        while let key = try c.nextKey(first: &first) {
            if c.matches(key, "MFAUsed") { r.mfaUsed = try readNonEmpty(&c) } else { try c.skipValue() }
        }
    }

    static func readServiceEventDetails(_ c: inout JSONCursor, into r: inout EventRecord) throws {
        guard try enterObject(&c) else { return }
        var first = true
        while let key = try c.nextKey(first: &first) {
            if c.matches(key, "role_name") { r.ssoRoleName = try readNonEmpty(&c) }
            else if c.matches(key, "account_id") { r.ssoAccountId = try readNonEmpty(&c) }
            else { try c.skipValue() }
        }
    }

    /// The first `ARN` (or `arn`) of `resources`.
    static func readResources(_ c: inout JSONCursor) throws -> String? {
        guard try c.peek() == UInt8(ascii: "[") else { try c.skipValue(); return nil }
        try c.beginArray()
        var found: String?
        var first = true
        while try c.nextElement(first: &first) {
            if found != nil { try c.skipValue(); continue }
            guard try enterObject(&c) else { continue }
            var f = true
            while let k = try c.nextKey(first: &f) {
                if c.matches(k, "ARN") || c.matches(k, "arn") { found = try readNonEmpty(&c) } else { try c.skipValue() }
            }
        }
        return found
    }
}
