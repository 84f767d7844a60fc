import CRSRCuda
import CUDABackend
import Foundation
import TestSupport
import XCTest

/// The loader's error paths, which every machine can check: the library missing, a file that is not one,
/// a library of another ABI version, and the real library on a machine without a CUDA device.
final class LoaderTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rsr-cuda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func testMissingLibrarySaysHowToBuildIt() {
        let missing = scratch.appendingPathComponent("librsr_cuda.so").path
        XCTAssertThrowsError(try CUDALibrary(searching: [missing])) { error in
            let e = error as! CUDAError
            XCTAssertEqual(e.kind, .libraryNotFound)
            XCTAssertTrue(e.meansNoCUDA)
            XCTAssertTrue(e.message.contains("Scripts/build-cuda.sh"), e.message)
            XCTAssertTrue(e.message.contains(missing), e.message)
        }
    }

    func testSearchOrder() {
        let explicit = CUDALibrary.searchPaths(environment: ["RSR_CUDA_LIBRARY": "/opt/x/librsr_cuda.so"], executable: "/a/b/rsr")
        XCTAssertEqual(explicit, ["/opt/x/librsr_cuda.so"])
        let paths = CUDALibrary.searchPaths(environment: [:], executable: "/p/.build/x86_64-unknown-linux-gnu/release/rsr")
        XCTAssertEqual(paths, ["/p/.build/x86_64-unknown-linux-gnu/release/librsr_cuda.so", "/p/.build/cuda/librsr_cuda.so",
                               "/p/.build/x86_64-unknown-linux-gnu/cuda/librsr_cuda.so"])
    }

    /// A bare or relative executable name would place the search in the current directory.
    func testSearchNeverStartsFromARelativeExecutable() {
        XCTAssertEqual(CUDALibrary.searchPaths(environment: [:], executable: "rsr"), [])
        XCTAssertEqual(CUDALibrary.searchPaths(environment: [:], executable: ".build/release/rsr"), [])
        XCTAssertTrue(CUDALibrary.runningExecutable().hasPrefix("/"), CUDALibrary.runningExecutable())
    }

    /// Loading runs a library's constructors, so one that other users could have written is refused unopened.
    func testLibraryOthersCanWriteIsRefusedUnopened() throws {
        let marker = scratch.appendingPathComponent("constructor-ran").path
        let library = try buildLibrary(source: constructorWriting(marker) + "int rsr_cuda_abi_version(void) { return \(RSR_CUDA_ABI_VERSION); }\n")
        XCTAssertEqual(chmod(library, 0o666), 0)
        XCTAssertThrowsError(try CUDALibrary(searching: [library])) { error in
            let e = error as! CUDAError
            XCTAssertEqual(e.kind, .libraryUnusable)
            XCTAssertTrue(e.message.contains("can be written by other users"), e.message)
        }
        XCTAssertEqual(chmod(library, 0o755), 0)
        XCTAssertEqual(chmod(scratch.path, 0o777), 0) // a folder anyone may replace files in, without the sticky bit
        XCTAssertThrowsError(try CUDALibrary(searching: [library])) { error in
            XCTAssertTrue((error as! CUDAError).message.contains("its folder"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the refused library's constructor ran")
    }

    /// rsr run inside a folder holding .build/cuda/librsr_cuda.so must not load it: a copy of rsr with no library
    /// beside it, started in such a folder, reports that it found none, and the folder's library never runs.
    func testRsrDoesNotLoadALibraryFromTheCurrentDirectory() throws {
        guard FileManager.default.isExecutableFile(atPath: rsrExecutable) else { throw XCTSkip("rsr is not built") }
        let marker = scratch.appendingPathComponent("constructor-ran").path
        let bin = scratch.appendingPathComponent("tool/bin"), folder = scratch.appendingPathComponent("untrusted")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".build/cuda"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: rsrExecutable, toPath: bin.appendingPathComponent("rsr").path)
        let library = try buildLibrary(source: constructorWriting(marker) + "int rsr_cuda_abi_version(void) { return \(RSR_CUDA_ABI_VERSION); }\n")
        try FileManager.default.moveItem(atPath: library, toPath: folder.appendingPathComponent(".build/cuda/librsr_cuda.so").path)

        let rsr = Process()
        rsr.executableURL = bin.appendingPathComponent("rsr")
        rsr.arguments = ["bench", "cuda"]
        rsr.currentDirectoryURL = folder
        rsr.environment = ProcessInfo.processInfo.environment.filter { $0.key != "RSR_CUDA_LIBRARY" }
        let err = Pipe()
        rsr.standardError = err
        rsr.standardOutput = FileHandle.nullDevice
        try rsr.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        rsr.waitUntilExit()
        XCTAssertNotEqual(rsr.terminationStatus, 0)
        XCTAssertTrue(message.contains("was not found"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "rsr loaded the current directory's library")
    }

    func testNotASharedLibrary() throws {
        let bogus = scratch.appendingPathComponent("librsr_cuda.so")
        try Data("not an ELF file".utf8).write(to: bogus)
        XCTAssertThrowsError(try CUDALibrary(searching: [bogus.path])) { error in
            let e = error as! CUDAError
            XCTAssertEqual(e.kind, .libraryUnusable)
            XCTAssertFalse(e.meansNoCUDA)
            XCTAssertTrue(e.message.contains(bogus.path), e.message)
        }
    }

    /// A real shared library that answers another ABI version.
    func testOtherABIVersionIsRefused() throws {
        let e = try loadingFails(source: "int rsr_cuda_abi_version(void) { return 999; }\n")
        XCTAssertEqual(e.kind, .libraryUnusable)
        XCTAssertTrue(e.message.contains("ABI version 999"), e.message)
    }

    /// A library of the right version that lacks the other functions.
    func testMissingFunctionIsRefused() throws {
        let e = try loadingFails(source: "int rsr_cuda_abi_version(void) { return \(RSR_CUDA_ABI_VERSION); }\n")
        XCTAssertEqual(e.kind, .libraryUnusable)
        XCTAssertTrue(e.message.contains("has no function rsr_cuda_last_error"), e.message)
    }

    /// The library Scripts/build-cuda.sh built, on a machine without a GPU: it loads, and finding no device
    /// is a clear error rather than a crash. Scripts/test.sh builds the library and sets
    /// RSR_REQUIRE_CUDA_LIBRARY, so there this test cannot be skipped.
    func testBuiltLibraryWithoutDevice() throws {
        let built = try builtFile("librsr_cuda.so")
        let library = try CUDALibrary(searching: [built])
        do {
            let count = try library.deviceCount()
            throw XCTSkip("this machine has \(count) CUDA device(s); Scripts/test-cuda.sh checks the backend on them")
        } catch let e as CUDAError {
            XCTAssertTrue(e.kind == .noDriver || e.kind == .noDevice, "\(e.kind): \(e.message)")
            XCTAssertTrue(e.meansNoCUDA)
            XCTAssertFalse(e.message.isEmpty)
            XCTAssertThrowsError(try CUDADevice(library: library)) { error in
                XCTAssertEqual((error as? CUDAError)?.kind, e.kind)
            }
        }
    }

    /// The GPU layouts and the kernels' arithmetic (ternary with packed-i2's Tensor Core fragments, both
    /// bit-plane kernels, the Q6 head's lanes), run on the host by the program build-cuda.sh builds.
    func testLayoutsAndKernelArithmeticOnTheHost() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: try builtFile("host-check"))
        let output = Pipe()
        check.standardOutput = output
        try check.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("24 of 24 ternary layout cases exact"), text)
        XCTAssertTrue(text.contains("12 integer cases of both bit-plane kernels exact, bit for bit"), text)
        XCTAssertTrue(text.contains("Q6_256 head lanes exact on 200 random blocks"), text)
    }

    /// A file Scripts/build-cuda.sh writes to .build/cuda; skips when it is not built, unless
    /// RSR_REQUIRE_CUDA_LIBRARY is set (Scripts/test.sh sets it after building).
    private func builtFile(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/cuda/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            if ProcessInfo.processInfo.environment["RSR_REQUIRE_CUDA_LIBRARY"] != nil {
                XCTFail("\(path) is missing: Scripts/build-cuda.sh did not build it")
            }
            throw XCTSkip("\(path) is not built (Scripts/build-cuda.sh)")
        }
        return path
    }

    /// C source for a constructor that creates `marker` when the library is loaded.
    private func constructorWriting(_ marker: String) -> String {
        "#include <stdio.h>\n__attribute__((constructor)) static void ran(void) { FILE * f = fopen(\"\(marker)\", \"w\"); if (f) fclose(f); }\n"
    }

    /// Builds a shared library from C source in the scratch folder and returns its path.
    private func buildLibrary(source text: String) throws -> String {
        let source = scratch.appendingPathComponent("lib.c"), library = scratch.appendingPathComponent("libtest.so")
        try Data(text.utf8).write(to: source)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-shared", "-fPIC", "-o", library.path, source.path]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0, "cc could not build \(library.lastPathComponent)")
        return library.path
    }

    /// Builds a shared library from C source and returns the error loading it gives.
    private func loadingFails(source text: String) throws -> CUDAError {
        let library = try buildLibrary(source: text)
        do {
            _ = try CUDALibrary(searching: [library])
        } catch let error as CUDAError {
            return error
        }
        XCTFail("\(library) loaded, but it lacks functions rsr needs")
        throw CUDAError(.libraryUnusable, "loaded")
    }
}
