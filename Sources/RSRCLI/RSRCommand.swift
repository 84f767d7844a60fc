import ArgumentParser
import RSRCore

/// The `rsr` command line: ternary and binary LLMs through RSR kernels.
public struct RSRCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rsr",
        abstract: "Run ternary and binary LLMs with Redundant Segment Reduction kernels.",
        version: RSRVersion.current,
        subcommands: [Generate.self, Serve.self, Download.self, Convert.self, Inspect.self, Eval.self, Synth.self, Bench.self]
    )

    public init() {}
}
