import Dispatch
import RSRCore
import RSRFormat

/// The F32 vectors of a model file (norm weights, biases), used in place.
public struct VectorTable: Sendable {
    public let file: ModelFile

    public init(file: ModelFile) { self.file = file }

    public func vector(_ name: String, length: Int) throws -> UnsafeBufferPointer<Float> {
        guard let (entry, bytes) = file.tensor(name) else { throw ModelError("\(file.path): tensor \(name) is missing") }
        guard entry.type == .f32, entry.shape == [length] else {
            throw ModelError("\(file.path): tensor \(name) is \(entry.type.rawValue) \(entry.shape); expected F32 [\(length)]")
        }
        return bytes.bindMemory(to: Float.self)
    }
}

/// One transformer block's weights.
struct BlockWeights {
    let inputNorm: UnsafeBufferPointer<Float>
    let postAttentionNorm: UnsafeBufferPointer<Float>
    let attentionSubNorm: UnsafeBufferPointer<Float>?
    let mlpSubNorm: UnsafeBufferPointer<Float>?
    let q, k, v, o, gate, up, down: any Projection
}

/// Every weight of a model file, ready for the forward pass.
struct ModelWeights {
    let config: ModelConfig
    let embeddings: DenseTensor
    let head: DenseTensor
    let finalNorm: UnsafeBufferPointer<Float>
    let blocks: [BlockWeights]

    init(_ file: ModelFile, kernel: ProductKernel) throws {
        let c = file.manifest.model
        config = c
        let vectors = VectorTable(file: file)
        embeddings = try Self.dense(file, "embed_tokens", rows: c.vocabSize, cols: c.hiddenSize)
        head = c.tiedEmbeddings ? embeddings : try Self.dense(file, "lm_head", rows: c.vocabSize, cols: c.hiddenSize)
        finalNorm = try vectors.vector("norm", length: c.hiddenSize)
        @Sendable func block(_ layer: Int) throws -> BlockWeights {
            func linear(_ kind: LayerSchema.Projection) throws -> any Projection {
                let full = LayerSchema.name(layer, kind)
                let (rows, cols) = kind.shape(c)
                if file.manifest.linears[full] == nil, let stored = file.manifest.tensors[full], stored.type.isFloat {
                    guard kernel == .index else {
                        throw ModelError("\(file.path): \(full) is a float projection; --kernel \(kernel) applies to ternary ones only")
                    }
                    let bias = try file.manifest.tensors[full + ".bias"].map { _ in try vectors.vector(full + ".bias", length: rows) }
                    return FloatLinear(try Self.dense(file, full, rows: rows, cols: cols), bias: bias)
                }
                if let entry = file.manifest.integerLinears?[full] {
                    guard kernel == .index else {
                        throw ModelError("\(file.path): \(full) has integer weights; --kernel \(kernel) applies to ternary ones only")
                    }
                    guard entry.rows == rows, entry.cols == cols else {
                        throw ModelError("\(file.path): \(full) is \(entry.rows)x\(entry.cols); the config needs \(rows)x\(cols)")
                    }
                    return try IntegerLinear(entry, file: file, vectors: vectors)
                }
                guard let entry = file.manifest.linears[full] else { throw ModelError("\(file.path): linear \(full) is missing") }
                guard entry.rows == rows, entry.cols == cols else {
                    throw ModelError("\(file.path): \(full) is \(entry.rows)x\(entry.cols); the config needs \(rows)x\(cols)")
                }
                return try Linear(entry, file: file, vectors: vectors, inputNormEps: c.linearInputNormEps, kernel: kernel)
            }
            func norm(_ kind: LayerSchema.Norm) throws -> UnsafeBufferPointer<Float> {
                try vectors.vector(LayerSchema.name(layer, kind), length: kind.length(c))
            }
            return BlockWeights(
                inputNorm: try norm(.input), postAttentionNorm: try norm(.postAttention),
                attentionSubNorm: c.subNorms ? try norm(.attentionSub) : nil, mlpSubNorm: c.subNorms ? try norm(.mlpSub) : nil,
                q: try linear(.q), k: try linear(.k), v: try linear(.v), o: try linear(.o),
                gate: try linear(.gate), up: try linear(.up), down: try linear(.down))
        }
        // Layers are independent and each layout's index check reads all of it: check them side by side. The
        // first failing layer's error is the one thrown, whatever the timing.
        var built = [Result<BlockWeights, Error>?](repeating: nil, count: c.layerCount)
        built.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots // each iteration writes its own slot
            DispatchQueue.concurrentPerform(iterations: c.layerCount) { layer in slots[layer] = Result { try block(layer) } }
        }
        blocks = try built.map { try $0!.get() }
    }

    private static func dense(_ file: ModelFile, _ name: String, rows: Int, cols: Int) throws -> DenseTensor {
        guard let (entry, bytes) = file.tensor(name) else { throw ModelError("\(file.path): tensor \(name) is missing") }
        guard entry.shape == [rows, cols], let type = DenseType(rawValue: entry.type.rawValue) else {
            throw ModelError("\(file.path): tensor \(name) is \(entry.type.rawValue) \(entry.shape); expected [\(rows), \(cols)]")
        }
        do {
            return try DenseTensor(type, rows: rows, cols: cols, bytes: bytes, owner: file)
        } catch {
            throw ModelError("\(file.path): tensor \(name): \(error)")
        }
    }

    /// Bytes one decoded token reads: every decode layout, the head, and one embedding row.
    var bytesPerToken: Int {
        let layers = blocks.reduce(0) { sum, b in sum + [b.q, b.k, b.v, b.o, b.gate, b.up, b.down].reduce(0) { $0 + $1.decodeBytes } }
        return layers + head.bytes + embeddings.bytes / embeddings.rows
    }
}
