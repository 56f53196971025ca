@testable import ConclaveServer
import Foundation
import Hummingbird
import Testing

/// A NUL character is reported on the field as the client spelled it, whatever the Swift
/// property that decoded it is called.
@Suite struct RequestFieldSpellingTests {
    struct Credential: Decodable {
        struct Response: Decodable { let clientDataJSON: String }
        let rawId: String
        let response: Response
    }

    struct Body: Decodable {
        let ceremonyID: String
        let credential: Credential
        let tags: [String]

        enum CodingKeys: String, CodingKey {
            case ceremonyID = "ceremony_id"
            case credential, tags
        }
    }

    func fieldOfNUL(_ json: String) throws -> String? {
        let bytes = Data(json.utf8)
        let body = try JSONDecoder().decode(Body.self, from: bytes)
        return Request.pathOfNULCharacter(in: body).map { Request.jsonSpelling(of: $0, in: bytes) }
    }

    @Test func aRenamedKeyIsNamedAsSent() throws {
        let field = try fieldOfNUL(#"{"ceremony_id":"a\u0000","credential":{"rawId":"x","response":{"clientDataJSON":"y"}},"tags":[]}"#)
        #expect(field == "ceremony_id")
    }

    @Test func nestedCamelCaseKeysStayAsSent() throws {
        let field = try fieldOfNUL(#"{"ceremony_id":"a","credential":{"rawId":"x","response":{"clientDataJSON":"y\u0000"}},"tags":[]}"#)
        #expect(field == "credential.response.clientDataJSON")
    }

    @Test func arrayIndicesAreKept() throws {
        let field = try fieldOfNUL(#"{"ceremony_id":"a","credential":{"rawId":"x","response":{"clientDataJSON":"y"}},"tags":["ok","b\u0000"]}"#)
        #expect(field == "tags[1]")
    }
}
