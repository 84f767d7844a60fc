import FileIO
import Foundation
import RSRConvert
import TestSupport
import Testing

/// Conversion never replaces a file it was not asked to replace, and leaves nothing behind when it fails.
@Suite struct OutputSafetyTests {
    let dir = TemporaryDirectory()

    /// The existence check at the start cannot cover a file made while converting; publishing must not
    /// rename over it.
    @Test func aFileThatAppearsDuringConversionIsKept() throws {
        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("1bit"))
        let output = dir.file("out.rsr")
        var options = ConvertOptions()
        options.threads = 1
        let converter = try Converter(directory: dir.file("1bit"), options: options)
        let error = try #require(throws: ConvertError.self) {
            _ = try converter.convert(to: output, progress: { done, _ in
                if done == 1 { try? AtomicFile.write(Array("someone else's file".utf8), to: output) }
            })
        }
        #expect(error.problem.contains("already exists"), "\(error)")
        #expect(Path.read(output) == Array("someone else's file".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["1bit", "out.rsr"])
    }

    @Test func forceReplacesAFileThatAppearsDuringConversion() throws {
        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("1bit"))
        let output = dir.file("out.rsr")
        var options = ConvertOptions()
        options.threads = 1
        options.overwrite = true
        _ = try Converter(directory: dir.file("1bit"), options: options).convert(to: output, progress: { done, _ in
            if done == 1 { try? AtomicFile.write(Array("old".utf8), to: output) }
        })
        #expect((Path.fileSize(output) ?? 0) > 1000)
    }
}
