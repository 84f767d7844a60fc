import ArgumentParser
import Foundation
import RSRConvert

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model directory with a real model's shapes and random weights.",
        discussion: """
            The directory has the Hub layout of the preset's repo (config.json, model.safetensors, a byte-level \
            tokenizer), so rsr convert and rsr generate treat it like the real model: for timing at full scale \
            without a download. The weights are random; the text it generates is noise.
            """
    )

    @Option(help: "Model to imitate: \(SyntheticModel.Preset.allCases.map { "\($0.rawValue) (\($0.repo))" }.joined(separator: ", ")).")
    var preset: SyntheticModel.Preset

    @Option(name: .shortAndLong, help: "Directory to write.")
    var output: String

    @Option(help: "Fewer layers than the real model.")
    var layers: Int?

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    func validate() throws {
        if let layers, layers < 1 { throw ValidationError("--layers must be at least 1.") }
    }

    func run() throws {
        var model = SyntheticModel(preset: preset)
        model.layers = layers
        model.seed = seed
        try model.write(to: output)
        print(output)
    }
}

extension SyntheticModel.Preset: ExpressibleByArgument {}
