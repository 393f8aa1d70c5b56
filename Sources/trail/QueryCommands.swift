// who, what, sessions, timeline and keys: each runs the saved query of its name.

import ArgumentParser
import TrailCore

struct WhoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who",
        abstract: "Identities that assumed, or tried to assume, a role.",
        discussion: """
            ROLE is a role name (any account, any case), a role ARN, or an Identity Center permission
            set name. Runs the saved query 'who' (trail query --list).

            Examples:
              trail who --role GitHubOIDC SampleLogs
              trail who --role AdministratorAccess --since 7d --format csv
            """)

    @Option(help: ArgumentHelp("The role: name, ARN or permission set.", valueName: "role"))
    var role: String
    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var input: ImportPaths

    func run() throws {
        var filters = filter.filters()
        filters.role = role
        try Runner.runBuiltin("who", filters: filters, filterOptions: filter, format: format, storeOptions: store,
                              paths: input.paths)
    }
}

struct WhatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "what",
        abstract: "What an identity did: service, action, resource.",
        discussion: """
            IDENTITY is an identity string as `who` prints it (an e-mail, a GitHub subject, an ARN),
            or a GitHub repository (acme/api) for every subject of that repository.

            Examples:
              trail what --who alice@example.com
              trail what --who acme/api --since 2026-11-01
            """)

    @Option(help: ArgumentHelp("The identity, or a GitHub repository.", valueName: "identity"))
    var who: String
    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var input: ImportPaths

    func run() throws {
        var filters = filter.filters()
        filters.who = who
        try Runner.runBuiltin("what", filters: filters, filterOptions: filter, format: format, storeOptions: store,
                              paths: input.paths)
    }
}

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Role sessions with their origin, role chain and calls.",
        discussion: """
            Examples:
              trail sessions --role GitHubOIDC
              trail sessions --who alice@example.com --format json
            """)

    @Option(help: ArgumentHelp("Only sessions of this role.", valueName: "role"))
    var role: String?
    @Option(help: ArgumentHelp("Only sessions of this identity or GitHub repository.", valueName: "identity"))
    var who: String?
    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var input: ImportPaths

    func run() throws {
        var filters = filter.filters()
        filters.role = role
        filters.who = who
        try Runner.runBuiltin("sessions", filters: filters, filterOptions: filter, format: format,
                              storeOptions: store, paths: input.paths)
    }
}

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Events in time order with their origin and attribution.",
        discussion: """
            Examples:
              trail timeline --who repo:acme/api:ref:refs/heads/main --format csv
              trail timeline --session ASIAEXAMPLE123 --format ndjson | head
            """)

    @Option(help: ArgumentHelp("Only events of sessions of this role (and attempts to assume it).", valueName: "role"))
    var role: String?
    @Option(help: ArgumentHelp("Only events of this identity or GitHub repository.", valueName: "identity"))
    var who: String?
    @Option(help: ArgumentHelp("Only events signed by this access key id.", valueName: "key"))
    var session: String?
    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var input: ImportPaths

    func run() throws {
        var filters = filter.filters()
        filters.role = role
        filters.who = who
        filters.session = session
        try Runner.runBuiltin("timeline", filters: filters, filterOptions: filter, format: format,
                              storeOptions: store, paths: input.paths)
    }
}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Long-lived access keys (AKIA...) in use, root's included.",
        discussion: """
            Examples:
              trail keys
              trail keys --since 90d --format csv > keys-to-retire.csv
            """)

    @OptionGroup var filter: FilterOptions
    @OptionGroup var format: FormatOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var input: ImportPaths

    func run() throws {
        try Runner.runBuiltin("keys", filters: filter.filters(), filterOptions: filter, format: format,
                              storeOptions: store, paths: input.paths)
    }
}
