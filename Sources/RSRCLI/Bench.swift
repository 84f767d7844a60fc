import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernels against baselines and print speedup tables.",
        subcommands: [BenchKernels.self, BenchTune.self, BenchGenerate.self, BenchServe.self, BenchCUDA.self]
    )
}
