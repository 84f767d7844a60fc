import FileIO
import Foundation
import SafeTensors
import TestSupport
import Testing

@Suite struct SafeTensorsFileTests {
    let dir = TemporaryDirectory()

    func sampleEntries() -> [SafeTensorsWriter.Entry] {
        [
            .init(name: "f32", floats: [1, -2.5, 3e-8, .infinity], shape: [2, 2]),
            .init(name: "f16", floats: [1, -0.5, 65504, 6e-8], shape: [4], as: .f16),
            .init(name: "bf16", floats: [1, -3, 0.1, 1e30], shape: [2, 2], as: .bf16),
            .init(name: "u8", dtype: .u8, shape: [3], data: [0, 7, 255]),
            .init(name: "i8", dtype: .i8, shape: [2], data: [0x80, 0x7f]),
            .init(name: "i64", dtype: .i64, shape: [1], data: withUnsafeBytes(of: Int64(-5).littleEndian) { Array($0) }),
            .init(name: "bool", dtype: .bool, shape: [2], data: [1, 0]),
            .init(name: "scalar", floats: [42], shape: []),
            .init(name: "empty", dtype: .f32, shape: [0, 3], data: []),
        ]
    }

    @Test func writesAndReadsBack() throws {
        let path = dir.file("model.safetensors")
        try SafeTensorsWriter.write(sampleEntries(), metadata: ["format": "pt", "note": "quote \" and \\ newline \n"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ newline \n"])
        #expect(Set(file.tensorNames) == Set(sampleEntries().map(\.name)))
        for entry in sampleEntries() {
            let tensor = try file.tensor(entry.name)
            #expect(tensor.info.dtype == entry.dtype)
            #expect(tensor.info.shape == entry.shape)
            #expect(tensor.byteArray == entry.data, "\(entry.name)")
        }
        #expect(try file.tensor("f32").floats() == [1, -2.5, 3e-8, .infinity])
        #expect(try file.tensor("f16").floats() == [1, -0.5, 65504, Float(Float16(6e-8))])
        #expect(try file.tensor("bf16").floats() == [1, -3, 0.10009765625, Float(bitPattern: 0x714a_0000)]) // rounded to nearest even
        #expect(try file.tensor("scalar").floats() == [42])
        #expect(try file.tensor("empty").floats() == [])
        #expect(throws: SafeTensorsError.self) { try file.tensor("u8").floats() }
        #expect(throws: SafeTensorsError.self) { try file.tensor("missing") }
    }

    /// The writer aligns each tensor to its element size and pads the header to a multiple of 8 bytes.
    @Test func writerAlignsData() throws {
        let path = dir.file("aligned.safetensors")
        try SafeTensorsWriter.write(sampleEntries(), to: path)
        let bytes = try #require(Path.read(path))
        let headerLength = bytes[0..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect((8 + Int(headerLength)) % 8 == 0)
        for info in try SafeTensorsFile(path: path).tensors { #expect(info.begin % info.dtype.size == 0, "\(info.name)") }
    }

    @Test func writerRefusesInconsistentEntries() throws {
        let path = dir.file("bad.safetensors")
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write([.init(name: "a", dtype: .f32, shape: [2], data: [0, 0, 0])], to: path)
        }
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write([.init(name: "a", dtype: .u8, shape: [1], data: [0]), .init(name: "a", dtype: .u8, shape: [1], data: [0])], to: path)
        }
        #expect(!Path.exists(path))
        #expect(throws: FileIOError.self) { try SafeTensorsWriter.write([], to: dir.file("no/such/dir/x.safetensors")) }
        #expect(Path.files(under: dir.path).isEmpty) // no temporary files left behind
    }

    /// Each malformed file is refused with its own reason, naming the file (and the tensor where one is at fault).
    @Test(arguments: [
        ([UInt8]([1, 2, 3]), nil as String?, "too short"),
        (safetensorsBytes(header: "{}", headerLength: 100_000_001), nil, "exceeds the limit"),
        (safetensorsBytes(header: "{}", headerLength: 50), nil, "runs past the end"),
        (safetensorsBytes(header: "{\"a\":\u{1}}") .enumerated().map { $0.offset == 9 ? 0xff : $0.element }, nil, "not valid UTF-8"),
        (safetensorsBytes(header: " {}"), nil, "does not start with '{'"),
        (safetensorsBytes(header: "{nope"), nil, "not a valid JSON object"),
        (safetensorsBytes(header: #"{"t":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "t", "unknown dtype 'Q9'"),
        (safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "t", "needs 8 bytes"),
        (safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "t", "overflows"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [0, 0]), "t", "leaving a hole"),
        (safetensorsBytes(header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: [0, 0, 0]), "b", "overlapping"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0, 0]), nil, "cover 1 bytes of data but the file holds 2"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, data: [0]), "t", "negative dimension"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, data: [0]), "t", "data_offsets [1, 0]"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}"#, data: [0]), "t", "shape must be a list of integers"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}"#, data: [0]), "t", "shape must be a list of integers"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [0]), "t", "shape must be a list of integers"),
        (safetensorsBytes(header: #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}"#, data: [0]), "t", "data_offsets must be a list of integers"),
        (safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#), "__metadata__", "must map strings to strings"),
    ])
    func refusesMalformedFiles(bytes: [UInt8], tensor: String?, reason: String) throws {
        let path = dir.file("bad.safetensors")
        try AtomicFile.write(bytes, to: path)
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("accepted a file that should fail with '\(reason)'")
        } catch let error as SafeTensorsError {
            #expect(error.file == path)
            #expect(error.tensor == tensor, "\(error)")
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test func missingFileIsAClearError() {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: dir.file("absent.safetensors")) }
        #expect(error?.description.contains("absent.safetensors: cannot be read") == true)
    }

    /// The fixtures were written by HF's Python safetensors: their tensors must read, with their unaligned
    /// BF16 (F16 in 1bitLLM's layout) data and packed U8 weights.
    @Test(arguments: allFixtureNames)
    func readsFixtureCheckpoints(name: String) throws {
        let checkpoint = try Checkpoint(directory: Path.join(fixturesDirectory, name))
        #expect(checkpoint.files.count == 1)
        let embed = try #require(checkpoint.info("model.embed_tokens.weight"))
        #expect(embed.dtype == (name == oneBitLLMFixture ? .f16 : .bf16))
        #expect(embed.shape.count == 2)
        let norm = try checkpoint.tensor("model.layers.0.input_layernorm.weight")
        let values = try norm.floats()
        #expect(values.count == norm.info.elementCount)
        #expect(values.allSatisfy { $0.isFinite })
        if ["bitnet-2b4t-packed", "llama-bitlinear-packed", "llama-bitlinear-rmsnorm"].contains(name) {
            let packed = try #require(checkpoint.info("model.layers.0.mlp.gate_proj.weight"))
            #expect(packed.dtype == .u8)
            let scale = try checkpoint.tensor("model.layers.0.mlp.gate_proj.weight_scale")
            #expect(scale.info.shape == [1])
        }
    }

    /// HF's Python safetensors must read what the writer writes, value for value.
    @Test(.enabled(if: pythonHas("safetensors") && pythonHas("numpy")))
    func pythonSafetensorsReadsOurFiles() throws {
        let path = dir.file("py.safetensors")
        try SafeTensorsWriter.write(sampleEntries().filter { $0.dtype != .bf16 }, metadata: ["format": "pt"], to: path)
        let script = """
            import json, numpy as np
            from safetensors import safe_open
            out = {}
            with safe_open("\(path)", framework="np") as f:
                out["__metadata__"] = f.metadata()
                for k in f.keys():
                    t = f.get_tensor(k)
                    out[k] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": [float(v) if np.isfinite(v) else str(v) for v in t.reshape(-1)]}
            print(json.dumps(out))
            """
        let result = try #require(runPython(script))
        #expect(result.status == 0, "\(result.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["__metadata__"] as? [String: String] == ["format": "pt"])
        let f32 = try #require(object["f32"] as? [String: Any])
        #expect(f32["shape"] as? [Int] == [2, 2])
        #expect((f32["values"] as? [Any])?.prefix(3).compactMap { ($0 as? Double).map(Float.init) } == [1, -2.5, 3e-8])
        #expect((f32["values"] as? [Any])?.last as? String == "inf")
        #expect((object["i8"] as? [String: Any])?["values"] as? [Double] == [-128, 127])
        #expect((object["empty"] as? [String: Any])?["shape"] as? [Int] == [0, 3])
    }
}
