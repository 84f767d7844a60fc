import Foundation

/// The entry point every fuzz target shares. Built with `-DFUZZING` and `-sanitize=fuzzer` (Scripts/fuzz.sh),
/// it hands control to libFuzzer, which calls `body` with each generated input. Built normally, it replays the
/// files (or the files in the directories) given on the command line once each, so the corpus and the crash
/// inputs under Fuzz/Corpus double as regression inputs: `swift run FuzzSafeTensors Fuzz/Corpus/FuzzSafeTensors`.
///
/// `body` may throw: an error is the clear answer rsr gives to bad input, not a finding. A crash, a trap
/// (precondition, overflow, out-of-bounds index), a sanitizer report, a hang or runaway memory is a finding.
public enum FuzzDriver {
    public static func run(_ body: @escaping ([UInt8]) throws -> Void) -> Never {
        target = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
        exit(replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Replays every file named (directories: every regular file inside, recursively); prints each input's
    /// outcome with `-v`. Returns the exit status: 0 when every input ended without a crash, 2 on usage errors.
    static func replay(_ arguments: [String]) -> Int32 {
        let verbose = arguments.contains("-v")
        let roots = arguments.filter { $0 != "-v" }
        guard !roots.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) [-v] FILE-OR-DIRECTORY...\n".utf8))
            return 2
        }
        var inputs: [String] = []
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("\(root): no such file or directory\n".utf8))
                return 2
            }
            if isDirectory.boolValue {
                let names = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted()
                for name in names {
                    let path = root + "/" + name
                    var dir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path, isDirectory: &dir), !dir.boolValue { inputs.append(path) }
                }
            } else {
                inputs.append(root)
            }
        }
        var rejected = 0
        for path in inputs {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot be read\n".utf8))
                return 2
            }
            do {
                try target([UInt8](data))
                if verbose { print("\(path): accepted") }
            } catch {
                rejected += 1
                if verbose { print("\(path): rejected: \(error)") }
            }
        }
        print("replayed \(inputs.count) inputs without a crash (\(inputs.count - rejected) accepted, \(rejected) rejected with an error)")
        return 0
    }

    /// Splits an input in two at the first occurrence of `separator`: (before, after), or (input, nil)
    /// when the separator does not occur.
    public static func split(_ input: [UInt8], at separator: [UInt8]) -> ([UInt8], [UInt8]?) {
        guard !separator.isEmpty, input.count >= separator.count else { return (input, nil) }
        for start in 0...(input.count - separator.count) where input[start] == separator[0] {
            if input[start..<start + separator.count].elementsEqual(separator) {
                return (Array(input[..<start]), Array(input[(start + separator.count)...]))
            }
        }
        return (input, nil)
    }

    /// A fresh path in the temporary directory for targets whose parser reads a file, unique per process.
    public static let scratchFile: String = {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return "\(directory)/rsr-fuzz-\(getpid()).bin"
    }()

    /// Writes `bytes` to `scratchFile`, replacing what was there.
    public static func writeScratch(_ bytes: [UInt8]) -> String {
        let path = scratchFile
        unlink(path)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

nonisolated(unsafe) private var target: ([UInt8]) throws -> Void = { _ in }

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// RSR_FUZZ_VERBOSE=1 prints why each rejected input was rejected (to check that seeds are accepted).
private let verbose = ProcessInfo.processInfo.environment["RSR_FUZZ_VERBOSE"] == "1"

/// libFuzzer's per-input callback (also exported under its conventional name).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { [UInt8](UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try target(bytes) } catch { if verbose { print("rejected: \(error)") } }
    return 0
}
#endif
