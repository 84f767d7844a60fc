import FileIO
import SafeTensors
import TestSupport
import Testing

@Suite struct CheckpointTests {
    let dir = TemporaryDirectory()

    func writeShards() throws {
        try SafeTensorsWriter.write([.init(name: "a", floats: [1, 2], shape: [2])], to: dir.file("model-00001-of-00002.safetensors"))
        try SafeTensorsWriter.write([.init(name: "b", floats: [3], shape: [1]), .init(name: "c", dtype: .u8, shape: [1], data: [9])],
                                    to: dir.file("model-00002-of-00002.safetensors"))
    }

    func writeIndex(_ map: [String: String]) throws {
        let entries = map.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        try AtomicFile.write(Array("{\"metadata\": {\"total_size\": 13}, \"weight_map\": {\(entries)}}".utf8), to: dir.file(Checkpoint.indexName))
    }

    @Test func readsShardsThroughTheIndex() throws {
        try writeShards()
        try writeIndex(["a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"])
        let checkpoint = try Checkpoint(directory: dir.path)
        #expect(checkpoint.files.count == 2)
        #expect(checkpoint.tensorNames == ["a", "b", "c"])
        #expect(try checkpoint.tensor("a").floats() == [1, 2])
        #expect(try checkpoint.tensor("b").floats() == [3])
        #expect(try checkpoint.tensor("c").byteArray == [9])
        #expect(throws: SafeTensorsError.self) { try checkpoint.tensor("d") }
    }

    @Test func indexNamingAMissingTensorIsRefused() throws {
        try writeShards()
        try writeIndex(["a": "model-00002-of-00002.safetensors"])
        let error = #expect(throws: SafeTensorsError.self) { try Checkpoint(directory: dir.path) }
        #expect(error?.tensor == "a")
    }

    @Test(arguments: ["../outside.safetensors", "/etc/passwd", "dir\\\\x.safetensors"])
    func indexCannotPointOutside(shard: String) throws {
        try writeShards()
        try writeIndex(["a": shard])
        let error = #expect(throws: SafeTensorsError.self) { try Checkpoint(directory: dir.path) }
        #expect(error?.description.contains("not a file inside the checkpoint") == true)
    }

    @Test func directoryWithoutWeightsIsAClearError() {
        let error = #expect(throws: SafeTensorsError.self) { try Checkpoint(directory: dir.path) }
        #expect(error?.description.contains("has neither model.safetensors.index.json nor model.safetensors") == true)
    }
}
