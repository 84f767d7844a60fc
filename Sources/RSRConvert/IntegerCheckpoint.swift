import RSRCore
import RSRFormat
import SafeTensors

/// A checkpoint whose projections the ecosystem's tools stored as packed integers: compressed-tensors
/// `pack-quantized` (llm-compressor) or GPTQ (`qweight`, `qzeros`, `scales`, `g_idx`). Each projection
/// decodes losslessly into an IntegerMatrix: the same codes, scales (in their stored type) and zero points.
struct IntegerCheckpoint {
    enum Scheme: Equatable {
        case compressedTensors
        /// GPTQ; v1 checkpoints store zero points minus one.
        case gptq(zeroOffset: Int)
    }

    let scheme: Scheme
    let bits: Int
    /// Input columns per group; nil for one scale per row.
    let group: Int?

    var quantization: Manifest.Quantization { scheme == .compressedTensors ? .compressedTensors : .gptq }

    /// The scheme quantization_config declares; nil when it declares none of these.
    static func detect(_ q: HFConfig.QuantizationConfig?, fail: (String) -> ConvertError) throws -> IntegerCheckpoint? {
        guard let q else { return nil }
        switch q.quantMethod {
        case "compressed-tensors":
            let groups = Array((q.configGroups ?? [:]).values)
            guard groups.count == 1, let group = groups.first, let weights = group.weights else {
                throw fail("quantization_config.config_groups must hold one group with weights (found \(groups.count))")
            }
            let format = group.format ?? q.format
            guard format == "pack-quantized" else {
                throw fail("compressed-tensors format \"\(format ?? "missing")\" is not supported (only \"pack-quantized\")")
            }
            guard group.inputActivations == nil else {
                throw fail("compressed-tensors input_activations are set: quantized activations are not supported (weight-only schemes, W4A16 and the like)")
            }
            guard weights.type ?? "int" == "int", let bits = weights.numBits, (1...8).contains(bits) else {
                throw fail("compressed-tensors weights are \(weights.type ?? "int") with num_bits \(weights.numBits.map(String.init) ?? "missing"); expected int with 1 to 8 bits")
            }
            switch weights.strategy {
            case "channel": return IntegerCheckpoint(scheme: .compressedTensors, bits: bits, group: nil)
            case "group":
                guard let size = weights.groupSize, size > 0, size % 8 == 0 else {
                    throw fail("compressed-tensors group_size \(weights.groupSize.map(String.init) ?? "missing") is not supported (a positive multiple of 8)")
                }
                return IntegerCheckpoint(scheme: .compressedTensors, bits: bits, group: size)
            default:
                throw fail("compressed-tensors weight strategy \"\(weights.strategy ?? "missing")\" is not supported (group, channel)")
            }
        case "gptq":
            guard let bits = q.bits, (2...8).contains(bits) else {
                throw fail("quantization_config.bits is \(q.bits.map(String.init) ?? "missing"); GPTQ checkpoints have 2 to 8")
            }
            guard q.lmHead != true else { throw fail("quantization_config.lm_head is true: a quantized output head is not supported") }
            let offset: Int
            switch q.checkpointFormat ?? "gptq" {
            case "gptq": offset = 1
            case "gptq_v2": offset = 0
            case let other: throw fail("GPTQ checkpoint_format \"\(other)\" is not supported (gptq, gptq_v2)")
            }
            let size = q.groupSize ?? -1
            guard size == -1 || (size > 0 && size % 8 == 0) else {
                throw fail("quantization_config.group_size \(size) is not supported (a positive multiple of 8, or -1)")
            }
            return IntegerCheckpoint(scheme: .gptq(zeroOffset: offset), bits: bits, group: size == -1 ? nil : size)
        default:
            return nil
        }
    }

    /// The projection at `path` (a checkpoint prefix such as "model.layers.0.self_attn.q_proj") and the
    /// tensors it read; nil when the checkpoint keeps it in float.
    func decode(_ path: String, rows: Int, cols: Int, from checkpoint: Checkpoint) throws -> (matrix: IntegerMatrix, tensors: [String])? {
        switch scheme {
        case .compressedTensors:
            guard checkpoint.info(path + ".weight_packed") != nil else { return nil }
            return try decodeCompressedTensors(path, rows: rows, cols: cols, from: checkpoint)
        case .gptq(let offset):
            guard checkpoint.info(path + ".qweight") != nil else { return nil }
            return try decodeGPTQ(path, rows: rows, cols: cols, zeroOffset: offset, from: checkpoint)
        }
    }

    /// Scale groups of a row of `cols` columns.
    private func groupCount(_ cols: Int) -> Int { group.map { (cols + $0 - 1) / $0 } ?? 1 }

    private func decodeCompressedTensors(_ path: String, rows: Int, cols: Int, from checkpoint: Checkpoint) throws -> (IntegerMatrix, [String]) {
        let n = groupCount(cols)
        let packed = try Self.tensor(path + ".weight_packed", in: checkpoint, dtype: .i32, shape: [rows, (cols * bits + 31) / 32])
        let scale = try Self.floatTensor(path + ".weight_scale", in: checkpoint, shape: [rows, n])
        var names = [packed.info.name, scale.tensor.info.name]
        if let shape = checkpoint.info(path + ".weight_shape") {
            let t = try checkpoint.tensor(shape.name)
            guard t.info.dtype == .i64, t.info.elementCount == 2,
                  (0..<2).map({ t.bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }) == [Int64(rows), Int64(cols)] else {
                throw ConvertError(t.file, "tensor \(shape.name) does not say [\(rows), \(cols)]")
            }
            names.append(shape.name)
        }
        let words = packed.bytes.bindMemory(to: UInt32.self)
        let perRow = (cols * bits + 31) / 32
        var codes = [UInt8](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            Self.unpack(count: cols, bits: bits, into: &codes, at: r * cols) { words[r * perRow + $0] }
        }
        var zeros: [UInt8]?
        if let zp = checkpoint.info(path + ".weight_zero_point") {
            let t = try Self.tensor(zp.name, in: checkpoint, dtype: .i32, shape: [(rows * bits + 31) / 32, n])
            let w = t.bytes.bindMemory(to: UInt32.self)
            var columnMajor = [UInt8](repeating: 0, count: rows * n)
            for g in 0..<n { Self.unpack(count: rows, bits: bits, into: &columnMajor, at: g * rows) { w[$0 * n + g] } }
            zeros = (0..<rows * n).map { columnMajor[($0 % n) * rows + $0 / n] }
            names.append(zp.name)
        }
        let g = try groupIndex(path, cols: cols, in: checkpoint, name: ".weight_g_idx")
        if let name = g.name { names.append(name) }
        if let perm = g.permutation {
            let input = codes
            for r in 0..<rows { for j in 0..<cols { codes[r * cols + j] = input[r * cols + Int(perm[j])] } }
        }
        let matrix = try build(path, rows: rows, cols: cols, codes: codes, scales: try scale.tensor.floats(), scaleType: scale.type,
                               zeros: zeros, permutation: g.permutation, file: packed.file)
        return (matrix, names)
    }

    private func decodeGPTQ(_ path: String, rows: Int, cols: Int, zeroOffset: Int, from checkpoint: Checkpoint) throws -> (IntegerMatrix, [String]) {
        let n = groupCount(cols)
        let qweight = try Self.tensor(path + ".qweight", in: checkpoint, dtype: .i32, shape: [(cols * bits + 31) / 32, rows])
        let qzeros = try Self.tensor(path + ".qzeros", in: checkpoint, dtype: .i32, shape: [n, (rows * bits + 31) / 32])
        let scales = try Self.floatTensor(path + ".scales", in: checkpoint, shape: [n, rows])
        let q = qweight.bytes.bindMemory(to: UInt32.self), z = qzeros.bytes.bindMemory(to: UInt32.self)
        // codes[input][output] as stored, one bit stream per output column
        var inputMajor = [UInt8](repeating: 0, count: rows * cols)
        for o in 0..<rows { Self.unpack(count: cols, bits: bits, into: &inputMajor, at: o * cols) { q[$0 * rows + o] } }
        var zeroRows = [UInt8](repeating: 0, count: rows * n) // [group][output]
        let zeroWords = (rows * bits + 31) / 32
        for g in 0..<n { Self.unpack(count: rows, bits: bits, into: &zeroRows, at: g * rows) { z[g * zeroWords + $0] } }
        var zeros = [UInt8](repeating: 0, count: rows * n)
        for o in 0..<rows {
            for g in 0..<n {
                let zero = Int(zeroRows[g * rows + o]) + zeroOffset
                guard zero < 1 << bits else {
                    throw ConvertError(qzeros.file, "tensor \(qzeros.info.name) gives output \(o) of group \(g) the zero point \(zero), outside 0...\((1 << bits) - 1)")
                }
                zeros[o * n + g] = UInt8(zero)
            }
        }
        let stored = try scales.tensor.floats()
        let scaleRows = (0..<rows * n).map { stored[($0 % n) * rows + $0 / n] }
        let g = try groupIndex(path, cols: cols, in: checkpoint, name: ".g_idx")
        var codes = [UInt8](repeating: 0, count: rows * cols)
        for o in 0..<rows {
            for j in 0..<cols { codes[o * cols + j] = inputMajor[o * cols + Int(g.permutation?[j] ?? UInt32(j))] }
        }
        let matrix = try build(path, rows: rows, cols: cols, codes: codes, scales: scaleRows, scaleType: scales.type, zeros: zeros,
                               permutation: g.permutation, file: qweight.file)
        return (matrix, [qweight.info.name, qzeros.info.name, scales.tensor.info.name] + (g.name.map { [$0] } ?? []))
    }

    /// Zero points that are all 2^(bits-1) are the symmetric default and need not be stored.
    private func build(_ path: String, rows: Int, cols: Int, codes: [UInt8], scales: [Float], scaleType: DenseType, zeros: [UInt8]?,
                       permutation: [UInt32]?, file: String) throws -> IntegerMatrix {
        let symmetric = zeros?.allSatisfy { Int($0) == 1 << (bits - 1) } ?? true
        do {
            return try IntegerMatrix(rows: rows, cols: cols, bits: bits, group: group ?? cols, codes: codes, scales: scales,
                                     scaleType: scaleType, zeros: symmetric ? nil : zeros, permutation: permutation)
        } catch {
            throw ConvertError(file, "\(path): \(error)")
        }
    }

    /// A group index tensor (GPTQ's act order) as the permutation that makes each group's columns contiguous;
    /// nil when there is none or it is already in order.
    private func groupIndex(_ path: String, cols: Int, in checkpoint: Checkpoint, name suffix: String) throws -> (permutation: [UInt32]?, name: String?) {
        guard checkpoint.info(path + suffix) != nil else { return (nil, nil) }
        let t = try Self.tensor(path + suffix, in: checkpoint, dtype: .i32, shape: [cols])
        let size = group ?? cols
        let g = (0..<cols).map { Int(t.bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        let order = (0..<cols).sorted { (g[$0], $0) < (g[$1], $1) }
        for (j, c) in order.enumerated() where g[c] != j / size {
            throw ConvertError(t.file, "tensor \(t.info.name) does not put \(size) columns in each group (column \(c) is in group \(g[c])); only equal groups are supported")
        }
        return (order.enumerated().allSatisfy { $0.offset == $0.element } ? nil : order.map(UInt32.init), t.info.name)
    }

    /// Values [0, count) of a little-endian bit stream of `bits`-bit values, stream bit k being bit k % 32 of
    /// word(k / 32), into out[at...].
    static func unpack(count: Int, bits: Int, into out: inout [UInt8], at: Int, word: (Int) -> UInt32) {
        let mask = UInt64(1) << bits - 1
        out.withUnsafeMutableBufferPointer { o in
            for j in 0..<count {
                let k = j * bits, w = k / 32, shift = k % 32
                var v = UInt64(word(w)) >> shift
                if shift + bits > 32 { v |= UInt64(word(w + 1)) << (32 - shift) }
                o[at + j] = UInt8(v & mask)
            }
        }
    }

    private static func tensor(_ name: String, in checkpoint: Checkpoint, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = try checkpoint.tensor(name)
        guard t.info.dtype == dtype, t.info.shape == shape else {
            throw ConvertError(t.file, "tensor \(name) is \(t.info.dtype.rawValue) \(t.info.shape); expected \(dtype.rawValue) \(shape)")
        }
        return t
    }

    private static func floatTensor(_ name: String, in checkpoint: Checkpoint, shape: [Int]) throws -> (tensor: Tensor, type: DenseType) {
        let t = try checkpoint.tensor(name)
        let type: DenseType? = switch t.info.dtype {
            case .f32: .f32
            case .f16: .f16
            case .bf16: .bf16
            default: nil
        }
        guard let type, t.info.shape == shape else {
            throw ConvertError(t.file, "tensor \(name) is \(t.info.dtype.rawValue) \(t.info.shape); expected F32, F16 or BF16 \(shape)")
        }
        return (t, type)
    }
}
