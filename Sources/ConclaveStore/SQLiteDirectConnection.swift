import CSQLiteConfig
import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// An `sqlite3` handle driven synchronously, with cached prepared statements.
///
/// SQLiteNIO hands every statement to a thread pool and back and prepares it anew each time;
/// for the single writer that serial round trip per statement was the throughput limit, and for
/// readers the preparing and the future plumbing cost more CPU than the queries. Each connection
/// belongs to one `SQLiteThread` and is used by code running on it (`SQLiteWriter`'s batches,
/// `SQLiteReader`'s reads); a lock, uncontended in that use, makes any other use safe too. It
/// uses the same SQLite library as SQLiteNIO, which matters: two copies of SQLite in one process
/// would not see each other's POSIX locks.
final class SQLiteDirectConnection: Sendable {
    private let raw: Mutex<RawConnection>

    init(path: String) throws {
        raw = Mutex(try RawConnection(path: path))
    }

    /// Runs one statement to completion and returns its rows.
    func execute(_ sql: String, binds: [SQLiteData] = []) throws -> [SQLiteResultRow] {
        try raw.withLock { connection throws(SQLiteStatementError) in try connection.execute(sql, binds: binds) }
    }

    func close() {
        raw.withLock { $0.close() }
    }
}

/// The handle and its statements; only ever touched under `SQLiteDirectConnection`'s lock.
private final class RawConnection {    /// Distinct statements kept prepared; past this the cache is emptied (queries are a fixed
    /// set, so this only bounds one-off statements such as migrations).
    static let statementCacheLimit = 256

    private var handle: OpaquePointer?
    private var statements: [String: PreparedStatement] = [:]

    final class PreparedStatement {
        let pointer: OpaquePointer
        let columns: [String]

        init(pointer: OpaquePointer) {
            self.pointer = pointer
            let count = sqlite_nio_sqlite3_column_count(pointer)
            self.columns = (0..<count).map { index in
                sqlite_nio_sqlite3_column_name(pointer, index).map { String(cString: $0) } ?? ""
            }
        }
    }

    init(path: String) throws(SQLiteStatementError) {
        sqlite_nio_sqlite3_initialize()
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        var opened: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            if let opened { sqlite_nio_sqlite3_close(opened) }
            throw SQLiteStatementError(code: status, message: "cannot open the database")
        }
        handle = opened
        sqlite_nio_sqlite3_extended_result_codes(opened, 1)
        // Statements are cached: they must not be re-planned for every new bound value.
        let planner = conclave_sqlite_enable_qpsg(UnsafeMutableRawPointer(opened))
        guard planner == SQLITE_OK else {
            close()
            throw SQLiteStatementError(code: planner, message: "cannot configure the connection")
        }
    }

    deinit {
        close()
    }

    /// Runs one statement to completion and returns its rows.
    func execute(_ sql: String, binds: [SQLiteData]) throws(SQLiteStatementError) -> [SQLiteResultRow] {
        let statement = try prepared(sql)
        let pointer = statement.pointer
        defer {
            // Reset at once so a finished statement never holds a read snapshot open.
            sqlite_nio_sqlite3_reset(pointer)
            sqlite_nio_sqlite3_clear_bindings(pointer)
        }
        for (offset, value) in binds.enumerated() {
            try check(bind(value, at: Int32(offset + 1), of: pointer))
        }
        var rows: [SQLiteResultRow] = []
        while true {
            let status = sqlite_nio_sqlite3_step(pointer)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw error(status) }
            rows.append(SQLiteResultRow(columns: statement.columns, values: rowValues(of: pointer, count: statement.columns.count)))
        }
    }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.pointer) }
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    private func prepared(_ sql: String) throws(SQLiteStatementError) -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw SQLiteStatementError(code: SQLITE_MISUSE, message: "the connection is closed") }
        var pointer: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else {
            if let pointer { sqlite_nio_sqlite3_finalize(pointer) }
            throw error(status)
        }
        if statements.count >= Self.statementCacheLimit {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.pointer) }
            statements.removeAll(keepingCapacity: true)
        }
        let statement = PreparedStatement(pointer: pointer)
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, of pointer: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let number):
            return sqlite_nio_sqlite3_bind_int64(pointer, index, Int64(number))
        case .float(let number):
            return sqlite_nio_sqlite3_bind_double(pointer, index, number)
        case .text(let text):
            return sqlite_nio_sqlite3_bind_text64(pointer, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .blob(let buffer):
            return buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(pointer, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(bytes.count), Self.transient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(pointer, index)
        }
    }

    private func rowValues(of pointer: OpaquePointer, count: Int) -> [SQLiteData] {
        var values: [SQLiteData] = []
        values.reserveCapacity(count)
        for column in 0..<Int32(count) {
            switch sqlite_nio_sqlite3_column_type(pointer, column) {
            case SQLITE_INTEGER:
                values.append(.integer(Int(sqlite_nio_sqlite3_column_int64(pointer, column))))
            case SQLITE_FLOAT:
                values.append(.float(sqlite_nio_sqlite3_column_double(pointer, column)))
            case SQLITE_TEXT:
                let length = Int(sqlite_nio_sqlite3_column_bytes(pointer, column))
                guard let text = sqlite_nio_sqlite3_column_text(pointer, column) else {
                    values.append(.text(""))
                    continue
                }
                values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
            case SQLITE_BLOB:
                let length = Int(sqlite_nio_sqlite3_column_bytes(pointer, column))
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                if let bytes = sqlite_nio_sqlite3_column_blob(pointer, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
                }
                values.append(.blob(buffer))
            default:
                values.append(.null)
            }
        }
        return values
    }

    private func check(_ status: Int32) throws(SQLiteStatementError) {
        guard status == SQLITE_OK else { throw error(status) }
    }

    private func error(_ status: Int32) -> SQLiteStatementError {
        let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
        return SQLiteStatementError(code: status, message: message)
    }

    /// SQLITE_TRANSIENT: SQLite copies bound text and blobs before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
