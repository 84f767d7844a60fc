import Foundation

/// rows x cols of a weight matrix (out x in), parsed from and printed as "ROWSxCOLS".
public struct MatrixShape: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rows: Int
    public let cols: Int

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let rows = Int(parts[0]), let cols = Int(parts[1]), rows > 0, cols > 0 else { return nil }
        self.init(rows: rows, cols: cols)
    }

    public var description: String { "\(rows)x\(cols)" }
    public var weights: Int { rows * cols }

    /// How far apart two shapes are for tuning purposes: mostly the column count (segment lengths and
    /// the input's footprint depend on it), a little the row count.
    func distance(to other: MatrixShape) -> Double {
        abs(log2(Double(cols) / Double(other.cols))) + 0.1 * abs(log2(Double(rows) / Double(other.rows)))
    }
}
