import FileIO
import Foundation
import RSREval
import TestSupport
import Testing

@Suite struct EvalTextTests {
    let directory = TemporaryDirectory()

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func message(_ body: () throws -> String) -> String {
        do {
            _ = try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func jsonLinesRowsAreJoinedByBlankLinesAsTransformersJoinsThem() throws {
        let path = try write("rows.jsonl", "{\"text\": \"In the beginning\"}\n\n{\"text\": \"God created\", \"id\": 2}\r\n")
        #expect(try EvalText.readJSONLines(path, field: "text") == "In the beginning\n\nGod created")
    }

    @Test func badJSONLinesNameTheLineAndTheField() throws {
        let path = try write("bad.jsonl", "{\"text\": \"a\"}\n{\"body\": \"b\"}\n")
        #expect(message { try EvalText.readJSONLines(path, field: "text") }.contains("bad.jsonl:2: field \"text\" is missing"))
        let notJSON = try write("worse.jsonl", "{\"text\": \"a\"}\nnot json\n")
        #expect(message { try EvalText.readJSONLines(notJSON, field: "text") }.contains("worse.jsonl:2: not a JSON value"))
        let number = try write("number.jsonl", "{\"text\": 3}\n")
        #expect(message { try EvalText.readJSONLines(number, field: "text") }.contains("is not a string"))
    }

    @Test func emptyMissingAndNonUTF8FilesAreRefused() throws {
        #expect(message { try EvalText.read(try write("empty.txt", "")) }.contains("is empty"))
        #expect(message { try EvalText.read(directory.file("absent.txt")) }.contains("no such file"))
        #expect(message { try EvalText.read(directory.path) }.contains("is a directory"))
        let latin1 = directory.file("latin1.txt")
        try Data([0x63, 0x61, 0x66, 0xE9]).write(to: URL(fileURLWithPath: latin1))
        #expect(message { try EvalText.read(latin1) }.contains("is not UTF-8"))
    }
}
