import Foundation
import Synchronization

/// Plain lines for people (the "listening" line, CLI output), written through the same lock as the
/// JSON log so the two never interleave mid-line.
public enum Console {
    public static func line(_ text: String) {
        JSONLogHandler.output.withLock { $0.write(Data((text + "\n").utf8)) }
    }

    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
