import ArgumentParser

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's quality: perplexity, and divergence from a reference.",
        discussion: """
            Both subcommands follow transformers' sliding-window perplexity recipe. The text is tokenized once \
            as the tokenizer does by default (with <s> where the model has one); windows of --context tokens \
            start at 0, --stride, 2 x --stride, ... until one reaches the end of the text, each runs as one \
            sequence from an empty cache (in batches through the prefill kernels), and each scores only the \
            tokens after the previous window's end, so every token but the first is predicted exactly once with \
            up to context - stride tokens of history (with --stride equal to --context the windows do not \
            overlap and each one's first token is not scored). Perplexity is exp of the mean negative log-likelihood \
            (natural log, logits in f32, sums in f64); KL divergence is KL(reference ‖ model) of the \
            next-token distributions at the same positions.
            """,
        subcommands: [EvalPerplexity.self, EvalCompare.self]
    )
}
