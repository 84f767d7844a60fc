import ArgumentParser
import CUDABackend
import Foundation
import RSRFormat
import RSRCore
import RSRModel

/// Where `rsr generate` runs a model.
enum Backend: String, ExpressibleByArgument, CaseIterable {
    /// CUDA when its library loads and a device exists, else the CPU.
    case auto
    case cpu
    case cuda

    /// The model on this backend, ready for a sequence of `capacity` positions, and a few words saying
    /// where it runs. `auto` falls back to the CPU when the machine has no usable CUDA (no library, driver
    /// or device: quietly) or when the library is unusable, the model does not fit in GPU memory or has
    /// float projections (saying why on standard error unless quiet).
    /// A cache of halves exists on the CPU only: with it, `auto` is the CPU.
    func load(_ file: ModelFile, threads: Int, capacity: Int, cacheType: KVCacheType = .f32,
              quiet: Bool) throws -> (model: any LanguageModel, description: String) {
        func cpu() throws -> (any LanguageModel, String) {
            let model = try Transformer(file: file, threads: threads, cacheType: cacheType)
            try model.beginSequence(capacity: capacity)
            return (model, "cpu, \(threads) thread\(threads == 1 ? "" : "s")")
        }
        switch self {
        case .cpu: return try cpu()
        case .cuda: return try Self.cuda(file, capacity: capacity)
        case .auto:
            guard cacheType == .f32 else { return try cpu() }
            do {
                return try Self.cuda(file, capacity: capacity)
            } catch let error as CUDAError where error.meansNoCUDA || [.libraryUnusable, .outOfMemory, .unsupported].contains(error.kind) {
                if !quiet && !error.meansNoCUDA {
                    FileHandle.standardError.write(Data("rsr: running on the CPU: \(error)\n".utf8))
                }
                return try cpu()
            }
        }
    }

    private static func cuda(_ file: ModelFile, capacity: Int) throws -> (any LanguageModel, String) {
        let library = try CUDALibrary()
        let device = try CUDADevice(library: library)
        let model = try CUDAModel(file: file, device: device)
        try model.beginSequence(capacity: capacity) // uploads the weights
        let counts = model.kernelCounts.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return (model, "cuda, \(try device.info().name), projections: \(counts)")
    }
}
