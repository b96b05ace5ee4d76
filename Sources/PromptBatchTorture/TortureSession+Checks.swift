import OpenRouterSimulator

extension TortureSession {
    /// Checks the finished database against the simulator's counts and the interruptions.
    mutating func check(stats: SimulatorStats) throws -> TortureReport {
        var report = TortureReport(mode: configuration.mode)
        report.interruptions = interruptions
        report.processesStarted = processesStarted
        report.simulatorRequests = stats.chatRequests
        report.incompleteRequests = stats.chatRequests - stats.byKey.values.reduce(0, +)
        report.faultsInjected = stats.byFault
        report.violations = violations
        if interruptions.count != configuration.interruptions {
            report.violations.append("\(interruptions.count) of \(configuration.interruptions) interruptions were delivered")
        }
        let database = try db()
        let jobs = try database.jobs()
        report.jobs = jobs.count
        if jobs.count != configuration.jobs {
            report.violations.append("\(jobs.count) jobs in the database, \(configuration.jobs) submitted")
        }
        let indexByCustomID = Dictionary(uniqueKeysWithValues: (1...max(1, configuration.jobs)).map { (Torture.customID($0), $0) })
        for job in jobs {
            report.recordedAttempts += job.attemptRows
            var problems: [String] = []
            switch job.state {
            case "succeeded":
                report.succeeded += 1
                if !job.hasResult { problems.append("succeeded without a result row") }
                if job.lastStatus != 200 { problems.append("succeeded but its last attempt's status is \(job.lastStatus.map(String.init) ?? "none")") }
            case "failed":
                report.failed += 1
                if job.hasResult { problems.append("failed but has a result row") }
                if job.errorCategory == nil { problems.append("failed without an error category") }
            default:
                problems.append("left \(job.state), not in a terminal state")
            }
            if job.attemptsColumn != job.attemptRows {
                problems.append("attempts column \(job.attemptsColumn) but \(job.attemptRows) attempt rows")
            }
            if job.costColumn != job.attemptCost { problems.append("cost \(job.costColumn) but its attempts sum to \(job.attemptCost)") }
            if job.promptTokensColumn != job.attemptPromptTokens {
                problems.append("prompt_tokens \(job.promptTokensColumn) but its attempts sum to \(job.attemptPromptTokens)")
            }
            if job.attemptRows == 0 { problems.append("no attempt recorded") }
            let caughtBy = caught[job.customID] ?? 0
            if job.attemptRunners - 1 > caughtBy {
                problems.append("attempts from \(job.attemptRunners) runners, but only \(caughtBy) interruptions caught it: run by two runners")
            }
            if let index = indexByCustomID[job.customID] {
                let sent = stats.byKey[Torture.prompt(index)] ?? 0
                let unrecorded = sent - job.attemptRows
                report.unrecordedRequests += max(0, unrecorded)
                report.maxUnrecordedPerJob = max(report.maxUnrecordedPerJob, unrecorded)
                if unrecorded < 0 {
                    problems.append("\(job.attemptRows) attempts recorded but the simulator received \(sent) requests")
                }
                // SIGINT records every attempt it cuts short; a SIGKILL can lose the one in
                // flight, once per kill that caught the job.
                let allowed = configuration.mode == .sigint ? 0 : caughtBy
                if unrecorded > allowed {
                    problems.append("\(unrecorded) requests sent but not recorded; \(caughtBy) interruptions caught it in flight")
                }
            } else {
                problems.append("not a submitted custom id")
            }
            report.violations += problems.map { "\(job.customID): \($0)" }
        }
        report.cancelledAttempts = try database.cancelledAttempts()
        let stray = try database.strayResults()
        if stray > 0 { report.violations.append("\(stray) result rows belong to no succeeded job") }
        report.integrity = try database.integrity()
        if report.integrity != ["ok"] { report.violations.append("integrity: \(report.integrity.joined(separator: "; "))") }
        return report
    }
}
