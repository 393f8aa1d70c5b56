// The saved queries: the built-in copies match Queries/, and each states what it does.

import Foundation
import Testing
@testable import TrailCore

@Suite struct SavedQueriesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Queries")

    @Test func theBinaryCarriesExactlyTheFilesOfQueries() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".sql") }
        #expect(Set(names.map { String($0.dropLast(4)) }) == Set(BuiltinQueries.all.keys),
                "run Scripts/embed-queries")
        for name in names {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
            #expect(BuiltinQueries.all[String(name.dropLast(4))] == text.trimmingCharacters(in: .newlines),
                    "\(name) changed: run Scripts/embed-queries")
        }
    }

    @Test func everyQueryHasADescriptionAndItsParameters() throws {
        #expect(BuiltinQueries.all.count >= 8)
        for (name, sql) in BuiltinQueries.all {
            let query = SavedQuery(name: name, sql: sql, origin: "built-in")
            #expect(!query.description.isEmpty, "\(name)")
            #expect(!query.parameters.isEmpty, "\(name)")
            #expect(sql.hasPrefix("-- name: \(name)\n"), "\(name)")
        }
    }

    @Test func everyQueryRunsOnAnEmptyStore() throws {
        let t = try TestStore()
        for name in BuiltinQueries.all.keys {
            let sink = CollectingSink()
            var parameters = Filters(role: "x", who: "y").parameters
            parameters["service"] = .text("s3.amazonaws.com")
            try QueryRunner(store: t.store).run(sql: BuiltinQueries.all[name]!, parameters: parameters, into: sink)
            #expect(sink.rows.isEmpty, "\(name)")
            #expect(!sink.columns.isEmpty, "\(name)")
        }
    }
}

@Suite struct QueryRunnerTests {
    @Test func aListColumnIsSortedWithEachValueOnce() {
        #expect(QueryRunner.sortedSet([]) == [])
        #expect(QueryRunner.sortedSet(["b"]) == ["b"])
        #expect(QueryRunner.sortedSet(["b", "a", "b", "c", "a", "a"]) == ["a", "b", "c"])
        let many = (0..<1000).map { "10.0.\($0 % 37).\($0 % 11)" }
        #expect(QueryRunner.sortedSet(many) == Array(Set(many)).sorted())
    }
}
