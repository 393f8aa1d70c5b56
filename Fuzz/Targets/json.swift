// Fuzz target: the JSON scanner validating a whole document.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? JSONCursor.validateDocument(UnsafeRawBufferPointer(start: data, count: size))
    // Decoding every string of the document must not trap either.
    var c = JSONCursor(base: data, count: size, isFinal: true)
    while c.pos < c.count {
        if c.base[c.pos] == UInt8(ascii: "\""), let s = try? c.readString() {
            _ = c.string(s)
        } else {
            c.pos += 1
        }
    }
    return 0
}
