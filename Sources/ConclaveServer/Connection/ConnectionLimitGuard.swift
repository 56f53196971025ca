import HummingbirdCore
import Logging
import NIOCore

/// The outermost layer of every accepted connection: admits it under the connection caps, or
/// closes it at once, before TLS, HTTP or anything else is set up and before a byte is read.
/// A refused connection costs an accept and a close; the server keeps serving everyone else.
struct ConnectionLimitGuard<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    /// Failing the setup drops the connection quietly (the server's accept loop goes on).
    struct Refused: Error {}

    let base: Base
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        switch limiter.admit(peer: channel.remoteAddress) {
        case .failure:
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        case .success(let ticket):
            let limiter = self.limiter
            channel.closeFuture.whenComplete { _ in limiter.release(ticket) }
            // A setup that fails leaves the channel to us: closed, so its slot is given back.
            return base.setup(channel: channel, logger: logger).flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
