import ConclaveSecurity
import Foundation

/// The server's own secrets: given by the environment, or generated on first run into the data
/// directory (0600) and reused after. Their values are never printed or logged.
public struct ServerSecrets: Sendable {
    public enum Source: String, Sendable { case environment, generated }

    public let jwtSecret: [UInt8]
    public let masterKey: [UInt8]
    public let jwtSecretSource: Source
    public let masterKeySource: Source

    static let jwtSecretFile = "jwt-secret"
    static let masterKeyFile = "master-key"

    /// Reads or creates the secrets. The data directory must already exist.
    public static func load(configuration: ConclaveConfiguration) throws -> ServerSecrets {
        let (jwt, jwtSource) = try resolve(configured: configuration.jwtSecret, file: jwtSecretFile, in: configuration.dataDirectory)
        let (master, masterSource) = try resolve(configured: configuration.masterKey, file: masterKeyFile, in: configuration.dataDirectory)
        return ServerSecrets(jwtSecret: jwt, masterKey: master, jwtSecretSource: jwtSource, masterKeySource: masterSource)
    }

    static func resolve(configured: String?, file: String, in directory: String) throws -> ([UInt8], Source) {
        if let configured {
            return (Array(configured.utf8), .environment)
        }
        let path = directory + "/" + file
        if let existing = FileManager.default.contents(atPath: path), !existing.isEmpty {
            return (Array(existing), .generated)
        }
        let generated = Array(SecureRandom.token(bytes: 32).utf8)
        try PrivateFile.write(generated, to: path)
        return (generated, .generated)
    }
}

/// Creates files and directories that only the server's user can read.
public enum PrivateFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    /// Creates the directory with 0700 when absent. An existing directory is left as it is:
    /// `doctor` reports wrong modes rather than the server silently changing them.
    public static func ensureDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: path]) }
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    /// The permission bits of a file, or nil when it does not exist.
    public static func mode(of path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = attributes[.posixPermissions] as? NSNumber
        else { return nil }
        return permissions.intValue & 0o777
    }
}
