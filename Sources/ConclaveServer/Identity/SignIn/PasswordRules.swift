import ConclaveSecurity

/// The password rules (ASVS V6.2) as 422 field errors.
enum PasswordRules {
    static let policy = PasswordPolicy()

    static func validate(_ password: String, field: String, context: [String]) throws {
        let violations = policy.violations(for: password, contextWords: context.filter { !$0.isEmpty })
        guard violations.isEmpty else {
            throw Problem.validation(violations.map { FieldError(field: field, message: $0.message) })
        }
    }
}
