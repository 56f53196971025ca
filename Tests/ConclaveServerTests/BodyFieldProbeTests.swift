@testable import ConclaveServer
import ConclaveCore
import Foundation
import Testing

/// The strict-body probe finds exactly the top-level fields a request type does not read, and
/// stays silent (never a false refusal) where it cannot follow the type.
@Suite struct BodyFieldProbeTests {
    struct Send: Decodable {
        let text: String
        let threadID: String?
        let metadata: JSONValue?

        enum CodingKeys: String, CodingKey {
            case text, metadata
            case threadID = "thread_id"
        }
    }

    struct Custom: Decodable {
        let name: String
        init(from decoder: any Decoder) throws {
            name = try decoder.singleValueContainer().decode([String: String].self)["name"] ?? ""
        }
    }

    func unknown<T: Decodable>(_ type: T.Type, _ json: String) -> [String] {
        BodyFieldProbe.unknownFields(of: type, in: Data(json.utf8))
    }

    @Test func namesEveryFieldTheTypeNeverReads() {
        #expect(unknown(Send.self, #"{"text":"hi","threadId":"msg_x","zeta":null,"Text":1}"#) == ["Text", "threadId", "zeta"])
    }

    @Test func acceptsDefinedFieldsPresentAbsentOrNull() {
        #expect(unknown(Send.self, #"{"text":"hi"}"#).isEmpty)
        #expect(unknown(Send.self, #"{"text":"hi","thread_id":null,"metadata":{"any":{"nested":["x"]}}}"#).isEmpty)
    }

    @Test func freeFormBodiesDefineEveryKey() {
        #expect(unknown([String: JSONValue].self, #"{"a":1,"b":[2]}"#).isEmpty)
        #expect(unknown(Custom.self, #"{"name":"n","other":"o"}"#).isEmpty)
    }

    @Test func nonObjectsAndEmptyObjectsHaveNoFields() {
        #expect(unknown(Send.self, #"[1,2]"#).isEmpty)
        #expect(unknown(Send.self, #"{}"#).isEmpty)
    }
}

@Suite struct BrowserRefreshCookieParsingTests {
    @Test func findsTheCookieAmongOthers() {
        #expect(BrowserRefreshCookie.cookieValue(named: "conclave_refresh", in: ["a=1; conclave_refresh=crt_x ; b=2"]) == "crt_x")
        #expect(BrowserRefreshCookie.cookieValue(named: "conclave_refresh", in: ["a=1", "conclave_refresh=crt_y"]) == "crt_y")
    }

    @Test func refusesMissingOrTwice() {
        #expect(BrowserRefreshCookie.cookieValue(named: "conclave_refresh", in: []) == nil)
        #expect(BrowserRefreshCookie.cookieValue(named: "conclave_refresh", in: ["conclave_refreshx=1; xconclave_refresh=2"]) == nil)
        #expect(BrowserRefreshCookie.cookieValue(named: "conclave_refresh", in: ["conclave_refresh=a; conclave_refresh=b"]) == nil)
    }
}
