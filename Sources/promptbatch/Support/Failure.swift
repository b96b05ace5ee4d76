import ArgumentParser
import Foundation
import PromptBatchKit

/// The documented exit codes.
enum Exit {
    static let success = ExitCode(0)
    static let jobsFailed = ExitCode(1)
    static let halted = ExitCode(3)
    static let usage = ExitCode(64)
    static let dataError = ExitCode(65)
    static let configuration = ExitCode(78)
    static let interrupted = ExitCode(130)
}

/// A failure to report as one line on stderr and a documented exit code — never a stack trace.
struct Failure: Error, CustomStringConvertible {
    enum Kind {
        case configuration, dataError, halted, usage, other

        var exitCode: ExitCode {
            switch self {
            case .configuration: Exit.configuration
            case .dataError: Exit.dataError
            case .halted: Exit.halted
            case .usage: Exit.usage
            case .other: Exit.jobsFailed
            }
        }
    }

    var kind: Kind
    var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    var description: String { message }
}

/// Runs a command body, turning a `Failure` (or any other error) into its line and exit code.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        Terminal.error("promptbatch: \(failure.message)")
        throw failure.kind.exitCode
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        if let cause = JobStore.storageFailureDescription(error) {
            Terminal.error("promptbatch: the database cannot be used: \(cause)")
            throw Exit.configuration
        }
        Terminal.error("promptbatch: \(error)")
        throw Exit.jobsFailed
    }
}

enum Terminal {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static var isStandardErrorATerminal: Bool { isatty(2) == 1 }

    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
