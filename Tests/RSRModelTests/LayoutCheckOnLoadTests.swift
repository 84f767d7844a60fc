import FileIO
import Foundation
import RSRConvert
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// Layouts of 1 MiB and more skip the checksum at open; loading checks every index of every layout instead,
/// layers side by side. Damage in several layers is refused, naming the first damaged layer however the
/// checks were scheduled.
@Suite struct LayoutCheckOnLoadTests {
    let dir = TemporaryDirectory()

    @Test func damagedLayoutsInTwoLayersNameTheFirst() throws {
        var synthetic = SyntheticModel(preset: .bitnetLarge)
        synthetic.layers = 4
        let source = dir.file("large")
        try synthetic.write(to: source)
        var options = ConvertOptions()
        options.kernel = .rsrT
        options.threads = 2
        let path = dir.file("large.rsr")
        _ = try Converter(directory: source, options: options).convert(to: path)
        let file = try ModelFile(path: path)
        _ = try Transformer(file: file, threads: 2) // undamaged, it loads

        var bytes = try #require(Path.read(path))
        for layer in [3, 1] {
            let entry = try #require(file.manifest.linears[LayerSchema.name(layer, .gate)]?.layout(for: .decode))
            let section = file.sections[entry.section]
            #expect(section.size >= ModelFile.smallSectionBytes)
            let middle = Int(section.offset + section.size / 2)
            for i in middle..<middle + 4096 { bytes[i] = 0xff } // pattern codes past 242
        }
        let damaged = dir.file("damaged.rsr")
        try AtomicFile.write(bytes, to: damaged)
        let error = try #require(throws: ModelFileError.self) { _ = try Transformer(file: try ModelFile(path: damaged), threads: 2) }
        #expect(error.part.contains(LayerSchema.name(1, .gate)), "\(error)")
        #expect(error.problem.contains("not a valid layout"), "\(error)")
    }
}
