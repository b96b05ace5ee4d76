// The libFuzzer entry point shared by every target. Each target file defines
// `fuzz(_:)`; scripts/fuzz compiles one target file with this file and the
// sources it needs into one fuzzer executable.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Stops the fuzzer when an invariant does not hold; libFuzzer then saves the input as a
/// reproducer. The message says which invariant, so a reproducer explains itself.
func expect(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

/// Deterministic pseudo-random numbers seeded from the input, so a reproducer replays the
/// same chunking and limits: the input alone decides everything a target does.
struct InputDerivedGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seededBy input: UnsafeRawBufferPointer) {
        // FNV-1a: cheap, and every byte moves the seed.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        state = hash
    }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Cuts `0..<count` into consecutive ranges of random lengths, a few of them empty.
    mutating func chunks(of count: Int, maximumLength: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < count {
            let length = Int.random(in: 0...maximumLength, using: &self)
            let end = min(start + length, count)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }
}
