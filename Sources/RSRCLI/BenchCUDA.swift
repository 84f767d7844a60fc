import ArgumentParser
import CUDABackend
import Foundation
import RSRBench
import RSRCore
import RSRFormat
import RSRModel

struct BenchCUDA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuda",
        abstract: "Check the CUDA kernels against the CPU kernels, then time them on weight-matrix shapes.",
        discussion: """
            First every GPU kernel multiplies random ternary and integer matrices of awkward shapes by random \
            int8 batches and must give exactly the CPU kernel library's results, int32 and float (the command \
            fails otherwise). Then each kernel is timed on each shape and batch, the bit-plane kernels on 2- and \
            4-bit weights in groups of 128: the median of device-resident products, the GB/s of weights read \
            and that rate as a fraction of the GPU's peak memory bandwidth (memory clock x bus width, as the \
            driver reports them). With --model, also the upload time and generation speed of whole models.

            With RSR_CUDA_PROFILE=1 in the environment, the library prints each model's GPU time per forward \
            pass stage by stage when the model is freed (the decode step then runs launch by launch rather than \
            as a graph, a little slower).
            """
    )

    @Option(help: "Comma-separated ROWSxCOLS shapes to time (default: BitNet-2B-4T and Llama-3-8B shapes).")
    var shapes = ListArgument<MatrixShape>(argument: "2560x2560,640x2560,6912x2560,2560x6912,4096x4096,1024x4096,14336x4096,4096x14336")!

    @Option(help: "Comma-separated batch sizes to time.")
    var batch = ListArgument<Int>(argument: "1,128")!

    @Option(help: "Timed products per measurement.")
    var runs = 100

    @Flag(help: "Skip the check against the CPU kernels.")
    var noCheck = false

    @Option(name: .customLong("model"), help: "Also time generation with this model file on each kernel (repeatable).")
    var models: [String] = []

    @Option(help: "Prompt tokens for --model (random ids).")
    var prompt = 128

    @Option(name: .short, help: "Tokens to decode for --model.")
    var n = 128

    func validate() throws {
        try BenchValidation.check(threads: [1], batches: batch.values, shapes: shapes.values)
        if runs < 1 { throw ValidationError("--runs must be at least 1.") }
        if prompt < 1 || n < 2 { throw ValidationError("--prompt must be at least 1 and -n at least 2.") }
    }

    func run() throws {
        let device = try CUDADevice(library: try CUDALibrary())
        let info = try device.info()
        print(String(format: "device: %@ (sm_%d%d, %d SMs, %.0f GiB, peak memory bandwidth %.0f GB/s)", info.name,
                     info.computeCapability.major, info.computeCapability.minor, info.multiprocessors,
                     Double(info.totalBytes) / 1_073_741_824, info.memoryBandwidth / 1e9))
        if !noCheck {
            let (cases, mismatches) = try CUDAKernelCheck.run(device: device)
            for mismatch in mismatches { print("MISMATCH \(mismatch)") }
            guard mismatches.isEmpty else { throw ExitCode(1) }
            print("check: \(cases) products of \(CUDAKernelCheck.awkwardShapes.count) shapes equal the CPU kernels' exactly")
        }
        print("\n| kernel | shape | batch | median us | GB/s | of peak | vs packed-i2 |")
        print("|---|---|---:|---:|---:|---:|---:|")
        var rng = SplitMix64(seed: 2)
        for shape in shapes.values {
            let matrix = try LowBitMatrix.random(rows: shape.rows, cols: shape.cols, kind: .ternary, using: &rng)
            var linears = try [CUDAKernel.packedI2, .rsrT].map {
                (name: $0.rawValue, linear: try CUDALinear(device: device, kernel: $0, rows: shape.rows, cols: shape.cols, values: matrix.values))
            }
            for bits in [2, 4] {
                let integer = try IntegerMatrix.random(rows: shape.rows, cols: shape.cols, bits: bits, group: 128, using: &rng)
                linears.append((name: "bit-planes-\(bits)", linear: try CUDALinear(device: device, integer: integer)))
            }
            for b in batch.values {
                let times = try linears.map { try $0.linear.time(batch: b, runs: runs) }
                for ((name, linear), seconds) in zip(linears, times) {
                    let rate = Double(linear.bytes) / seconds
                    print(String(format: "| %@ | %@ | %d | %.1f | %.0f | %.0f%% | %.2fx |", name, shape.description, b,
                                 seconds * 1e6, rate / 1e9, info.memoryBandwidth > 0 ? 100 * rate / info.memoryBandwidth : 0,
                                 times[0] / seconds))
                }
            }
        }
        for path in models { try generation(path, device: device, bandwidth: info.memoryBandwidth) }
    }

    /// Prefill and decode speed of a model on each kernel, and decode against the bandwidth bound.
    private func generation(_ path: String, device: CUDADevice, bandwidth: Double) throws {
        let file = try ModelFile(path: path, backing: .mapped) // read once, to upload
        let config = file.manifest.model
        var rng = SplitMix64(seed: 3)
        let ids = (0..<prompt).map { _ in Int.random(in: 0..<config.vocabSize, using: &rng) }
        print("\n\(path): \(prompt)-token prompt, \(n) decoded tokens, median of 3")
        print("| kernel | load s | prefill tok/s | decode tok/s | MB per token | of bandwidth bound |")
        print("|---|---:|---:|---:|---:|---:|")
        // integer weights run on bit-planes whatever the ternary choice
        let integer = !(file.manifest.integerLinears ?? [:]).isEmpty
        for kernel in integer ? [.auto] : CUDAKernel.ternary {
            let model = try CUDAModel(file: file, device: device, kernel: kernel)
            let started = Date()
            try model.beginSequence(capacity: prompt + n) // the upload, with a cache the runs below fit in
            let load = Date().timeIntervalSince(started)
            _ = try Generator(model: model).generate(prompt: Array(ids.prefix(2)), maxTokens: 2) { _ in true } // the decode graph
            let runs = try (0..<3).map { _ in try Generator(model: model).generate(prompt: ids, maxTokens: n) { _ in true }.stats }
            let prefill = runs.map(\.prefillTokensPerSecond).sorted()[1], decode = runs.map(\.decodeTokensPerSecond).sorted()[1]
            let bytes = GenerationBenchmark.bytesPerDecodedToken(weights: model.weightBytesPerToken, config: config, prompt: prompt, decoded: n)
            let bound = bandwidth > 0 ? bandwidth / bytes : 0
            print(String(format: "| %@ | %.1f | %.0f | %.1f | %.1f | %.0f%% |", (integer ? CUDAKernel.bitPlanes : kernel).rawValue, load, prefill, decode,
                         bytes / 1e6, bound > 0 ? 100 * decode / bound : 0))
        }
    }
}
