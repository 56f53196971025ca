/// What each subcommand of the `conclave` binary does. The CLI only parses arguments and calls
/// one of these; every one reads the configuration the same way (CONCLAVE_* variables; bad
/// values end it with status 2) and ends by returning, or by throwing `CommandExit`.
public enum ConclaveCommands {
    public static let version = "0.1.0"
}
