import Foundation
import RSRCore

/// What a benchmark ran on: CPU, instruction set, cache, and the memory read bandwidth it measured.
public struct MachineInfo: Sendable {
    public let cpu: String
    public let cores: Int
    public let isa: String
    public let llcBytes: Int
    /// Measured read bandwidth in bytes per second, by thread count.
    public var readBandwidth: [Int: Double]

    public static func current() -> MachineInfo {
        MachineInfo(cpu: cpuModel(), cores: ProcessInfo.processInfo.activeProcessorCount, isa: ISA.best.description,
                    llcBytes: MemoryBandwidth.lastLevelCacheBytes, readBandwidth: [:])
    }

    private static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown CPU"
    }

}
