import CRSRCuda
import Foundation
import RSRCore
import RSRFormat
import RSRModel

/// The description of a model file that rsr_cuda_model_create reads: pointers into the mapped file for
/// float tensors, and each projection's ternary values or integer codes unpacked from its layout (the GPU
/// builds its own layouts from them). Holds that memory until the upload is done.
struct ModelUpload {
    let file: ModelFile
    let kernel: CUDAKernel
    let maxBatch: Int
    let capacity: Int

    func create(on device: CUDADevice) throws -> OpaquePointer {
        let c = file.manifest.model
        let held = HostCopies() // freed once the upload returns
        // Unpacking the layouts is most of the host's share of an upload, and layers are independent: build
        // them side by side. The first failing layer's error is the one thrown, whatever the timing.
        var built = [Result<rsr_cuda_block, Error>?](repeating: nil, count: c.layerCount)
        built.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots // each iteration writes its own slot
            DispatchQueue.concurrentPerform(iterations: c.layerCount) { layer in slots[layer] = Result { try block(layer, held) } }
        }
        let blocks = try built.map { try $0!.get() }
        let embeddings = try dense("embed_tokens")
        let head = c.tiedEmbeddings ? embeddings : try dense("lm_head")
        let inverseFrequencies = RoPE(config: c).inverseFrequencies
        let finalNorm = try vector("norm", length: c.hiddenSize)

        return try withExtendedLifetime(held) { try inverseFrequencies.withUnsafeBufferPointer { inv in
            try blocks.withUnsafeBufferPointer { blockPointer in
                var desc = rsr_cuda_model_desc(
                    vocab: UInt32(c.vocabSize), hidden: UInt32(c.hiddenSize), intermediate: UInt32(c.intermediateSize),
                    layers: UInt32(c.layerCount), heads: UInt32(c.headCount), kv_heads: UInt32(c.kvHeadCount),
                    head_dim: UInt32(c.headDim), activation: c.activation == .relu2 ? RSR_CUDA_RELU2 : RSR_CUDA_SILU,
                    rms_norm_eps: c.rmsNormEps, input_norm_eps: c.linearInputNormEps ?? 0,
                    capacity: UInt32(capacity), max_batch: UInt32(maxBatch), inv_freq: inv.baseAddress,
                    embeddings: embeddings, head: head, final_norm: finalNorm, blocks: blockPointer.baseAddress,
                    kernel: kernel.raw)
                var model: OpaquePointer?
                try device.library.check(device.library.api.model_create(device.context, &desc, &model))
                return model!
            }
        } }
    }

    /// A layer's description: norms in place in the file, projections unpacked into `held`.
    private func block(_ layer: Int, _ held: HostCopies) throws -> rsr_cuda_block {
        let c = file.manifest.model
        var projections: [rsr_cuda_projection] = []
        for kind in LayerSchema.Projection.allCases {
            let full = LayerSchema.name(layer, kind)
            if let entry = file.manifest.integerLinears?[full] {
                let m = try file.bitPlanes(entry).unpack()
                let integer = held.copy(rsr_cuda_integer(
                    codes: held.copy(m.codes), bits: UInt32(m.bits), group: UInt32(m.group), scales: held.copy(m.scales),
                    zeros: m.zeros.map(held.copy), perm: m.permutation.map(held.copy)))
                projections.append(rsr_cuda_projection(
                    weights: nil, integer: integer, rows: UInt32(entry.rows), cols: UInt32(entry.cols), scale: 1, divide: 0,
                    bias: try entry.bias.map { try vector($0, length: entry.rows) }, input_norm: nil))
                continue
            }
            guard let entry = file.manifest.linears[full] else { throw ModelError("\(file.path): linear \(full) is missing") }
            guard let decode = entry.layout(for: .decode) else { throw ModelError("\(file.path): \(full) has no decode layout") }
            projections.append(rsr_cuda_projection(
                weights: try held.unpacked(try file.layout(decode, validate: false)), // unpacking checks the layout
                integer: nil, rows: UInt32(entry.rows), cols: UInt32(entry.cols), scale: entry.scale,
                divide: entry.scaleMode == .divide ? 1 : 0, bias: try entry.bias.map { try vector($0, length: entry.rows) },
                input_norm: try entry.inputNorm.map { try vector($0, length: entry.cols) }))
        }
        let p = projections
        return rsr_cuda_block(
            input_norm: try norm(layer, .input), post_attention_norm: try norm(layer, .postAttention),
            attention_sub_norm: c.subNorms ? try norm(layer, .attentionSub) : nil,
            mlp_sub_norm: c.subNorms ? try norm(layer, .mlpSub) : nil,
            projections: (p[0], p[1], p[2], p[3], p[4], p[5], p[6]))
    }

    private func norm(_ layer: Int, _ kind: LayerSchema.Norm) throws -> UnsafePointer<Float> {
        try vector(LayerSchema.name(layer, kind), length: kind.length(file.manifest.model))
    }

    private func vector(_ name: String, length: Int) throws -> UnsafePointer<Float> {
        guard let base = try VectorTable(file: file).vector(name, length: length).baseAddress else {
            throw ModelError("\(file.path): tensor \(name) is empty")
        }
        return base
    }

    private func dense(_ name: String) throws -> rsr_cuda_tensor {
        let c = file.manifest.model
        guard let (entry, bytes) = file.tensor(name) else { throw ModelError("\(file.path): tensor \(name) is missing") }
        let types: [TensorType: rsr_cuda_dtype] = [.f32: RSR_CUDA_DTYPE_F32, .f16: RSR_CUDA_DTYPE_F16, .bf16: RSR_CUDA_DTYPE_BF16,
                                                    .q8Row: RSR_CUDA_DTYPE_Q8_ROW, .q4_32: RSR_CUDA_DTYPE_Q4_32, .q6_256: RSR_CUDA_DTYPE_Q6_256]
        guard let type = types[entry.type], entry.shape == [c.vocabSize, c.hiddenSize] else {
            throw ModelError("\(file.path): tensor \(name) is \(entry.type.rawValue) \(entry.shape); expected [\(c.vocabSize), \(c.hiddenSize)]")
        }
        return rsr_cuda_tensor(type: type, rows: UInt32(c.vocabSize), cols: UInt32(c.hiddenSize), data: bytes.baseAddress,
                               bytes: UInt64(bytes.count))
    }
}

/// Host copies that live as long as this object: what the C description points at during an upload. Layers
/// are built on several threads at once.
private final class HostCopies: @unchecked Sendable { // buffers is guarded by lock
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private let lock = NSLock()

    deinit { buffers.forEach { $0.deallocate() } }

    func copy<T>(_ values: [T]) -> UnsafePointer<T> {
        let typed = allocate(T.self, count: values.count)
        _ = typed.initialize(from: values)
        return UnsafePointer(typed.baseAddress!)
    }

    func copy<T>(_ value: T) -> UnsafePointer<T> {
        copy([value])
    }

    /// A ternary layout's values, unpacked straight into a held buffer.
    func unpacked(_ layout: Layout) throws -> UnsafePointer<Int8> {
        let values = allocate(Int8.self, count: layout.rows * layout.cols)
        try layout.unpack(into: values)
        return UnsafePointer(values.baseAddress!)
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutableBufferPointer<T> {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, count * MemoryLayout<T>.stride), alignment: MemoryLayout<T>.alignment)
        lock.withLock { buffers.append(raw) }
        return UnsafeMutableBufferPointer(rebasing: raw.bindMemory(to: T.self)[..<count])
    }
}
