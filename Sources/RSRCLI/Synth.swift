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

    @Option(help: "Float presets: write integer projections of this many bits (2 to 8) as llm-compressor stores them (compressed-tensors pack-quantized, symmetric).")
    var bits: Int?

    @Option(help: "Input columns per scale group with --bits (a multiple of 8).")
    var groupSize = 128

    func validate() throws {
        if let layers, layers < 1 { throw ValidationError("--layers must be at least 1.") }
        if let bits {
            guard preset.isFloat else { throw ValidationError("--bits applies to the float presets, not \(preset.rawValue).") }
            guard (2...8).contains(bits) else { throw ValidationError("--bits must be 2 to 8, not \(bits).") }
        }
        guard groupSize >= 8, groupSize % 8 == 0 else { throw ValidationError("--group-size must be a positive multiple of 8, not \(groupSize).") }
    }

    func run() throws {
        var model = SyntheticModel(preset: preset)
        model.layers = layers
        model.seed = seed
        model.bits = bits
        model.group = groupSize
        try model.write(to: output)
        print(output)
    }
}

extension SyntheticModel.Preset: ExpressibleByArgument {}
