import Foundation
@testable import Hub
import TestSupport
import Testing

@Suite struct PathAndGlobTests {
    /// Matches Python's fnmatch.fnmatchcase, where '*' also crosses '/'.
    @Test(arguments: [
        ("*.json", "config.json", true), ("*.json", "nested/dir/config.json", true), ("*.json", "config.jsonl", false),
        ("tokenizer*", "tokenizer.json", true), ("tokenizer*", "tokenizer_config.json", true), ("tokenizer*", "my_tokenizer", false),
        ("model-?????-of-*.safetensors", "model-00001-of-00002.safetensors", true), ("[ab]*", "b.txt", true), ("[!ab]*", "b.txt", false),
        ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("*", "", true), ("", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
        ("nested/*", "nested/dir/x", true), ("[unterminated", "[unterminated", true),
    ])
    func globMatchesLikeFnmatch(pattern: String, path: String, expected: Bool) {
        #expect(Glob.match(pattern, path) == expected)
    }

    @Test func globAgreesWithPythonFnmatch() throws {
        let cases = [("*.safetensors", "a/b.safetensors"), ("*.[jt]son", "x.json"), ("?", "ab"), ("*a*", "bab"), ("[!x]y", "zy"),
                     ("model*", "model.safetensors.index.json"), ("*.model", "tokenizer.model"), ("a/*/c", "a/b/b/c")]
        let script = "import fnmatch, json, sys\nprint(json.dumps([fnmatch.fnmatchcase(p, g) for g, p in json.loads(sys.argv[1] if len(sys.argv) > 1 else '[]')]))"
        let encoded = String(decoding: try JSONSerialization.data(withJSONObject: cases.map { [$0.0, $0.1] }), as: UTF8.self)
        guard let result = runPython(script.replacingOccurrences(of: "sys.argv[1] if len(sys.argv) > 1 else '[]'", with: "'\(encoded)'")),
              result.status == 0 else { return } // no python3: the table above still holds
        let python = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [Bool]
        #expect(python == cases.map { Glob.match($0.0, $0.1) })
    }

    @Test func safePaths() {
        for ok in ["config.json", "a/b/c.bin", "with space.json", ".gitattributes", "a..b"] { #expect(RepoPath.isSafe(ok), "\(ok)") }
        for bad in ["", "/abs", "../x", "a/../b", "a/./b", "a\\b", "a//b", "x\0y", "a/"] { #expect(!RepoPath.isSafe(bad), "\(bad)") }
    }

    @Test func repoFolderNames() throws {
        #expect(try RepoID("microsoft/bitnet-b1.58-2B-4T").cacheFolderName == "models--microsoft--bitnet-b1.58-2B-4T")
        #expect(try RepoID("gpt2").cacheFolderName == "models--gpt2")
    }

    @Test func sha256KnownVectors() throws {
        let dir = TemporaryDirectory()
        let cases: [([UInt8], String)] = [
            ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (Array(repeating: UInt8(ascii: "a"), count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (i, (bytes, expected)) in cases.enumerated() {
            let path = dir.file("v\(i)")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            #expect(try FileMetadata.Digest.sha256.hex(ofFile: path) == expected)
        }
    }
}
