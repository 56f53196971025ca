import ConclaveStore

extension Problem {
    /// What a client is told of a store error that reached the edge (REST or an MCP tool).
    init(_ error: StoreError) {
        switch error {
        case .conflict: self = .conflict("The resource already exists.")
        case .notFound: self = .notFound
        case .busy: self = .busy
        }
    }
}
