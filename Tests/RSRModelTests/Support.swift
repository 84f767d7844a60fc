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
    /// transformers' top-1 minus top-2 logit at each greedy step.
    let stepGaps: [Float]
    /// The greedy steps before the first gap under 0.5: where the greedy ids must agree.
    let sureSteps: Int

    enum CodingKeys: String, CodingKey {
        case prompt, inputIDs = "input_ids", greedyIDs = "greedy_ids", top10IDs = "top10_ids", top10Logits = "top10_logits"
        case stepGaps = "step_gaps", sureSteps = "sure_steps"
    }

    /// refs.json's `transformers_reference` of a fixture in `directory` (Tests/Fixtures unless given).
    static func load(_ fixture: String, directory: String = fixturesDirectory) throws -> [Reference] {
        struct File: Decodable { let transformers_reference: [Reference] }
        let data = try Data(contentsOf: URL(fileURLWithPath: Path.join(directory, fixture, "refs.json")))
        return try JSONDecoder().decode(File.self, from: data).transformers_reference
    }

    /// The references of `ternarised_reference` in refs.json (the float Llama run with ternary projections).
    static func loadTernarised(_ fixture: String) throws -> [Reference] {
        struct Ternarised: Decodable { let transformers_reference: [Reference] }
        struct File: Decodable { let ternarised_reference: Ternarised }
        let data = try Data(contentsOf: URL(fileURLWithPath: Path.join(fixturesDirectory, fixture, "refs.json")))
        return try JSONDecoder().decode(File.self, from: data).ternarised_reference.transformers_reference
    }
}

/// Fixtures converted once per test process (conversion is deterministic), keyed by fixture and kernel.
final class ConvertedFixtures: @unchecked Sendable {
    static let shared = ConvertedFixtures()
    private let lock = NSLock()
    /// Where converted files go (other tests in this target write theirs here too).
    let scratch = TemporaryDirectory()
    private var files: [String: String] = [:]

    /// `directory`: where the fixture lives (Tests/Fixtures unless given). The float Llama is converted with
    /// `--quantize ternary` unless `keepFloat`; float fixtures elsewhere convert as stored.
    /// `integer`: a float model quantized to n-bit integers instead, stored as `integerLayout` says.
    func path(_ fixture: String, kernel: KernelPolicy = .auto, directory: String = fixturesDirectory, keepFloat: Bool = false,
              integer: IntegerQuantization? = nil, integerLayout: IntegerLayout = .packed) throws -> String {
        try lock.withLock {
            let quantized = integer.map { "-int\($0.bits)-g\($0.group ?? 0)\($0.asymmetric ? "-asym" : "")-\(integerLayout.rawValue)" } ?? ""
            let key = "\(directory == fixturesDirectory ? "" : "shared-")\(fixture)-\(kernel.rawValue)\(keepFloat ? "-float" : "")\(quantized)"
            if let path = files[key] { return path }
            var options = ConvertOptions()
            options.kernel = kernel
            options.threads = 2
            options.quantizeFloat = fixture == floatLlamaFixture && directory == fixturesDirectory && !keepFloat && integer == nil
            options.integer = integer
            options.integerLayout = integerLayout
            options.embeddings = .stored // the references these are held to keep their heads in float
            let path = scratch.file("\(key).rsr")
            _ = try Converter(directory: Path.join(directory, fixture), options: options).convert(to: path)
            files[key] = path
            return path
        }
    }
}
