import FileIO
import Foundation
import RSRConvert
import RSRFormat
import TestSupport

/// One prompt of a fixture's refs.json: what transformers produced for it.
struct Reference: Decodable {
    let prompt: String
    let inputIDs: [Int]
    let greedyIDs: [Int]
    let top10IDs: [Int]
    let top10Logits: [Float]

    enum CodingKeys: String, CodingKey {
        case prompt, inputIDs = "input_ids", greedyIDs = "greedy_ids", top10IDs = "top10_ids", top10Logits = "top10_logits"
    }

    static func load(_ fixture: String) throws -> [Reference] {
        struct File: Decodable { let transformers_reference: [Reference] }
        let data = try Data(contentsOf: URL(fileURLWithPath: Path.join(fixturesDirectory, fixture, "refs.json")))
        return try JSONDecoder().decode(File.self, from: data).transformers_reference
    }
}

/// Fixtures converted once per test process (conversion is deterministic), keyed by fixture and kernel.
final class ConvertedFixtures: @unchecked Sendable {
    static let shared = ConvertedFixtures()
    private let lock = NSLock()
    let directory = TemporaryDirectory()
    private var files: [String: String] = [:]

    func path(_ fixture: String, kernel: KernelPolicy = .auto) throws -> String {
        try lock.withLock {
            let key = "\(fixture)-\(kernel.rawValue)"
            if let path = files[key] { return path }
            var options = ConvertOptions()
            options.kernel = kernel
            options.threads = 2
            let path = directory.file("\(key).rsr")
            _ = try Converter(directory: Path.join(fixturesDirectory, fixture), options: options).convert(to: path)
            files[key] = path
            return path
        }
    }
}
