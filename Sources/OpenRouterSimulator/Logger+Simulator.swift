import Logging

extension Logger {
    /// A logger for the simulator that writes to standard error (stdout stays free for
    /// the `listening on …` line scripts parse). Default level `.info`.
    public static func simulatorStandardError(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "openrouter-sim", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }
}
