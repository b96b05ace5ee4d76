/// When a run may answer a job from an earlier result instead of sending it (`run --cache`).
///
/// A job is answered from the cache when an earlier job that succeeded by its own request (not
/// itself from the cache) has the same ``CanonicalRequest/hash``. Its result is copied, it
/// records no attempt, costs nothing, and its `cost_source` is `cached`.
public struct ResponseCachePolicy: Sendable, Hashable {
    /// Also reuse results of requests without `temperature: 0` (`--cache-nondeterministic`),
    /// whose answers would differ if sent again. Default false.
    public var includesNondeterministic: Bool

    public init(includesNondeterministic: Bool = false) {
        self.includesNondeterministic = includesNondeterministic
    }
}
