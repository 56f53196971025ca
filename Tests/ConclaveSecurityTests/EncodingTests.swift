import Foundation
import Testing
@testable import ConclaveSecurity

@Suite struct EncodingTests {
    // RFC 4648 §10.
    static let rfc4648 = ["", "f", "fo", "foo", "foob", "fooba", "foobar"]

    @Test func base64URLMatchesRFC4648Vectors() {
        let expected = ["", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"]
        for (input, output) in zip(Self.rfc4648, expected) {
            #expect(Base64URL.encode(Data(input.utf8)) == output)
            #expect(Base64URL.decode(output) == Data(input.utf8))
        }
    }

    @Test func base64URLUsesURLAlphabet() {
        let bytes = Data([0xFB, 0xFF, 0xBF])
        #expect(Base64URL.encode(bytes) == "-_-_")
        #expect(Base64URL.decode("-_-_") == bytes)
    }

    @Test func base64URLRejectsInvalidInput() {
        #expect(Base64URL.decode("Zg==") == nil)       // padding
        #expect(Base64URL.decode("Zm9v+/") == nil)     // standard alphabet
        #expect(Base64URL.decode("Z") == nil)          // impossible length
        #expect(Base64URL.decode("Zh") == nil)         // non-zero trailing bits
        #expect(Base64URL.decode("Zm 9v") == nil)      // whitespace
        #expect(Base64URL.decode("Zm9vé") == nil)      // non-ASCII
    }

    @Test func base64URLRoundTripsRandomBytes() {
        for count in 0..<70 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test func standardBase64MatchesFoundation() {
        for count in 0..<40 {
            let bytes = SecureRandom.bytes(count: count)
            let unpadded = bytes.base64EncodedString().replacingOccurrences(of: "=", with: "")
            #expect(Base64Codec.standard.encode(bytes) == unpadded)
            #expect(Base64Codec.standard.decode(unpadded) == bytes)
        }
    }

    @Test func base32MatchesRFC4648Vectors() {
        let expected = ["", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB", "MZXW6YTBOI======"]
        for (input, output) in zip(Self.rfc4648, expected) {
            #expect(Base32.encode(Data(input.utf8), padding: true) == output)
            #expect(Base32.encode(Data(input.utf8)) == output.replacingOccurrences(of: "=", with: ""))
            #expect(Base32.decode(output) == Data(input.utf8))
            #expect(Base32.decode(output.replacingOccurrences(of: "=", with: "")) == Data(input.utf8))
            #expect(Base32.decode(output.lowercased()) == Data(input.utf8))
        }
    }

    @Test func base32RoundTripsRandomBytes() {
        for count in 0..<70 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(Base32.decode(Base32.encode(bytes, padding: true)) == bytes)
        }
    }

    @Test func base32RejectsInvalidInput() {
        #expect(Base32.decode("MZXW1") == nil)        // '1' is not in the alphabet
        #expect(Base32.decode("M") == nil)            // impossible length
        #expect(Base32.decode("MZX") == nil)          // impossible length
        #expect(Base32.decode("MZ=XQ===") == nil)     // padding inside
        #expect(Base32.decode("MZXQ==") == nil)       // wrong padded length
        #expect(Base32.decode("MZXW6YTB========") == nil)  // a whole block of padding
        #expect(Base32.decode("MZ") == nil)           // non-zero trailing bits ("f" is "MY")
    }

    @Test func secureRandomProducesRequestedLengthsAndDistinctValues() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: -3).isEmpty)
        #expect(SecureRandom.bytes(count: 13).count == 13)
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
        let token = SecureRandom.token()
        #expect(token.utf8.count == 43)
        #expect(Base64URL.decode(token)?.count == 32)
        #expect(SecureRandom.token(bytes: 16).utf8.count == 22)
    }
}
