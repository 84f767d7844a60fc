import FileIO
import Foundation
import TestSupport
import Testing

/// `rsr convert` stopped at any moment, or out of disk space, leaves either nothing at the output path or a
/// complete file that verifies; never a partial one.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct ConvertFaultTests {
    let dir = TemporaryDirectory()

    func verifies(_ path: String) throws -> Bool {
        try RSRProcess.run(["inspect", path, "--verify"]).status == 0
    }

    @Test func aConversionKilledAtRandomMomentsLeavesNothingOrAVerifiedFile() throws {
        var generator = SystemRandomNumberGenerator()
        var outcomes = (nothing: 0, complete: 0)
        for run in 0..<32 {
            let output = dir.file("out-\(run % 4).rsr")
            try? FileManager.default.removeItem(atPath: output)
            let convert = try RSRProcess(["convert", defaultModelDirectory, "-o", output, "--quiet"])
            usleep(UInt32.random(in: 0...400_000, using: &generator))
            kill(convert.process.processIdentifier, SIGKILL)
            _ = convert.finish()
            if Path.exists(output) {
                #expect(try verifies(output), "run \(run): \(output) is there but does not verify")
                outcomes.complete += 1
            } else {
                outcomes.nothing += 1
            }
        }
        print("convert killed 32 times: \(outcomes.nothing) left nothing, \(outcomes.complete) a verified file")
        // The next conversion into the folder removes what the killed ones left under temporary names.
        let final = try RSRProcess.run(["convert", defaultModelDirectory, "-o", dir.file("out-0.rsr"), "--force", "--quiet"])
        #expect(final.status == 0, "\(final.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".out-0.rsr.tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// A full disk, played by a file size limit (see `RSRProcess`).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func aFullDiskFailsWithOneLineAndLeavesNothing() throws {
        let (status, _, stderr) = try RSRProcess.run(["convert", defaultModelDirectory, "-o", dir.file("full.rsr"), "--quiet"],
                                                     fileSizeLimit: 1_000_000)
        #expect(status != 0)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("File too large"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "something was left behind")
    }
}
