import CRSRKernels
import RSRCore
import RSRFormat
import SafeTensors

/// A projection's ternary matrix and how its output is scaled, decoded from a checkpoint.
struct TernaryWeights {
    let matrix: LowBitMatrix
    let scale: Float
    let scaleMode: LinearEntry.ScaleMode
    let quantization: Manifest.Quantization

    /// Packed U8 weights are unpacked as transformers does, with their `weight_scale`; float weights are
    /// ternarised with absmean, whose scale divides the output as in transformers' WeightQuant.
    static func decode(_ projection: LayerWeights.Projection, layer: Int, from checkpoint: Checkpoint,
                       source: SourceModel, pool: ThreadPool) throws -> TernaryWeights {
        let name = LayerWeights.hf(layer, projection.path + ".weight")
        let tensor = try checkpoint.tensor(name)
        let (rows, cols) = (projection.rows, projection.cols)
        let fail = { (problem: String) in ConvertError(tensor.file, "tensor \(name) \(problem)") }
        if tensor.info.dtype == .u8 {
            guard rows % 4 == 0, tensor.info.shape == [rows / 4, cols] else {
                throw fail("is U8 \(tensor.info.shape); packed ternary weights of a \(rows)x\(cols) projection are [\(rows / 4), \(cols)]")
            }
            let matrix: LowBitMatrix
            do {
                matrix = try LowBitMatrix.unpackingHF(tensor.bytes, rows: rows, cols: cols, pool: pool)
            } catch let error as KernelError where error.status == RSR_ERR_VALUE {
                throw fail("holds the 2-bit code 3, which is not a packed ternary value")
            }
            let scale = try weightScale(name: LayerWeights.hf(layer, projection.path + ".weight_scale"), checkpoint: checkpoint)
            return TernaryWeights(matrix: matrix, scale: scale, scaleMode: source.packedScaleMode, quantization: .packed)
        }
        guard tensor.info.dtype.isFloat else { throw fail("has dtype \(tensor.info.dtype.rawValue); expected U8 (packed) or a float type") }
        guard tensor.info.shape == [rows, cols] else { throw fail("has shape \(tensor.info.shape); expected [\(rows), \(cols)]") }
        do {
            let (matrix, scale) = try LowBitMatrix.absmean(try tensor.floats(), rows: rows, cols: cols, pool: pool)
            return TernaryWeights(matrix: matrix, scale: scale, scaleMode: .divide, quantization: source.floatQuantization)
        } catch let error as KernelError where error.status == RSR_ERR_VALUE {
            throw fail("holds NaN or infinite values")
        }
    }

    private static func weightScale(name: String, checkpoint: Checkpoint) throws -> Float {
        let tensor = try checkpoint.tensor(name)
        guard tensor.info.elementCount == 1, tensor.info.shape.count <= 1, tensor.info.dtype.isFloat else {
            throw ConvertError(tensor.file, "tensor \(name) is \(tensor.info.dtype.rawValue) \(tensor.info.shape); expected one float")
        }
        let scale = try tensor.floats()[0]
        guard scale.isFinite, scale != 0 else { throw ConvertError(tensor.file, "tensor \(name) is \(scale); expected a finite nonzero scale") }
        return scale
    }
}
