/// Owned, zero-initialised bytes aligned to a cache line, as the kernels want their layouts and scratch.
public final class AlignedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// Scratch memory for products; grows on demand and is reused, so steady-state calls do not allocate.
public final class Workspace: @unchecked Sendable {
    private(set) var buffer = AlignedBuffer(count: 0)

    public init() {}

    func reserve(_ bytes: Int) -> AlignedBuffer {
        if buffer.count < bytes { buffer = AlignedBuffer(count: bytes) }
        return buffer
    }
}
