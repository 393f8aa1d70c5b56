// Fuzz target: framing records from a stream fed in small chunks (the first byte picks the chunk size).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0] % 64) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let reader = RecordReader(source: MemorySource(bytes, chunkSize: chunk), path: "fuzz", maxRecordSize: 1 << 16,
                              chunkSize: 64)
    var count = 0
    while let record = try? reader.next() {
        count += 1
        precondition(record.offset >= 0 && record.offset + record.length <= bytes.count)
        if count > 100_000 { break }
    }
    return 0
}
