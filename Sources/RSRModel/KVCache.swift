/// Keys and values of every layer for positions 0..<capacity, f32, [kvHeads][position][headDim]: each
/// head's keys are one contiguous stream for attention to read.
public final class KVCache {
    public let capacity: Int
    let width: Int
    private let keys: [UnsafeMutablePointer<Float>]
    private let values: [UnsafeMutablePointer<Float>]
    /// Positions filled so far.
    public internal(set) var count = 0

    init(layers: Int, capacity: Int, width: Int) {
        self.capacity = capacity
        self.width = width
        keys = (0..<layers).map { _ in .allocate(capacity: capacity * width) }
        values = (0..<layers).map { _ in .allocate(capacity: capacity * width) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    var layers: Int { keys.count }

    /// Stores `tokens` rows of [kvHeads][headDim] keys and values at positions count..<count + tokens.
    func append(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, tokens: Int, layer: Int, kvHeads: Int, headDim: Int) {
        for t in 0..<tokens {
            for h in 0..<kvHeads {
                let source = (t * kvHeads + h) * headDim, target = (h * capacity + count + t) * headDim
                (keys[layer] + target).update(from: k + source, count: headDim)
                (values[layer] + target).update(from: v + source, count: headDim)
            }
        }
    }

    func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys[layer] }
    func values(_ layer: Int) -> UnsafeMutablePointer<Float> { values[layer] }

    /// Bytes the cache holds.
    public var bytes: Int { keys.count * 2 * capacity * width * MemoryLayout<Float>.size }

    /// Forgets every position (a new prompt).
    public func reset() { count = 0 }
}

/// Tokens of one sequence in a batched step (`Transformer.forward(_ chunks:)`): they run at the cache's
/// next positions.
public struct SequenceChunk {
    public let cache: KVCache
    public let tokens: [Int]

    public init(cache: KVCache, tokens: [Int]) {
        self.cache = cache
        self.tokens = tokens
    }
}
