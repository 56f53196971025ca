import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificate and key on SIGHUP (what certificate renewal tools send). Open
/// connections keep the session they negotiated; new handshakes present the new pair. Without TLS
/// the signal is still trapped, so a stray SIGHUP cannot kill the server.
struct TLSReloadService: Service {
    let store: TLSCertificateStore?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            guard let store else {
                logger.info("SIGHUP received; no TLS certificate to reload")
                continue
            }
            do {
                try store.reload()
                logger.notice("TLS certificate reloaded", metadata: ["certificate": .string(store.certificatePath)])
            } catch {
                logger.error("TLS certificate reload failed; still presenting the previous certificate", metadata: ["reason": .string(error.description)])
            }
        }
    }
}
