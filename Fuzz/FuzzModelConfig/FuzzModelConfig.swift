import Foundation
import FuzzSupport
import RSRConvert
import RSRFormat

/// config.json (and generation_config.json) as `rsr convert` reads them: decoded, the architecture detected,
/// normalised into the model config and checked (`Converter.init`, through HFConfig and SourceModel).
///
/// Input: one mode byte (low bit: --quantize ternary), then config.json; optionally followed by the line
/// `#generation_config.json` and that file. The directory also holds an empty model.safetensors, so a
/// config that passes reaches the checkpoint and the converter's config.
@main enum FuzzModelConfig {
    static let separator = Array("\n#generation_config.json\n".utf8)

    static let directory: String = {
        let path = FuzzDriver.scratchFile + ".d"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // A safetensors file with an empty tensor table: 8-byte length, then "{}".
        _ = FileManager.default.createFile(atPath: path + "/model.safetensors", contents: Data([2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)))
        return path
    }()

    static func main() {
        FuzzDriver.run { input in
            guard let mode = input.first else { return }
            let (config, generation) = FuzzDriver.split(Array(input.dropFirst()), at: separator)
            _ = FileManager.default.createFile(atPath: directory + "/config.json", contents: Data(config))
            let generationPath = directory + "/generation_config.json"
            unlink(generationPath)
            if let generation { _ = FileManager.default.createFile(atPath: generationPath, contents: Data(generation)) }
            var options = ConvertOptions()
            options.quantizeFloat = mode & 1 == 1
            options.threads = 1
            let converter = try Converter(directory: directory, options: options)
            let model = converter.config
            precondition(model.problem == nil, "an accepted config has a problem: \(model.problem!)")
            _ = try JSONDecoder().decode(ModelConfig.self, from: try JSONEncoder().encode(model))
        }
    }
}
