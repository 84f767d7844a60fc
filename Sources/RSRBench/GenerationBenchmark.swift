import Foundation
import RSRCore
import RSRFormat
import RSRModel

/// `rsr bench generate`: prefill and decode speed of a model file through rsr's own layouts and through
/// the baselines, and decode speed against the bound the memory bus sets (measured read bandwidth / bytes
/// one decoded token reads).
public struct GenerationBenchmark: Sendable {
    public var promptTokens = 128
    public var decodeTokens = 128
    /// Decode tokens for the baselines, which can be a thousand times slower.
    public var baselineDecodeTokens = 8
    public var threads = [1, 2]
    public var rounds = 3
    public var kernels: [ProductKernel] = ProductKernel.allCases
    public var seed: UInt64 = 1
    /// How rsr's own layouts cache keys and values (the baselines keep f32).
    public var cacheType = KVCacheType.f32
    /// A float model the measured ones were converted from (rsr convert without --quantize), measured as one
    /// more baseline of each.
    public var reference: ModelFile?

    public init() {}

    /// Measures one model; `name` labels its rows.
    public func run(_ file: ModelFile, name: String, progress: (String) -> Void = { _ in }) throws -> [GenerationBenchRow] {
        let config = file.manifest.model
        var rng = SplitMix64(seed: seed)
        let prompt = (0..<promptTokens).map { _ in Int.random(in: 0..<config.vocabSize, using: &rng) }
        var rows: [GenerationBenchRow] = []
        for t in threads {
            let bandwidthPool = try ThreadPool(threads: t)
            let bandwidth = try MemoryBandwidth.read(pool: bandwidthPool)
            progress("\(name): read bandwidth, \(t) thread\(t == 1 ? "" : "s"): \(String(format: "%.1f", bandwidth / 1e9)) GB/s")
            for kernel in kernels {
                let model: Transformer
                do {
                    model = try Transformer(file: file, threads: t, kernel: kernel, cacheType: kernel == .index ? cacheType : .f32)
                } catch where kernel != .index {
                    progress("\(name): \(kernel) skipped: \(error)") // e.g. float weights larger than memory
                    continue
                }
                let decodeTokens = kernel == .index ? self.decodeTokens : min(self.decodeTokens, baselineDecodeTokens)
                rows.append(try measure(model, threads: t, prompt: prompt, decodeTokens: decodeTokens, name: name, kernel: kernel.rawValue,
                                        bandwidth: bandwidth, bandwidthPool: bandwidthPool, progress: progress))
            }
            if let reference {
                guard reference.manifest.model.vocabSize == config.vocabSize else {
                    throw ModelError("the reference \(reference.path) has a vocabulary of \(reference.manifest.model.vocabSize), \(name) of \(config.vocabSize)")
                }
                let model = try Transformer(file: reference, threads: t)
                rows.append(try measure(model, threads: t, prompt: prompt, decodeTokens: min(decodeTokens, baselineDecodeTokens), name: name,
                                        kernel: Self.referenceKernelName(reference), bandwidth: bandwidth, bandwidthPool: bandwidthPool,
                                        progress: progress))
            }
        }
        return Self.withSpeedups(rows)
    }

    /// One model's rows: the median prefill and decode speeds over `rounds` generations of the prompt. The
    /// read bandwidth is measured again after each round and the row keeps the highest: a shared host's
    /// memory can speed up between the first test and the decode, and a bound taken from the slower moment
    /// would flatter the decode.
    private func measure(_ model: Transformer, threads: Int, prompt: [Int], decodeTokens: Int, name: String, kernel: String,
                         bandwidth: Double, bandwidthPool: ThreadPool, progress: (String) -> Void) throws -> GenerationBenchRow {
        // first touch of the mapped weights (page faults) is not part of either speed
        _ = try Generator(model: model).generate(prompt: Array(prompt.prefix(2)), maxTokens: 2) { _ in true }
        var prefill: [Double] = [], decode: [Double] = [], bandwidth = bandwidth
        for round in 0..<rounds {
            let (stats, _) = try Generator(model: model).generate(prompt: prompt, maxTokens: decodeTokens) { _ in true }
            prefill.append(stats.prefillTokensPerSecond)
            decode.append(stats.decodeTokensPerSecond)
            let after = try MemoryBandwidth.read(pool: bandwidthPool)
            bandwidth = max(bandwidth, after)
            progress(String(format: "%@: %@, %d thread%@, round %d: prefill %.1f tok/s, decode %.2f tok/s; read bandwidth after it %.1f GB/s",
                            name, kernel, threads, threads == 1 ? "" : "s", round + 1, stats.prefillTokensPerSecond,
                            stats.decodeTokensPerSecond, after / 1e9))
        }
        return GenerationBenchRow(model: name, kernel: kernel, threads: threads, promptTokens: promptTokens,
                                  decodeTokens: decodeTokens, prefillTokensPerSecond: Self.median(prefill),
                                  decodeTokensPerSecond: Self.median(decode),
                                  bytesPerToken: Self.bytesPerDecodedToken(weights: model.bytesPerToken, config: model.config,
                                                                           prompt: promptTokens, decoded: decodeTokens,
                                                                           cacheType: model.cacheType),
                                  readBandwidth: bandwidth)
    }

    /// The row label of a float reference: "float-" and the type its projections are stored in.
    static func referenceKernelName(_ file: ModelFile) -> String {
        let type = file.manifest.tensors[LayerSchema.name(0, .q)]?.type.rawValue.lowercased() ?? "f32"
        return "float-\(type)"
    }

    /// Bytes a decoded token reads, on average over `decoded` tokens after a `prompt`-token prompt: the
    /// weights once, and the cached keys and values of every earlier position.
    public static func bytesPerDecodedToken(weights: Int, config: ModelConfig, prompt: Int, decoded: Int,
                                            cacheType: KVCacheType = .f32) -> Double {
        let kvPerPosition = 2 * config.layerCount * config.kvHeadCount * config.headDim * cacheType.valueBytes
        return Double(weights) + (Double(prompt) + Double(decoded) / 2) * Double(kvPerPosition)
    }

    /// Each row's speedup of rsr's own layouts over it, for the same model and thread count.
    static func withSpeedups(_ rows: [GenerationBenchRow]) -> [GenerationBenchRow] {
        rows.map { row in
            var row = row
            if let rsr = rows.first(where: { $0.model == row.model && $0.threads == row.threads && $0.kernel == ProductKernel.index.rawValue }) {
                let decode = rsr.decodeTokensPerSecond / row.decodeTokensPerSecond
                let prefill = rsr.prefillTokensPerSecond / row.prefillTokensPerSecond
                row.rsrDecodeSpeedup = decode.isFinite ? decode : nil
                row.rsrPrefillSpeedup = prefill.isFinite ? prefill : nil
            }
            return row
        }
    }

    private static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
