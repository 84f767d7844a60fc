import Foundation

/// An SVG bar chart of rsr's speedups over each baseline: one group per model and thread count, one bar
/// per baseline and phase, on a log scale because the baselines differ by orders of magnitude.
public enum SpeedupPlot {
    static let colors = ["packed-i2": "#4e79a7", "hf-unpack": "#e15759", "openblas-f32": "#59a14f"]

    public static func svg(_ rows: [GenerationBenchRow]) -> String {
        struct Bar { let label: String, kernel: String, value: Double }
        var groups: [(title: String, bars: [Bar])] = []
        for row in rows where row.kernel == "index" {
            let baselines = rows.filter { $0.model == row.model && $0.threads == row.threads && $0.kernel != "index" }
            let bars = baselines.flatMap { b in
                [Bar(label: "decode vs \(b.kernel)", kernel: b.kernel, value: b.rsrDecodeSpeedup ?? 1),
                 Bar(label: "prefill vs \(b.kernel)", kernel: b.kernel, value: b.rsrPrefillSpeedup ?? 1)]
            }
            if !bars.isEmpty { groups.append(("\(row.model), \(row.threads) thread\(row.threads == 1 ? "" : "s")", bars)) }
        }
        let barHeight = 14.0, gap = 26.0, left = 170.0, plotWidth = 520.0, top = 40.0
        let maxValue = max(10, groups.flatMap { $0.bars.map(\.value) }.max() ?? 10)
        let decades = ceil(log10(maxValue))
        // speedups below 1 are drawn from 0.1 so that a loss shows as a short bar left of the 1x line
        func x(_ v: Double) -> Double { left + plotWidth * (log10(max(v, 0.1)) + 1) / (decades + 1) }
        let height = top + groups.reduce(0) { $0 + Double($1.bars.count) * barHeight + gap } + 30
        var svg = [String(format: #"<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">"#,
                          left + plotWidth + 80, height),
                   #"<rect width="100%" height="100%" fill="white"/>"#,
                   String(format: #"<text x="%.0f" y="20" font-size="14">rsr speedup over each baseline (log scale)</text>"#, left)]
        for d in -1...Int(decades) {
            let v = pow(10, Double(d)), px = x(v)
            svg.append(String(format: #"<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%@"/>"#, px, top - 8, px, height - 25,
                              d == 0 ? "#333" : "#ddd"))
            svg.append(String(format: #"<text x="%.1f" y="%.0f" text-anchor="middle">%@x</text>"#, px, height - 10,
                              d < 0 ? "0.1" : String(Int(v))))
        }
        var y = top
        for group in groups {
            svg.append(String(format: #"<text x="4" y="%.0f" font-weight="bold">%@</text>"#, y, escape(group.title)))
            y += 6
            for bar in group.bars {
                let x0 = x(0.1), x1 = x(bar.value)
                svg.append(String(format: #"<text x="%.0f" y="%.1f" text-anchor="end">%@</text>"#, left - 6, y + barHeight - 4, escape(bar.label)))
                svg.append(String(format: #"<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%@" opacity="%@"/>"#, x0, y,
                                  max(1, x1 - x0), barHeight - 3, colors[bar.kernel] ?? "#999", bar.label.hasPrefix("decode") ? "1" : "0.6"))
                svg.append(String(format: #"<text x="%.1f" y="%.1f">%@x</text>"#, x1 + 4, y + barHeight - 4,
                                  bar.value >= 10 ? String(format: "%.0f", bar.value) : String(format: "%.2f", bar.value)))
                y += barHeight
            }
            y += gap - 6
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
