import FileIO
import Foundation
import TestSupport
import Testing

/// The embedded default model: rsr generates from it offline, and its greedy continuation is the one HF
/// transformers computes from the same files.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct DefaultModelTests {
    let dir = TemporaryDirectory()
    let prompt = "And God said"

    func generate(_ extra: [String]) throws -> [String: Any] {
        let environment = ProcessInfo.processInfo.environment.merging(["RSR_CACHE": dir.file("cache")]) { _, new in new }
        let result = try RSRProcess.run(["generate", defaultModelDirectory, "-p", prompt, "--json"] + extra, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func generatesEnglishFromTheShippedFiles() throws {
        let object = try generate(["-n", "24", "--ignore-eos"])
        let text = try #require(object["text"] as? String)
        #expect((object["generated_ids"] as? [Int])?.count == 24)
        // a trained model continues with words of its corpus, not noise
        let words = text.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() }
        #expect(words.contains { ["the", "and", "of", "unto", "him", "he", "that", "lord"].contains($0) }, "\(text)")
    }

    @Test(.enabled(if: pythonHas("transformers"), "needs transformers and torch"))
    func greedyContinuationIsTransformers() throws {
        let script = """
            import json, os, torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            path, prompt = os.environ["RSR_MODEL"], os.environ["RSR_PROMPT"]
            tok = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).to(torch.float32).eval()
            enc = tok(prompt, return_tensors="pt")
            out = model.generate(**enc, do_sample=False, max_new_tokens=24, min_new_tokens=24, pad_token_id=tok.eos_token_id)
            print(json.dumps({"prompt_ids": enc["input_ids"][0].tolist(), "generated_ids": out[0, enc["input_ids"].shape[1]:].tolist()}))
            """
        let python = try #require(runPython(script, environment: ["RSR_MODEL": defaultModelDirectory, "RSR_PROMPT": prompt]))
        #expect(python.status == 0, "\(python.output)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data((python.output.split(separator: "\n").last ?? "").utf8)) as? [String: [Int]])
        let object = try generate(["-n", "24", "--ignore-eos"])
        #expect(object["prompt_ids"] as? [Int] == reference["prompt_ids"])
        #expect(object["generated_ids"] as? [Int] == reference["generated_ids"])
    }
}
