/// A template that cannot be parsed or rendered, a `raise_exception` call, or a JSON context that cannot be
/// read, with the line and column (both from 1, columns counted in Unicode scalars) where it happened.
public struct TemplateError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The template breaks the grammar, or uses a tag, filter or test this interpreter does not have.
        case syntax
        /// Rendering failed: an undefined value used as a value, a type mismatch, a failed filter.
        case render
        /// The template called `raise_exception(message)`; `message` is its argument.
        case raised
        /// `TemplateValue(json:)` was given a document that is not JSON.
        case invalidJSON
    }

    public let kind: Kind
    public let line: Int
    public let column: Int
    public let message: String

    public init(_ kind: Kind, line: Int, column: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        switch kind {
        case .syntax: return "chat template syntax error at line \(line), column \(column): \(message)"
        case .render: return "chat template failed at line \(line), column \(column): \(message)"
        case .raised: return "chat template raised an exception at line \(line), column \(column): \(message)"
        case .invalidJSON: return "invalid JSON at line \(line), column \(column): \(message)"
        }
    }
}

/// A failure inside a filter, test, method or operator, which does not know where in the template it was
/// called; the interpreter adds the place when it turns this into a `TemplateError`.
struct RenderFailure: Error {
    let message: String
    var raised = false

    init(_ message: String, raised: Bool = false) {
        self.message = message
        self.raised = raised
    }
}

/// Maps scalar offsets in the (newline-normalised) source to lines and columns.
struct SourceMap: Sendable {
    private let lineStarts: [Int]

    init(_ scalars: [Unicode.Scalar]) {
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    func location(_ offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    func error(_ kind: TemplateError.Kind, at offset: Int, _ message: String) -> TemplateError {
        let (line, column) = location(offset)
        return TemplateError(kind, line: line, column: column, message)
    }
}
