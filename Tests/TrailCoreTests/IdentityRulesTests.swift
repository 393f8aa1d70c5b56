// The identity rules a record applies by itself (SPEC §3).

import Testing
@testable import TrailCore

@Suite struct IdentityRulesTests {
    @Test func aRoleSessionsOwnAttributionIsItsOrphanOriginWhateverItsARNs() {
        // `ownAttribution` decides a role session's record without making its role and session names
        // unless an Identity Center role could be named: the same answer as the orphan rule in full.
        let arns: [String?] = [nil, "arn:aws:sts::111111111111:assumed-role/Dev/alice",
                               "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com",
                               "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123", "not an ARN AWSReservedSSO_",
                               "arn:aws:sts::111111111111:assumed-role/GitHubOIDC/GitHubActions"]
        let issuers: [String?] = [nil, "arn:aws:iam::111111111111:role/Dev",
                                  "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
                                  "arn:aws:iam::111111111111:role/path/AWSReservedSSO_x", "AWSReservedSSO_"]
        let providers: [String?] = [nil, "token.actions.githubusercontent.com",
                                    "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com", "accounts.google.com"]
        var checked = 0
        for arn in arns {
            for issuer in issuers {
                for provider in providers {
                    var r = EventRecord()
                    r.hasUserIdentity = true
                    r.userIdentity.type = "AssumedRole"
                    r.userIdentity.arn = arn
                    r.userIdentity.issuerArn = issuer
                    r.userIdentity.federatedProvider = provider
                    let expected = IdentityRules.orphanOrigin(roleArn: issuer, sessionName: arn.flatMap(ARN.sessionName),
                                                              assumedRoleArn: arn, federatedProvider: provider)
                    let got = IdentityRules.ownAttribution(r)
                    #expect(got?.0.identity == expected.identity && got?.0.kind == expected.kind && got?.1 == .inferred,
                            "\(arn ?? "nil") \(issuer ?? "nil") \(provider ?? "nil")")
                    checked += 1
                }
            }
        }
        #expect(checked == arns.count * issuers.count * providers.count)
    }
}
