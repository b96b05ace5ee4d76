import Hummingbird

/// Counts every `/api/v1` request and the status of every response that was written.
struct StatsMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let state: SimulatorState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        state.countRequest()
        let response = try await next(request, context)
        state.countStatus(Int(response.status.code))
        return response
    }
}
