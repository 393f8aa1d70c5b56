// Fuzz target: the streaming gzip reader on arbitrary bytes (through a file, as trail reads them).

import Glibc

let path = "/dev/shm/trail-fuzz-gzip-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
    _ = write(fd, data, size)
    close(fd)
    guard let reader = try? GzipReader(path: path, inputSize: 64) else { return 0 }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1000, alignment: 16)
    defer { buffer.deallocate() }
    var total = 0
    while let n = try? reader.read(into: buffer), n > 0 {
        total += n
        if total > 64 << 20 { break }  // a zip bomb is not a crash
    }
    return 0
}
