import Foundation

/// A Hugging Face chat template: the Jinja subset that `tokenizer_config.json` and `chat_template.jinja` files
/// use, parsed once and rendered as Python's jinja2 renders it with transformers' settings
/// (`ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)` with loop controls, the
/// `{% generation %}` tag, `raise_exception`, `strftime_now`, `namespace`, `dict` and transformers' `tojson`).
///
/// Refused with a syntax error: template inheritance and inclusion (`extends`, `block`, `include`, `import`),
/// `autoescape`, recursive loops, `*args`/`**kwargs` in calls, and the jinja2 filters listed in
/// `Filters.refused`. Rendering never crashes or runs away on hostile input: parsing nesting, macro recursion,
/// `range`, integer arithmetic, widths, the size of strings, lists and the output, the depth of built values
/// and the total work are bounded (`Limits`), and each failure is a `TemplateError` with its line and column.
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [Node]
    private let map: SourceMap

    /// Parses `source`; throws a `TemplateError` of kind `.syntax` naming where and what was expected.
    public init(_ source: String) throws {
        let (nodes, map) = try onLargeStack {
            let scalars = Lexer.normalize(source)
            let map = SourceMap(scalars)
            var lexer = Lexer(scalars, map: map)
            var parser = Parser(tokens: try lexer.tokenize(), map: map)
            return (try parser.parseTemplate(), map)
        }
        self.source = source
        self.nodes = nodes
        self.map = map
    }

    /// Renders with `context` as the template's variables. Throws a `TemplateError` of kind `.render`, or
    /// `.raised` when the template calls `raise_exception`.
    public func render(_ context: [String: TemplateValue]) throws -> String {
        try render(context, stepBudget: Limits.maxSteps)
    }

    /// Renders with a budget of work other than `Limits.maxSteps`, so that tests reach it quickly.
    func render(_ context: [String: TemplateValue], stepBudget: Int) throws -> String {
        try onLargeStack { [nodes, map] in
            let scope = Scope(parent: nil)
            for (name, value) in context {
                do { scope.variables[name] = try Value(value) } catch let failure as RenderFailure {
                    throw TemplateError(.render, line: 1, column: 1, "context variable '\(name)': \(failure.message)")
                }
            }
            let interpreter = Interpreter(map: map, stepBudget: stepBudget)
            _ = try interpreter.run(nodes, scope)
            return interpreter.output
        }
    }

    /// The usual Hugging Face context, as `apply_chat_template` builds it: `messages` (each `{role, content}`),
    /// `bos_token` and `eos_token` where the tokenizer has them, `add_generation_prompt`, and `tools` and
    /// `documents` as none. `extra` adds variables or replaces these.
    public func render(messages: [(role: String, content: String)], bosToken: String?, eosToken: String?,
                       addGenerationPrompt: Bool, extra: [String: TemplateValue] = [:]) throws -> String
    {
        var context: [String: TemplateValue] = [
            "messages": .array(messages.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "tools": .none,
            "documents": .none,
        ]
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        context.merge(extra) { _, new in new }
        return try render(context)
    }
}

/// The result of work done on another thread.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// The stack size for parsing and rendering: enough for the nesting limits (100 levels of blocks or
/// expressions, 100 nested macro calls) however deep the caller's own stack already is.
private let renderStackSize = 64 << 20

/// Runs `body` on a thread with a large stack and waits for it. The interpreter recurses as deeply as the
/// template nests; running here keeps that off the caller's stack, whose size (a test runner's or a
/// concurrency pool's thread) is unknown.
private func onLargeStack<T>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.result = Result { try body() }
        done.signal()
    }
    thread.stackSize = renderStackSize
    thread.start()
    done.wait()
    guard let result = box.result else { throw TemplateError(.render, line: 1, column: 1, "the rendering thread ended without a result") }
    return try result.get()
}
