import Foundation
import RSRCore

/// Output formats of `rsr bench`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case md, csv, json
}

/// Renders benchmark results as a Markdown table, CSV or JSON.
public enum BenchReport {
    public static func render(_ result: BenchResult, as format: ReportFormat) -> String {
        switch format {
        case .md: markdown(result)
        case .csv: csv(result)
        case .json: json(result)
        }
    }

    /// The baselines measured in a result: one speedup column each.
    static func baselines(_ result: BenchResult) -> [KernelName] {
        KernelName.baselines.filter { base in result.rows.contains { $0.kernel == base } }
    }

    static func columns(_ result: BenchResult) -> [String] {
        ["kernel", "shape", "threads", "batch", "k", "median_us", "bits_per_weight", "gbps", "bw_fraction"]
            + baselines(result).map { "vs_\($0.rawValue)" }
    }

    static func cells(_ row: BenchRow, baselines: [KernelName]) -> [String] {
        [row.kernel.rawValue, row.shape.description, "\(row.threads)", "\(row.batch)", row.k.map(String.init) ?? "-",
         String(format: "%.1f", row.medianSeconds * 1e6), String(format: "%.3f", row.bitsPerWeight),
         String(format: "%.2f", row.throughput / 1e9), String(format: "%.2f", row.bandwidthFraction)]
            + baselines.map { base in row.speedup[base].map { String(format: "%.2f", $0) } ?? "" }
    }

    static func machineLine(_ result: BenchResult) -> String {
        let m = result.machine
        let bandwidth = m.readBandwidth.keys.sorted().map { "\($0) thread\($0 == 1 ? "" : "s") \(KernelBenchmark.gigabytes(m.readBandwidth[$0]!)) GB/s" }
        let cache = result.coldBytes.map { "cold (weights rotate over \($0 >> 20) MiB)" } ?? "warm (one copy of the weights)"
        let zeros = result.inputZeros > 0 ? String(format: "; int8 inputs: %.0f%% zeros", result.inputZeros * 100) : ""
        return "\(m.cpu), \(m.cores) cores, \(m.isa); LLC \(m.llcBytes >> 20) MiB; read bandwidth: "
            + bandwidth.joined(separator: ", ") + "; caches: \(cache)" + zeros
    }

    static func markdown(_ result: BenchResult) -> String {
        let header = ["kernel", "shape", "threads", "batch", "k", "median µs", "bits/w", "GB/s", "of BW"]
            + baselines(result).map { "vs \($0.rawValue)" }
        var lines = ["Machine: " + machineLine(result), "",
                     "| " + header.joined(separator: " | ") + " |",
                     "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in result.rows {
            var c = cells(row, baselines: baselines(result))
            c[8] = String(format: "%.0f%%", row.bandwidthFraction * 100)
            for i in 9..<c.count where !c[i].isEmpty { c[i] += "x" }
            lines.append("| " + c.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csv(_ result: BenchResult) -> String {
        ([columns(result).joined(separator: ",")] + result.rows.map { cells($0, baselines: baselines(result)).joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    struct JSONRow: Encodable {
        let kernel: String
        let shape: [Int]
        let threads: Int
        let batch: Int
        let k: Int?
        let median_us: Double
        let bits_per_weight: Double
        let gbps: Double
        let bandwidth_gbps: Double
        let bandwidth_fraction: Double
        let speedup: [String: Double]

        // Every key is always present; "k" is null for kernels without one.
        func encode(to encoder: Encoder) throws {
            enum Key: String, CodingKey {
                case kernel, shape, threads, batch, k, median_us, bits_per_weight, gbps, bandwidth_gbps, bandwidth_fraction, speedup
            }
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(shape, forKey: .shape)
            try c.encode(threads, forKey: .threads)
            try c.encode(batch, forKey: .batch)
            try c.encode(k, forKey: .k)
            try c.encode(median_us, forKey: .median_us)
            try c.encode(bits_per_weight, forKey: .bits_per_weight)
            try c.encode(gbps, forKey: .gbps)
            try c.encode(bandwidth_gbps, forKey: .bandwidth_gbps)
            try c.encode(bandwidth_fraction, forKey: .bandwidth_fraction)
            try c.encode(speedup, forKey: .speedup)
        }
    }

    struct JSONMachine: Encodable {
        let cpu: String
        let cores: Int
        let isa: String
        let llc_bytes: Int
        let read_gbps: [String: Double]
    }

    struct JSONReport: Encodable {
        let machine: JSONMachine
        let cold: Bool
        let rows: [JSONRow]
    }

    static func json(_ result: BenchResult) -> String {
        let rows = result.rows.map { row in
            JSONRow(kernel: row.kernel.rawValue, shape: [row.shape.rows, row.shape.cols], threads: row.threads, batch: row.batch,
                    k: row.k, median_us: row.medianSeconds * 1e6, bits_per_weight: row.bitsPerWeight, gbps: row.throughput / 1e9,
                    bandwidth_gbps: row.readBandwidth / 1e9, bandwidth_fraction: row.bandwidthFraction,
                    speedup: Dictionary(uniqueKeysWithValues: row.speedup.map { ($0.key.rawValue, $0.value) }))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let m = result.machine
        let machine = JSONMachine(cpu: m.cpu, cores: m.cores, isa: m.isa, llc_bytes: m.llcBytes,
                                  read_gbps: Dictionary(uniqueKeysWithValues: m.readBandwidth.map { ("\($0.key)", $0.value / 1e9) }))
        let data = (try? encoder.encode(JSONReport(machine: machine, cold: result.cold, rows: rows))) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
