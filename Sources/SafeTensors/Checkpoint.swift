import FileIO
import Foundation

/// The weights of a model: one safetensors file, or shards listed by `model.safetensors.index.json`
/// (`weight_map`: tensor name to shard file).
public final class Checkpoint: @unchecked Sendable {
    public static let indexName = "model.safetensors.index.json"
    public static let singleName = "model.safetensors"

    public let directory: String
    public let files: [SafeTensorsFile]
    private let location: [String: (file: SafeTensorsFile, info: TensorInfo)]

    /// Opens the checkpoint in `directory`: the index if there is one, else `model.safetensors`.
    public init(directory: String) throws {
        self.directory = directory
        let indexPath = Path.join(directory, Self.indexName)
        var files: [SafeTensorsFile] = []
        var location: [String: (SafeTensorsFile, TensorInfo)] = [:]
        if Path.exists(indexPath) {
            let weightMap = try Self.readIndex(indexPath)
            var opened: [String: SafeTensorsFile] = [:]
            for shard in Set(weightMap.values).sorted() {
                let file = try SafeTensorsFile(path: Path.join(directory, shard))
                opened[shard] = file
                files.append(file)
            }
            for (name, shard) in weightMap {
                guard let info = opened[shard]!.info(name) else {
                    throw SafeTensorsError(file: indexPath, tensor: name, "is mapped to \(shard), which does not contain it")
                }
                location[name] = (opened[shard]!, info)
            }
        } else {
            let singlePath = Path.join(directory, Self.singleName)
            guard Path.exists(singlePath) else {
                throw SafeTensorsError(file: directory, "has neither \(Self.indexName) nor \(Self.singleName)")
            }
            let file = try SafeTensorsFile(path: singlePath)
            files = [file]
            for info in file.tensors { location[info.name] = (file, info) }
        }
        self.files = files
        self.location = location
    }

    /// weight_map of an index file, with shard names checked to stay inside the checkpoint's directory.
    static func readIndex(_ path: String) throws -> [String: String] {
        struct Index: Decodable { let weight_map: [String: String] }
        guard let bytes = Path.read(path) else { throw SafeTensorsError(file: path, "cannot be read") }
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: Data(bytes)) } catch {
            throw SafeTensorsError(file: path, "is not an index with a weight_map of tensor names to file names")
        }
        for (name, shard) in index.weight_map {
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains(".."), !shard.contains("\\") else {
                throw SafeTensorsError(file: path, tensor: name, "names shard '\(shard)', which is not a file inside the checkpoint")
            }
        }
        return index.weight_map
    }

    public var tensorNames: [String] { location.keys.sorted() }

    public func info(_ name: String) -> TensorInfo? { location[name]?.info }

    public func tensor(_ name: String) throws -> Tensor {
        guard let (file, _) = location[name] else {
            throw SafeTensorsError(file: directory, tensor: name, "is not in the checkpoint")
        }
        return try file.tensor(name)
    }
}
