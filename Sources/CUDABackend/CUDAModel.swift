import CRSRCuda
import Foundation
import RSRCore
import RSRFormat
import RSRModel

/// A model file's transformer on a CUDA device: weights, KV cache and activations stay on the GPU; token
/// ids go in and logits come back.
public final class CUDAModel: LanguageModel {
    public let device: CUDADevice
    public let file: ModelFile
    public let config: ModelConfig
    public let kernel: CUDAKernel
    /// Prompt tokens per prefill step.
    public let maxBatch: Int
    private var model: OpaquePointer?
    private var capacity = 0
    private let logits: UnsafeMutableBufferPointer<Float>

    /// Checks the file; the weights go to the GPU when the first sequence begins, with its cache.
    public init(file: ModelFile, device: CUDADevice, kernel: CUDAKernel = .auto, maxBatch: Int = 128) throws {
        guard maxBatch >= 1 else { throw CUDAError(.invalidArgument, "maxBatch must be at least 1, not \(maxBatch)") }
        let c = file.manifest.model
        let names = (0..<c.layerCount).flatMap { layer in LayerSchema.Projection.allCases.map { LayerSchema.name(layer, $0) } }
        if let float = names.first(where: { file.manifest.linears[$0] == nil && file.manifest.integerLinears?[$0] == nil }) {
            throw CUDAError(.unsupported, "\(file.path) keeps float projections (\(float)); the CUDA backend runs ternary and integer ones only")
        }
        self.device = device
        self.file = file
        config = file.manifest.model
        self.kernel = kernel
        self.maxBatch = maxBatch
        logits = .allocate(capacity: config.vocabSize)
    }

    deinit {
        if let model { device.library.api.model_free(model) }
        logits.deallocate()
    }

    public func beginSequence(capacity: Int) throws {
        if let model, capacity <= self.capacity {
            device.library.api.model_reset(model)
            return
        }
        if let model { device.library.api.model_free(model) }
        model = nil
        model = try ModelUpload(file: file, kernel: kernel, maxBatch: maxBatch, capacity: capacity).create(on: device)
        self.capacity = capacity
    }

    /// The device computes the logits of a call's last token, so the positions asked for run one token at a
    /// time.
    public func advance(_ tokens: [Int], logitsAt positions: Range<Int>) throws -> Logits {
        guard let model else { throw CUDAError(.invalidArgument, "advance before beginSequence: no sequence has been started") }
        guard !tokens.isEmpty, positions.lowerBound >= 0, positions.upperBound <= tokens.count else {
            throw CUDAError(.invalidArgument, "logits asked for positions \(positions) of a run of \(tokens.count) tokens")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw CUDAError(.invalidArgument, "token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
        func run(_ part: ArraySlice<Int>) throws {
            guard !part.isEmpty else { return }
            let ids = part.map { Int32($0) }
            try device.library.check(device.library.api.model_forward(model, ids, UInt32(ids.count), logits.baseAddress))
        }
        var values: [Float] = []
        values.reserveCapacity(positions.count * config.vocabSize)
        if positions == tokens.count - 1..<tokens.count {
            try run(tokens[...]) // the common case: one call
            values.append(contentsOf: logits)
        } else {
            try run(tokens[..<positions.lowerBound])
            for position in positions {
                try run(tokens[position...position])
                values.append(contentsOf: logits)
            }
            try run(tokens[positions.upperBound...])
        }
        return Logits(vocabSize: config.vocabSize, positions: positions, values: values)
    }

    /// Bytes of weights one decoded token reads on the GPU (after the first sequence began).
    public var weightBytesPerToken: Int { model.map { Int(device.library.api.model_weight_bytes_per_token($0)) } ?? 0 }

    /// How many projections run on each kernel (after the first sequence began).
    public var kernelCounts: [CUDAKernel: Int] {
        guard let model else { return [:] }
        var counts = [UInt32](repeating: 0, count: Int(RSR_CUDA_KERNELS.rawValue))
        device.library.api.model_kernel_counts(model, &counts)
        return [.rsrT: Int(counts[1]), .packedI2: Int(counts[2]), .bitPlanes: Int(counts[3])]
    }
}
