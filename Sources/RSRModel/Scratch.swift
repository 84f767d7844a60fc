import RSRCore

/// Every buffer the forward pass writes, allocated once for the largest batch, so steady-state tokens
/// allocate nothing.
final class Scratch {
    let maxBatch: Int
    let hidden: UnsafeMutablePointer<Float>      // [batch][hidden]: the residual stream
    let normed: UnsafeMutablePointer<Float>      // [batch][max width]: normalised inputs
    let linearInput: UnsafeMutablePointer<Float> // [batch][max width]: a projection's own normalised input
    let q: UnsafeMutablePointer<Float>           // [batch][heads * headDim]
    let k: UnsafeMutablePointer<Float>           // [batch][kvHeads * headDim]
    let v: UnsafeMutablePointer<Float>
    let attention: UnsafeMutablePointer<Float>   // [batch][heads * headDim]
    let gate: UnsafeMutablePointer<Float>        // [batch][intermediate]
    let up: UnsafeMutablePointer<Float>
    let projected: UnsafeMutablePointer<Float>   // [batch][hidden]: a block's output before the residual add
    let quantized: UnsafeMutablePointer<Int8>    // [batch][max width]
    let scales: UnsafeMutablePointer<Float>      // [batch]
    let products: UnsafeMutablePointer<Int32>    // [batch][max rows], or several projections' of one input
    let productsCapacity: Int
    let workspace = Workspace()
    // float baselines only: int8 inputs as floats, float products, and the matrix hf-unpack unpacks into
    let baselineInput: UnsafeMutablePointer<Float>   // [batch][max width]
    let baselineOutput: UnsafeMutablePointer<Float>  // [batch][max rows]
    private var unpackBuffer = AlignedBuffer(count: 0)
    private var owned: [UnsafeMutableRawPointer] = []

    init(config c: ModelConfigView, maxBatch: Int, floatBaseline: Bool) {
        self.maxBatch = maxBatch
        let width = max(c.hidden, c.intermediate, c.qWidth, c.kvWidth)
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> { allocate(n * MemoryLayout<Float>.size).bindMemory(to: Float.self, capacity: n) }
        var pointers: [UnsafeMutableRawPointer] = []
        func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: max(bytes, 64))
            pointers.append(p)
            return p
        }
        hidden = floats(maxBatch * c.hidden)
        normed = floats(maxBatch * width)
        linearInput = floats(maxBatch * width)
        q = floats(maxBatch * c.qWidth)
        k = floats(maxBatch * c.kvWidth)
        v = floats(maxBatch * c.kvWidth)
        attention = floats(maxBatch * c.qWidth)
        gate = floats(maxBatch * c.intermediate)
        up = floats(maxBatch * c.intermediate)
        projected = floats(maxBatch * c.hidden)
        quantized = allocate(maxBatch * width).bindMemory(to: Int8.self, capacity: maxBatch * width)
        scales = floats(maxBatch)
        // room for a batch's projections of one input together (Linear.project): q, k and v, or gate and up
        productsCapacity = max(maxBatch, 2) * max(width, c.qWidth + 2 * c.kvWidth, 2 * c.intermediate)
        products = allocate(productsCapacity * 4).bindMemory(to: Int32.self, capacity: productsCapacity)
        baselineInput = floats(floatBaseline ? maxBatch * width : 1)
        baselineOutput = floats(floatBaseline ? maxBatch * width : 1)
        owned = pointers
    }

    /// At least `bytes` of scratch for an unpacked matrix, shared by every projection.
    func unpacked(_ bytes: Int) -> AlignedBuffer {
        if unpackBuffer.count < bytes { unpackBuffer = AlignedBuffer(count: bytes) }
        return unpackBuffer
    }

    deinit { owned.forEach { $0.deallocate() } }
}

/// The sizes the buffers depend on.
struct ModelConfigView {
    let hidden, intermediate, qWidth, kvWidth: Int
}
