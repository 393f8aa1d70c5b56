// The error every reading stage throws: which file, where in it, and what went wrong.

/// Where a problem sits: a byte offset in the compressed file or in the decompressed stream,
/// and the index of the record being read when it is known.
public struct InputLocation: Sendable, Equatable {
    public enum Space: String, Sendable { case compressed, decompressed }
    public var offset: Int
    public var space: Space
    public var recordIndex: Int?

    public init(offset: Int, space: Space, recordIndex: Int? = nil) {
        self.offset = offset
        self.space = space
        self.recordIndex = recordIndex
    }

    public var description: String {
        var text = "byte \(offset)"
        if space == .compressed { text += " (compressed)" }
        if let recordIndex { text += ", record \(recordIndex)" }
        return text
    }
}

/// A file that cannot be read whole. Its `description` is the one-line message of SPEC §1.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case io, notGzip, corruptGzip, truncated, invalidJSON, tooDeep, tooLarge, notCloudTrail
    }
    public var code: Code
    public var path: String
    public var location: InputLocation?
    public var message: String

    public init(_ code: Code, path: String = "", location: InputLocation? = nil, _ message: String) {
        self.code = code
        self.path = path
        self.location = location
        self.message = message
    }

    public var description: String {
        var text = path.isEmpty ? "" : "\(path): "
        if let location { text += "\(location.description): " }
        return text + message
    }
}
