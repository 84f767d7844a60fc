import ArgumentParser
import FileIO
import Foundation
import RSRBench
import RSRCore

/// A comma-separated option value: `--threads 1,2`.
struct ListArgument<Element: ExpressibleByArgument>: ExpressibleByArgument, CustomStringConvertible {
    let values: [Element]

    var description: String { values.map { "\($0)" }.joined(separator: ",") }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Element(argument: String($0).trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.count == parts.count else { return nil }
        self.values = values
    }
}

/// `--threads N` of the commands that run or convert a model: 1 to 256, all cores when not given.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads \(threads) is out of range; use 1 to 256.") }
    }

    /// The threads to run on.
    var count: Int { threads ?? min(ProcessInfo.processInfo.activeProcessorCount, 256) }
}

/// `--mmap` of the commands that run a model.
struct MemoryOption: ParsableArguments {
    @Flag(help: "Map the model file instead of reading it into memory on huge pages: loads faster, decodes slower.")
    var mmap = false

    var backing: MappedFile.Backing { mmap ? .mapped : .automatic }
}

/// `--kv-cache-type` of the commands that run a model on the CPU.
struct CacheTypeOption: ParsableArguments {
    @Option(name: .customLong("kv-cache-type"),
            help: "How the KV cache stores keys and values: f32, or f16 (half the memory and attention reads, values rounded).")
    var cacheType = KVCacheType.f32

    /// Halves exist on the CPU only.
    func check(backend: Backend) throws {
        if backend == .cuda && cacheType != .f32 {
            throw ValidationError("--kv-cache-type \(cacheType.rawValue) runs on the CPU; the CUDA backend keeps an f32 cache.")
        }
    }
}

extension KVCacheType: ExpressibleByArgument {}

extension MatrixShape: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension KernelName: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
extension WeightKind: ExpressibleByArgument {}

extension ISA: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension KChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
