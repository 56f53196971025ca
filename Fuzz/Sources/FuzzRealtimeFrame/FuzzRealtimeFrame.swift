// libFuzzer target: what the server does with the text of a client's WebSocket message
// (RealtimeConnection): the first frame as `RealtimeAuthFrame`, its `resume_from` and the
// long-poll `after` parameter as stream cursors (`StreamCursorCodec`, as `StreamCursor` calls
// it), and every later frame as `RealtimeClientFrame`. Any text must parse or be refused, never
// crash; a cursor that decodes must survive encode → decode unchanged.
import ConclaveCore
import ConclaveSecurity
import Foundation

/// libFuzzer calls this once before the first input. One-time state (lazy globals, caches) is
/// created here, where Fuzz/lsan-suppressions.txt exempts it from leak reports.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let frame = Array(#"{"type":"auth","token":"t","resume_from":"c1."}"#.utf8)
    _ = fuzz(frame, frame.count)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Text frames reach the handler as validated UTF-8 (invalid UTF-8 closes with 1007), so a
    // String is what production code sees.
    let text = String(decoding: bytes, as: UTF8.self)

    if let auth = try? RealtimeAuthFrame.parse(text) {
        precondition(text.utf8.count <= RealtimeAuthFrame.maxBytes, "accepted an oversized auth frame")
        if let resume = auth.resumeFrom { checkCursor(resume) }
    }
    if case .unknown(let type) = try? RealtimeClientFrame.parse(text) {
        precondition(type != "ping" && type != "send", "a known frame type parsed as unknown")
    }
    checkCursor(text)
    // The same bytes as a cursor body, so the fuzzer reaches `ws_…=seq;…` parsing directly.
    checkCursor(StreamCursorCodec.prefix + Base64URL.encode(Data(bytes)))
    return 0
}

func checkCursor(_ text: String) {
    guard let positions = StreamCursorCodec.decode(text, base64URL: { Base64URL.decode($0) }) else { return }
    for (workspace, seq) in positions {
        precondition(Identifier.isWellFormed(workspace, kind: .workspace) && seq >= 0, "accepted a bad position: \(text)")
    }
    let encoded = StreamCursorCodec.encode(positions, base64URL: { Base64URL.encode($0) })
    precondition(
        StreamCursorCodec.decode(encoded, base64URL: { Base64URL.decode($0) }) == positions,
        "cursor does not round-trip: \(text)")
}
