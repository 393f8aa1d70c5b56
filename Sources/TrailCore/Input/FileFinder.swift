// Finds the files to read under the paths given: folders recursively, by name; named files always.

import Foundation

public struct FoundFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtime: Int64
}

public struct FileListing: Sendable {
    public var files: [FoundFile] = []
    /// Files in folders whose names are not CloudTrail's (`.DS_Store`, READMEs).
    public var skipped = 0
    /// Paths that do not exist or cannot be read.
    public var missing: [(path: String, message: String)] = []
}

public enum FileFinder {
    static let extensions = [".json", ".jsonl", ".ndjson", ".gz"]

    public static func isCandidate(_ name: String) -> Bool {
        let lower = name.lowercased()
        return extensions.contains { lower.hasSuffix($0) }
    }

    /// The path made absolute and tidied (`./logs/../logs` is `/home/me/logs`): the store keys files by it,
    /// so that imports from another folder find them unchanged and `trail show` can read them again.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    public static func find(_ paths: [String]) -> FileListing {
        var listing = FileListing()
        var seen = Set<String>()
        for path in paths.map(absolute) {
            var st = stat()
            guard stat(path, &st) == 0 else {
                listing.missing.append((path, String(cString: strerror(errno))))
                continue
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                walk(path, into: &listing, seen: &seen)
            } else if seen.insert(path).inserted {
                listing.files.append(FoundFile(path: path, size: Int64(st.st_size), mtime: mtime(st)))
            }
        }
        return listing
    }

    static func mtime(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    private static func walk(_ root: String, into listing: inout FileListing, seen: inout Set<String>) {
        // A sorted walk keeps imports, and so the store's row order, deterministic. Each folder is read
        // through its descriptor and its entries looked up relative to it: a lookup by full path walked
        // every folder above again (re-import of an unchanged tree of 6,160 files: 42.6 -> 37.1 ms).
        var stack = [root]
        var found: [FoundFile] = []
        while let folder = stack.popLast() {
            guard let dir = opendir(folder) else {
                listing.missing.append((folder, "cannot list folder"))
                continue
            }
            defer { closedir(dir) }
            let fd = dirfd(dir)
            let prefix = folder.hasSuffix("/") ? folder : folder + "/"
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." { continue }
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let path = prefix + name
                let type = st.st_mode & S_IFMT
                if type == S_IFDIR {
                    stack.append(path)
                } else if type == S_IFREG {
                    if isCandidate(name) {
                        if seen.insert(path).inserted {
                            found.append(FoundFile(path: path, size: Int64(st.st_size), mtime: mtime(st)))
                        }
                    } else {
                        listing.skipped += 1
                    }
                } else {
                    listing.skipped += 1
                }
            }
        }
        found.sort { $0.path < $1.path }
        listing.files += found
    }
}
