import FileIO
import Foundation
import RSRCore
import TestSupport
import Testing

/// `rsr synth`, `rsr convert` and `rsr inspect` as a user runs them.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct ConvertCommandTests {
    let dir = TemporaryDirectory()

    @Test func convertsAFixtureAndInspectsIt() throws {
        let output = dir.file("model.rsr")
        let convert = try RSRProcess.run(["convert", Path.join(fixturesDirectory, "llama-bitlinear-packed"), "-o", output, "--kernel", "rsr"])
        #expect(convert.status == 0, "\(convert.stderr)")
        #expect(convert.stdout.contains("wrote \(output)") && convert.stdout.contains("llama-bitlinear, 3 layers"))
        let inspect = try RSRProcess.run(["inspect", output, "--verify"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        // --kernel rsr: an rsr-t decode layout beside each classical one where this CPU has rsr-t's AVX-512
        // kernel; one classical layout for both phases elsewhere, 21 sections fewer
        let transposed = ISA.best == .avx512
        for text in ["format    version 1.5,", "llama-bitlinear (LlamaForCausalLM)", "layers.2.down_proj", "prefill",
                     "all \(transposed ? 56 : 35) sections and every layout index verified"] {
            #expect(inspect.stdout.contains(text), "\(text)")
        }
        // the layout table's kernel column (after 24 columns of name and 14 of shape)
        let kernels = inspect.stdout.split(separator: "\n").map { $0.dropFirst(38).prefix(11).trimmingCharacters(in: .whitespaces) }
        #expect(kernels.filter { $0 == "rsr" }.count == 21 && kernels.filter { $0 == "rsr-t" }.count == (transposed ? 21 : 0),
                "\(inspect.stdout)")
        let json = try RSRProcess.run(["inspect", output, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["format_version"] as? String == "1.5" && object["features"] as? [String] == [])
        let manifest = try #require(object["manifest"] as? [String: Any])
        #expect((manifest["linears"] as? [String: Any])?.count == 21)
        #expect((object["sections"] as? [[String: Any]])?.first?["crc32"] is String)
    }

    /// `--kernel serve` prepares rsr-t for one sequence and packed-i2 for batches (packed-i2 alone where this
    /// CPU lacks AVX-512); its prompt runs as a batch through packed-i2 and its tokens are the default file's.
    @Test func serveKernelsGenerateWhatTheDefaultFileGenerates() throws {
        let source = Path.join(fixturesDirectory, "llama-bitlinear-packed")
        var ids: [String] = []
        for (name, extra) in [("default.rsr", [String]()), ("serve.rsr", ["--kernel", "serve"])] {
            let convert = try RSRProcess.run(["convert", source, "-o", dir.file(name)] + extra)
            #expect(convert.status == 0, "\(convert.stderr)")
            if name == "serve.rsr" {
                #expect(convert.stdout.contains("packed-i2 x21") && convert.stdout.contains("(kernel choice: --kernel serve)"), "\(convert.stdout)")
            }
            let generate = try RSRProcess.run(["generate", dir.file(name), "-p", "one two three four five six", "-n", "12", "--ignore-eos", "--json"])
            #expect(generate.status == 0, "\(generate.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(generate.stdout.utf8)) as? [String: Any])
            ids.append("\(try #require(object["generated_ids"] as? [Int]))")
        }
        #expect(ids[0] == ids[1])
    }

    /// A float Llama (trained on the KJV): kept float without --quantize, ternarised with `--quantize ternary`,
    /// and the file generates text.
    @Test func quantizeTernaryConvertsAFloatLlamaThatThenGenerates() throws {
        let source = Path.join(fixturesDirectory, floatLlamaFixture), output = dir.file("kjv.rsr")
        let float = try RSRProcess.run(["convert", source, "-o", dir.file("kjv-float.rsr")])
        #expect(float.status == 0 && float.stdout.contains("float projection weights kept as stored"), "\(float.stdout)\(float.stderr)")
        let floatInspect = try RSRProcess.run(["inspect", dir.file("kjv-float.rsr"), "--verify"])
        #expect(floatInspect.stdout.contains("float projections kept as stored") && floatInspect.stdout.contains("layers.0.q_proj BF16")
                && floatInspect.stdout.contains("version 1.5 (float-projections)"),
                "\(floatInspect.stdout)")
        let convert = try RSRProcess.run(["convert", source, "-o", output, "--quantize", "ternary"])
        #expect(convert.status == 0, "\(convert.stderr)")
        let inspect = try RSRProcess.run(["inspect", output, "--verify"])
        #expect(inspect.status == 0 && inspect.stdout.contains("LlamaForCausalLM"), "\(inspect.stdout)\(inspect.stderr)")
        let generate = try RSRProcess.run(["generate", output, "-p", "The LORD is my shepherd;", "-n", "16", "--ignore-eos", "--json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(generate.stdout.utf8)) as? [String: Any])
        #expect((object["generated_ids"] as? [Int])?.count == 16)
        #expect((object["text"] as? String)?.isEmpty == false)
    }

    /// `--quantize int3 --asymmetric` writes bit-planes that inspect, verify and generate; an imported GPTQ
    /// checkpoint converts without options; the options that do not fit together are refused by name.
    @Test func quantizeIntegerAndImportedCheckpointsConvertAndGenerate() throws {
        let source = Path.join(fixturesDirectory, floatLlamaFixture), output = dir.file("kjv-int3.rsr")
        let convert = try RSRProcess.run(["convert", source, "-o", output, "--quantize", "int3", "--group-size", "64", "--asymmetric"])
        #expect(convert.status == 0 && convert.stdout.contains("3-bit integer weights as bit-planes"), "\(convert.stdout)\(convert.stderr)")
        let inspect = try RSRProcess.run(["inspect", output, "--verify"])
        for text in ["version 1.5 (integer-weights)", "rtn integer weights", "layers.3.down_proj", "per group", "every layout index verified"] {
            #expect(inspect.stdout.contains(text), "\(text): \(inspect.stdout)")
        }
        let generate = try RSRProcess.run(["generate", output, "-p", "The LORD is my shepherd;", "-n", "8", "--ignore-eos", "--json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let gptq = try RSRProcess.run(["convert", Path.join(fixturesDirectory, "llama-kjv-gptq-w3g32-act"), "-o", dir.file("gptq.rsr")])
        #expect(gptq.status == 0, "\(gptq.stderr)")
        #expect(try RSRProcess.run(["inspect", dir.file("gptq.rsr")]).stdout.contains("act order"))
        let refusals: [([String], String)] = [
            (["--quantize", "int4", "--group-size", "12"], "--group-size"),
            (["--asymmetric"], "--group-size and --asymmetric apply to --quantize int2"),
            (["--quantize", "int9"], "--quantize"),
        ]
        for (options, message) in refusals {
            let result = try RSRProcess.run(["convert", source, "-o", dir.file("refused.rsr")] + options)
            #expect(result.status != 0 && result.stderr.contains(message), "\(options): \(result.stderr)")
        }
        let packed = try RSRProcess.run(["convert", Path.join(fixturesDirectory, "llama-bitlinear-packed"), "-o", dir.file("refused.rsr"),
                                         "--quantize", "int4"])
        #expect(packed.status != 0 && packed.stderr.contains("--quantize applies to float models"), "\(packed.stderr)")
        #expect(!Path.exists(dir.file("refused.rsr")))
    }

    /// `--tune` times the kernels on the model's shapes with rsr bench's harness and plans from that.
    @Test func tuneMeasuresTheKernelsOnTheModelsShapes() throws {
        let result = try RSRProcess.run(["convert", Path.join(fixturesDirectory, "llama-bitlinear-packed"), "-o", dir.file("tuned.rsr"),
                                         "--tune", "--threads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("kernel choice: measured now") && result.stderr.contains("measuring kernels"), "\(result.stdout)")
    }

    @Test func refusesToOverwriteAndNamesBadSources() throws {
        let output = dir.file("exists.rsr")
        try AtomicFile.write([1, 2, 3], to: output)
        let again = try RSRProcess.run(["convert", Path.join(fixturesDirectory, "llama-bitlinear-packed"), "-o", output])
        #expect(again.status != 0 && again.stderr.contains("already exists; pass --force"))
        #expect(Path.read(output) == [1, 2, 3])
        let missing = try RSRProcess.run(["convert", dir.file("no-such-dir"), "-o", dir.file("x.rsr")])
        #expect(missing.status != 0 && missing.stderr.contains("neither a model directory nor a Hub repo id"), "\(missing.stderr)")
        let damaged = try RSRProcess.run(["inspect", output])
        #expect(damaged.status != 0 && damaged.stderr.contains("not an rsr model file"), "\(damaged.stderr)")
    }

    /// Ctrl-C in the middle of a conversion leaves neither the output nor its temporary file.
    @Test func interruptingLeavesNoPartialFile() throws {
        let model = dir.file("synth")
        let synth = try RSRProcess.run(["synth", "--preset", "bitnet-large", "--layers", "3", "-o", model])
        #expect(synth.status == 0, "\(synth.stderr)")
        let out = dir.file("out")
        try Path.makeDirectories(out)
        let output = Path.join(out, "big.rsr")
        let process = try RSRProcess(["convert", model, "-o", output, "--threads", "1"])
        let deadline = Date().addingTimeInterval(60)
        while (try FileManager.default.contentsOfDirectory(atPath: out)).isEmpty && Date() < deadline { usleep(2000) }
        kill(process.process.processIdentifier, SIGINT)
        let result = process.finish()
        #expect(process.process.terminationReason == .uncaughtSignal && result.status == SIGINT, "\(result)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func synthWritesAConvertibleHubLayout() throws {
        let model = dir.file("tiny")
        let synth = try RSRProcess.run(["synth", "--preset", "bitnet-2b4t", "--layers", "1", "-o", model])
        #expect(synth.status == 0 && synth.stdout.hasSuffix("\(model)\n"), "\(synth.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Path.join(model, "config.json")))) as? [String: Any])
        #expect(config["hidden_size"] as? Int == 2560 && config["num_hidden_layers"] as? Int == 1)
        let convert = try RSRProcess.run(["convert", model, "-o", dir.file("tiny.rsr"), "--embeddings", "q4", "--kernel", "rsr-t"])
        #expect(convert.status == 0, "\(convert.stderr)")
        #expect(convert.stdout.contains("rsr-t x7"))
    }

    /// A float preset with `--bits` is a compressed-tensors checkpoint at the real shapes, which converts
    /// as an import; `--bits` means nothing to a ternary preset.
    @Test func synthWritesIntegerCheckpointsOfFloatPresets() throws {
        let model = dir.file("llama-int3")
        let synth = try RSRProcess.run(["synth", "--preset", "llama3.2-1b", "--layers", "1", "--bits", "3", "--group-size", "64", "-o", model])
        #expect(synth.status == 0, "\(synth.stderr)")
        let convert = try RSRProcess.run(["convert", model, "-o", dir.file("llama-int3.rsr")])
        #expect(convert.status == 0 && convert.stdout.contains("3-bit integer weights as bit-planes"), "\(convert.stdout)\(convert.stderr)")
        let inspect = try RSRProcess.run(["inspect", dir.file("llama-int3.rsr")])
        #expect(inspect.stdout.contains("compressed-tensors integer weights") && inspect.stdout.contains("layers.0.gate_proj      8192x2048     3     bit-planes  64"),
                "\(inspect.stdout)")
        let refused = try RSRProcess.run(["synth", "--preset", "bitnet-2b4t", "--bits", "4", "-o", dir.file("refused")])
        #expect(refused.status != 0 && refused.stderr.contains("--bits applies to the float presets"), "\(refused.stderr)")
    }
}
