// The `trail` command: a thin root that hands each job to its subcommand.

import ArgumentParser
import CTrailSupport
import Foundation

@main
struct Trail: ParsableCommand {
    static func main() {
        trail_limit_malloc_arenas()
        trail_tune_sqlite()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "trail",
        abstract: "Find the people and pipelines behind CloudTrail role sessions.",
        discussion: """
            Import synced CloudTrail logs into a local store, then ask who assumed a role, what an
            identity did, and when. Query commands given paths import them first.

            Examples:
              trail import ./logs
              trail who --role GitHubOIDC SampleLogs
              trail what --who alice@example.com
              trail timeline --who repo:acme/api:ref:refs/heads/main --format csv
              trail keys --since 90d
            """,
        version: "0.1.0",
        subcommands: [
            ImportCommand.self, WhoCommand.self, WhatCommand.self, SessionsCommand.self, TimelineCommand.self,
            KeysCommand.self, QueryCommand.self, ShowCommand.self,
        ])
}
