import Crypto
import Foundation

/// The parts of an X.509 attestation certificate that packed attestation (WebAuthn §8.2.1)
/// requires us to check. This is not a general certificate parser: it walks the fixed
/// TBSCertificate layout, keeps raw slices, and refuses anything it does not understand.
struct AttestationCertificate {
    /// X.509 version field value (2 means v3).
    let version: Int
    /// Subject attributes as (dotted OID, string value).
    let subject: [(oid: String, value: String)]
    /// DER SubjectPublicKeyInfo.
    let subjectPublicKeyInfo: Data
    /// Extensions by dotted OID.
    let extensions: [String: (critical: Bool, value: ArraySlice<UInt8>)]

    static let organizationalUnitOID = "2.5.4.11"
    static let countryOID = "2.5.4.6"
    static let organizationOID = "2.5.4.10"
    static let commonNameOID = "2.5.4.3"
    static let basicConstraintsOID = "2.5.29.19"
    /// id-fido-gen-ce-aaguid.
    static let aaguidExtensionOID = "1.3.6.1.4.1.45724.1.1.4"

    init?(der: Data) {
        let bytes = Array(der)
        var outer = DERReader(bytes[...])
        guard let certificate = outer.read(tag: DERReader.sequence), outer.isAtEnd else { return nil }
        var certificateReader = DERReader(certificate.content)
        guard let tbs = certificateReader.read(tag: DERReader.sequence) else { return nil }
        var fields = DERReader(tbs.content)
        var version = 0
        if fields.nextTag == 0xA0 {
            guard let explicit = fields.read() else { return nil }
            var inner = DERReader(explicit.content)
            guard let integer = inner.read(tag: DERReader.integer), integer.content.count == 1 else { return nil }
            version = Int(integer.content[integer.content.startIndex])
        }
        guard fields.read(tag: DERReader.integer) != nil,        // serialNumber
              fields.read(tag: DERReader.sequence) != nil,       // signature algorithm
              fields.read(tag: DERReader.sequence) != nil,       // issuer
              fields.read(tag: DERReader.sequence) != nil,       // validity
              let subject = fields.read(tag: DERReader.sequence),
              let spki = fields.read(tag: DERReader.sequence),
              let subjectAttributes = Self.parseName(subject.content)
        else { return nil }
        var extensions: [String: (critical: Bool, value: ArraySlice<UInt8>)] = [:]
        while let tag = fields.nextTag {
            guard let element = fields.read() else { return nil }
            guard tag == 0xA3 else { continue }  // issuer/subject unique IDs are skipped
            guard let parsed = Self.parseExtensions(element.content) else { return nil }
            extensions = parsed
        }
        self.version = version
        self.subject = subjectAttributes
        self.subjectPublicKeyInfo = Data(spki.encoded)
        self.extensions = extensions
    }

    /// The subject public key, if it is P-256 (the only attestation key type accepted).
    var p256PublicKey: P256.Signing.PublicKey? {
        try? P256.Signing.PublicKey(derRepresentation: subjectPublicKeyInfo)
    }

    func subjectValue(_ oid: String) -> String? {
        subject.first { $0.oid == oid }?.value
    }

    /// Whether a Basic Constraints extension says this is a CA (absent means not a CA).
    var isCA: Bool? {
        guard let basicConstraints = extensions[Self.basicConstraintsOID] else { return false }
        var reader = DERReader(basicConstraints.value)
        guard let sequence = reader.read(tag: DERReader.sequence) else { return nil }
        var inner = DERReader(sequence.content)
        guard inner.nextTag == DERReader.boolean else { return false }
        guard let flag = inner.read(), flag.content.count == 1 else { return nil }
        return flag.content[flag.content.startIndex] != 0
    }

    /// The AAGUID from id-fido-gen-ce-aaguid: `nil` if absent, empty `Data` if malformed.
    var aaguidExtension: (critical: Bool, aaguid: Data)? {
        guard let entry = extensions[Self.aaguidExtensionOID] else { return nil }
        var reader = DERReader(entry.value)
        guard let inner = reader.read(tag: DERReader.octetString), reader.isAtEnd else {
            return (entry.critical, Data())
        }
        return (entry.critical, Data(inner.content))
    }

    private static func parseName(_ content: ArraySlice<UInt8>) -> [(oid: String, value: String)]? {
        var result: [(oid: String, value: String)] = []
        var rdns = DERReader(content)
        while !rdns.isAtEnd {
            guard let rdn = rdns.read(tag: DERReader.set) else { return nil }
            var attributes = DERReader(rdn.content)
            while !attributes.isAtEnd {
                guard let attribute = attributes.read(tag: DERReader.sequence) else { return nil }
                var pair = DERReader(attribute.content)
                guard let oid = pair.read(tag: DERReader.objectIdentifier), let value = pair.read(),
                      let dotted = Self.dottedOID(oid.content)
                else { return nil }
                // UTF8String, PrintableString, IA5String; other string types are kept as lossy UTF-8.
                result.append((dotted, String(decoding: value.content, as: UTF8.self)))
            }
        }
        return result
    }

    private static func parseExtensions(_ content: ArraySlice<UInt8>) -> [String: (critical: Bool, value: ArraySlice<UInt8>)]? {
        var outer = DERReader(content)
        guard let list = outer.read(tag: DERReader.sequence) else { return nil }
        var reader = DERReader(list.content)
        var result: [String: (critical: Bool, value: ArraySlice<UInt8>)] = [:]
        while !reader.isAtEnd {
            guard let extensionElement = reader.read(tag: DERReader.sequence) else { return nil }
            var fields = DERReader(extensionElement.content)
            guard let oid = fields.read(tag: DERReader.objectIdentifier), let dotted = dottedOID(oid.content) else { return nil }
            var critical = false
            if fields.nextTag == DERReader.boolean {
                guard let flag = fields.read(), flag.content.count == 1 else { return nil }
                critical = flag.content[flag.content.startIndex] != 0
            }
            // A repeated extension is forbidden by RFC 5280 and would make the checks ambiguous.
            guard let value = fields.read(tag: DERReader.octetString), result[dotted] == nil else { return nil }
            result[dotted] = (critical, value.content)
        }
        return result
    }

    /// Dotted-decimal form of an OID's content octets; `nil` if malformed or a component is huge.
    static func dottedOID(_ content: ArraySlice<UInt8>) -> String? {
        var components: [UInt64] = []
        var value: UInt64 = 0
        var inComponent = false
        for byte in content {
            guard value >> 56 == 0 else { return nil }
            value = value << 7 | UInt64(byte & 0x7F)
            inComponent = true
            if byte & 0x80 == 0 {
                components.append(value)
                value = 0
                inComponent = false
            }
        }
        guard !inComponent, let first = components.first else { return nil }
        let head: [UInt64] = first < 80 ? [first / 40, first % 40] : [2, first - 80]
        return (head + components.dropFirst()).map(String.init).joined(separator: ".")
    }
}
