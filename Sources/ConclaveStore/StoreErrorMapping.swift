import PostgresNIO
import SQLiteNIO

/// Turns a driver's unique-violation into `StoreError.conflict`; everything else passes through.
enum StoreErrorMapping {
    static func map(_ error: any Error) -> any Error {
        if let sqlite = error as? SQLiteStatementError {
            return sqlite.isUniqueViolation ? StoreError.conflict : error
        }
        if let sqlite = error as? SQLiteError {
            switch sqlite.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraint:
                return StoreError.conflict
            default:
                return error
            }
        }
        if let postgres = error as? PSQLError, postgres.serverInfo?[.sqlState] == "23505" {
            return StoreError.conflict
        }
        return error
    }
}
