import FileIO
import Foundation
import TestSupport
import Testing

/// Where Scripts/build-cuda.sh puts the CUDA library.
let builtCUDALibrary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/cuda/librsr_cuda.so").path

/// `rsr generate` as a user runs it, on the fixtures.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct GenerateCommandTests {
    let dir = TemporaryDirectory()

    var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["RSR_CACHE": dir.file("cache")]) { _, new in new }
    }

    func generate(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try RSRProcess.run(["generate"] + arguments, environment: environment)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    struct Reference: Decodable {
        let prompt: String
        let input_ids: [Int]
        let greedy_ids: [Int]
        let sure_steps: Int
    }

    func references(_ fixture: String) throws -> [Reference] {
        struct File: Decodable { let transformers_reference: [Reference] }
        let data = try Data(contentsOf: URL(fileURLWithPath: Path.join(fixturesDirectory, fixture, "refs.json")))
        return try JSONDecoder().decode(File.self, from: data).transformers_reference
    }

    /// From a Hub-layout directory: converted once into the cache, then reused; ids as transformers'.
    @Test func generatesTransformersTokensFromADirectory() throws {
        let fixture = Path.join(fixturesDirectory, "bitnet-2b4t-packed")
        // the prompts whose greedy steps are all sure (see ForwardTests): there the ids must be transformers' throughout
        let sure = try references("bitnet-2b4t-packed").filter { $0.sure_steps == $0.greedy_ids.count }
        #expect(sure.count >= 2)
        for (i, ref) in sure.prefix(2).enumerated() {
            let result = try generate([fixture, "-p", ref.prompt, "-n", "\(ref.greedy_ids.count)", "--ignore-eos", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try json(result.stdout)
            #expect(object["prompt_ids"] as? [Int] == ref.input_ids)
            #expect(object["generated_ids"] as? [Int] == ref.greedy_ids)
            #expect(object["prefill_tok_s"] is Double && object["decode_tok_s"] is Double && object["text"] is String)
            if i == 0 {
                let cached = try FileManager.default.subpathsOfDirectory(atPath: dir.file("cache")).filter { $0.hasSuffix(".rsr") }
                #expect(cached.count == 1)
            }
        }
        // keys and values cached as halves: the same ids on these prompts' sure steps
        let ref = sure[0]
        let half = try generate([fixture, "-p", ref.prompt, "-n", "\(ref.greedy_ids.count)", "--ignore-eos", "--json", "--kv-cache-type", "f16"])
        #expect(half.status == 0, "\(half.stderr)")
        #expect(try json(half.stdout)["generated_ids"] as? [Int] == ref.greedy_ids)
        let again = try generate([fixture, "-p", "And", "-n", "2"])
        #expect(again.status == 0 && !again.stderr.contains("converting"), "\(again.stderr)")
        #expect(again.stderr.contains("prompt: 2 tokens") && again.stderr.contains("decode"))
    }

    @Test func seededSamplingRepeatsAndChatUsesTheTemplate() throws {
        let model = Path.join(fixturesDirectory, "bitnet-2b4t-packed")
        let args = [model, "-p", "Hello", "-n", "12", "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--seed", "5", "--json", "--ignore-eos"]
        let first = try json(try generate(args).stdout), second = try json(try generate(args).stdout)
        #expect(first["generated_ids"] as? [Int] == second["generated_ids"] as? [Int])

        let chat = try generate([model, "-p", "hi", "--chat", "--system", "Be brief.", "-n", "1", "--json"])
        #expect(chat.status == 0, "\(chat.stderr)")
        let ids = try #require(try json(chat.stdout)["prompt_ids"] as? [Int])
        // the template: bos, then "System: Be brief.<|eot_id|>User: hi<|eot_id|>Assistant: " (the fixture's
        // <|begin_of_text|> is 1024 and <|eot_id|> 1033: Llama 3.1's special tokens after 1024 trained ones)
        #expect(ids.first == 1024 && ids.filter { $0 == 1033 }.count == 2)
    }

    /// Without the CUDA library, --backend cuda says how to build it and --backend auto runs on the CPU;
    /// with an unusable one, auto says why it runs on the CPU.
    @Test func cudaBackendWithoutItsLibrary() throws {
        let model = Path.join(fixturesDirectory, "bitnet-2b4t-packed")
        let missing = dir.file("nowhere/librsr_cuda.so")
        let noLibrary = environment.merging(["RSR_CUDA_LIBRARY": missing]) { _, new in new }
        let cuda = try RSRProcess.run(["generate", model, "-p", "x", "-n", "1", "--backend", "cuda"], environment: noLibrary)
        #expect(cuda.status != 0 && cuda.stderr.contains("\(missing)") && cuda.stderr.contains("Scripts/build-cuda.sh"), "\(cuda.stderr)")
        let auto = try RSRProcess.run(["generate", model, "-p", "x", "-n", "1", "--json"], environment: noLibrary)
        #expect(auto.status == 0, "\(auto.stderr)")
        let bogus = dir.file("bogus.so")
        try Data("not a library".utf8).write(to: URL(fileURLWithPath: bogus))
        let unusable = try RSRProcess.run(["generate", model, "-p", "x", "-n", "1"],
                                          environment: environment.merging(["RSR_CUDA_LIBRARY": bogus]) { _, new in new })
        #expect(unusable.status == 0 && unusable.stderr.contains("running on the CPU") && unusable.stderr.contains(bogus), "\(unusable.stderr)")
        #expect((try json(auto.stdout)["backend"] as? String)?.hasPrefix("cpu") == true)
    }

    /// With the library Scripts/build-cuda.sh built but no GPU: a clear error, or quietly the CPU under auto.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: builtCUDALibrary)))
    func cudaBackendWithoutADevice() throws {
        let model = Path.join(fixturesDirectory, "bitnet-2b4t-packed")
        let withLibrary = environment.merging(["RSR_CUDA_LIBRARY": builtCUDALibrary]) { _, new in new }
        let cuda = try RSRProcess.run(["generate", model, "-p", "x", "-n", "1", "--backend", "cuda"], environment: withLibrary)
        if cuda.status == 0 { return } // a machine with a GPU: Scripts/test-cuda.sh checks it
        #expect(cuda.stderr.contains("no NVIDIA driver") || cuda.stderr.contains("no CUDA device"), "\(cuda.stderr)")
        let auto = try RSRProcess.run(["generate", model, "-p", "x", "-n", "1"], environment: withLibrary)
        #expect(auto.status == 0 && !auto.stderr.contains("running on the CPU") && auto.stderr.contains("(cpu, "), "\(auto.stderr)")
    }

    /// 1bitLLM's layout from its directory: fp16 weights ternarised on conversion, the tokenizer.model
    /// tokenizes, and the greedy ids are transformers' over its sure steps.
    @Test func generatesFromOneBitLLMsLayoutWithATokenizerModel() throws {
        let model = Path.join(fixturesDirectory, oneBitLLMFixture)
        for ref in try references(oneBitLLMFixture) {
            let result = try generate([model, "-p", ref.prompt, "-n", "\(ref.greedy_ids.count)", "--ignore-eos", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try json(result.stdout)
            #expect(object["prompt_ids"] as? [Int] == ref.input_ids, "\(ref.prompt.debugDescription)")
            let ids = try #require(object["generated_ids"] as? [Int])
            #expect(Array(ids.prefix(ref.sure_steps)) == Array(ref.greedy_ids.prefix(ref.sure_steps)), "\(ref.prompt.debugDescription)")
        }
    }

    @Test func badRequestsFailClearly() throws {
        let model = Path.join(fixturesDirectory, "llama-bitlinear-packed")
        let empty = try generate([model, "-p", ""])
        #expect(empty.status != 0 && empty.stderr.contains("prompt is empty"), "\(empty.stderr)")
        let unknown = try generate([model, "-p", "x", "--backend", "tpu"])
        #expect(unknown.status != 0 && unknown.stderr.contains("tpu"))
        let long = try generate([model, "-p", String(repeating: "word ", count: 600)])
        #expect(long.status != 0 && long.stderr.contains("context window is 512"), "\(long.stderr)")
        let noChat = try generate([model, "-p", "x", "--chat"])
        #expect(noChat.status != 0 && noChat.stderr.contains("no chat template"), "\(noChat.stderr)")
        let cacheType = try generate([model, "-p", "x", "--kv-cache-type", "f8"])
        #expect(cacheType.status != 0 && cacheType.stderr.contains("--kv-cache-type") && cacheType.stderr.contains("f16"), "\(cacheType.stderr)")
        let halfOnCUDA = try generate([model, "-p", "x", "--kv-cache-type", "f16", "--backend", "cuda"])
        #expect(halfOnCUDA.status != 0 && halfOnCUDA.stderr.contains("CUDA backend keeps an f32 cache"), "\(halfOnCUDA.stderr)")
        let conflict = try generate([model, "-p", "x", "--greedy", "--temperature", "0.5"])
        #expect(conflict.status != 0 && conflict.stderr.contains("--greedy cannot be combined"))
    }
}
