// swift-tools-version:6.0
import PackageDescription

// Kernels are compiled with optimisation even in debug builds: the tests run them on
// thousands of random matrices, and SIMD code at -O0 is slower than the scalar reference.
let kernelFlags: [CSetting] = [
    .unsafeFlags(["-O2", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"]),
]
// The same for the Swift modules whose loops walk every weight of a checkpoint (conversion, synthetic
// models, safetensors reading) or every byte of a text (tokenizers): unoptimised, they take minutes on
// inputs of real size.
let weightLoopFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "rsr",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rsr", targets: ["rsr"]),
        .library(name: "RSRCore", targets: ["RSRCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        .target(
            name: "CRSRKernels",
            cSettings: kernelFlags,
            linkerSettings: [.linkedLibrary("openblas"), .linkedLibrary("pthread"), .linkedLibrary("m")]
        ),
        .target(name: "RSRCore", dependencies: ["CRSRKernels"]),
        // The CUDA library itself (cuda/src) is built by Scripts/build-cuda.sh; rsr only loads it at run time.
        .target(name: "CRSRCuda", path: "cuda", exclude: ["src"], sources: ["loader"], publicHeadersPath: "include",
                cSettings: kernelFlags, linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CUDABackend", dependencies: ["CRSRCuda", "RSRCore", "RSRFormat", "RSRModel"]),
        .target(name: "FileIO"),
        .target(name: "Console"),
        .target(name: "SafeTensors", dependencies: ["FileIO"], swiftSettings: weightLoopFlags),
        .target(name: "CHubSupport", linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("crypto")]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "RSRFormat", dependencies: ["CZlib", "FileIO", "RSRCore"]),
        .target(name: "Hub", dependencies: ["CHubSupport", "Console", "FileIO"]),
        .target(name: "Tokenizers", dependencies: ["FileIO"], swiftSettings: weightLoopFlags),
        .target(name: "ChatTemplate"),
        .target(name: "RSRModel", dependencies: ["RSRCore", "RSRFormat"], swiftSettings: weightLoopFlags),
        .target(name: "RSRConvert", dependencies: ["RSRFormat", "RSRCore", "SafeTensors", "FileIO"], swiftSettings: weightLoopFlags),
        .target(name: "RSREval", dependencies: ["RSRModel", "FileIO"]),
        // Continuous batching: many requests' sequences through one model, a step at a time.
        .target(name: "RSREngine", dependencies: ["RSRCore", "RSRModel", "RSRFormat", "Tokenizers", "ChatTemplate"]),
        // The OpenAI-compatible HTTP API over an engine.
        .target(name: "RSRServer", dependencies: ["RSREngine", "RSRModel", "RSRFormat", "Tokenizers",
                                                  .product(name: "Hummingbird", package: "hummingbird"),
                                                  .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "RSRBench", dependencies: ["RSRCore", "CRSRKernels", "RSRFormat", "RSRModel", "RSREngine"]),
        .target(
            name: "RSRCLI",
            dependencies: ["RSRCore", "RSRBench", "RSRConvert", "RSRFormat", "RSRModel", "RSREval", "RSREngine", "RSRServer", "Tokenizers",
                           "ChatTemplate", "Hub",
                           "CUDABackend",
                           "SafeTensors", "Console", "FileIO",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "rsr", dependencies: ["RSRCLI"]),
        // Generation after generation in one process, watching memory and descriptors (Scripts/soak.sh).
        .executableTarget(name: "rsr-soak", dependencies: ["RSRCLI", "RSREngine", "RSRFormat", "RSRModel", "Tokenizers"]),
        .testTarget(name: "RSRCoreTests", dependencies: ["RSRCore", "CRSRKernels"]),
        .target(name: "TestSupport", dependencies: ["FileIO"], path: "Tests/TestSupport"),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "FileIO", "TestSupport"]),
        .testTarget(name: "HubTests", dependencies: ["Hub", "FileIO", "TestSupport"]),
        .testTarget(name: "RSRBenchTests", dependencies: ["RSRBench", "RSRCore"]),
        .testTarget(name: "RSRCLITests", dependencies: ["RSRCLI", "RSRCore", "FileIO", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console"]),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "FileIO", "TestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplate", "TestSupport"]),
        .testTarget(name: "RSRModelTests", dependencies: ["RSRModel", "RSRConvert", "RSRFormat", "RSRCore", "RSREval", "Tokenizers", "FileIO",
                                                     "TestSupport"]),
        // the batching engine and the HTTP server over it, on the default model
        .testTarget(name: "RSRServerTests", dependencies: ["RSRServer", "RSREngine", "RSRModel", "RSRConvert", "RSRFormat", "TestSupport"]),
        .testTarget(name: "RSREvalTests", dependencies: ["RSREval", "RSRModel", "RSRFormat", "TestSupport"]),
        .testTarget(name: "CUDABackendTests", dependencies: ["CUDABackend", "CRSRCuda", "RSRCore", "TestSupport"]),
        .testTarget(name: "RSRFormatTests", dependencies: ["RSRFormat", "RSRCore", "FileIO", "TestSupport"]),
        .testTarget(name: "RSRConvertTests", dependencies: ["RSRConvert", "RSRFormat", "RSRCore", "SafeTensors", "FileIO", "TestSupport"]),
    ]
)

// Fuzz targets, one per parser of outside data (docs/RELIABILITY.md, "Fuzzing"). A normal build links each as
// a replayer of the inputs named on its command line (`swift run FuzzSafeTensors Fuzz/Corpus/FuzzSafeTensors`);
// Scripts/fuzz.sh builds them with -DFUZZING and libFuzzer into .build-fuzz and fuzzes them.
let fuzzTargets: [(String, [Target.Dependency])] = [
    ("FuzzSafeTensors", ["SafeTensors", "FileIO"]),
    ("FuzzModelFile", ["RSRFormat", "RSRCore", "FileIO"]),
    ("FuzzModelConfig", ["RSRConvert", "RSRFormat"]),
    ("FuzzTokenizer", ["Tokenizers"]),
    ("FuzzTokenizerText", ["Tokenizers"]),
    ("FuzzChatTemplate", ["ChatTemplate"]),
    ("FuzzHubInfo", ["Hub"]),
    ("FuzzEvalText", ["RSREval"]),
]
package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Support"))
for (name, dependencies) in fuzzTargets {
    package.targets.append(.executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Fuzz/\(name)"))
}
