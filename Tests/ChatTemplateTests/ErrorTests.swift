import ChatTemplate
import Testing

/// Malformed templates and failing renders: each is a `TemplateError` naming its line and column, never a
/// crash and never a hang.
@Suite struct ErrorTests {
    func syntaxError(_ template: String) -> TemplateError? {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate(template) }
        #expect(error?.kind == .syntax, "\(template.debugDescription): \(String(describing: error))")
        return error
    }

    func renderError(_ template: String, _ context: [String: TemplateValue] = [:]) -> TemplateError? {
        #expect(throws: TemplateError.self) { try ChatTemplate(template).render(context) }
        do {
            _ = try ChatTemplate(template).render(context)
        } catch let error as TemplateError {
            return error
        } catch {}
        return nil
    }

    @Test(arguments: [
        ("{% if true %}x", 1, 4, "'endif'"),
        ("a\n  {% if x %}\n{% for y in z %}\n", 3, 4, "'endfor'"),
        ("{% macro m() %}", 1, 4, "'endmacro'"),
        ("{% set x %}abc", 1, 4, "'endset'"),
    ])
    func unclosedBlocksNameTheBlock(template: String, line: Int, column: Int, wanted: String) {
        let error = syntaxError(template)
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.message.contains(wanted) == true, "\(String(describing: error))")
    }

    @Test func unknownAndRefusedNamesAreSyntaxErrors() {
        let filter = syntaxError("{{ x | nosuch }}")
        #expect(filter?.column == 8)
        #expect(filter?.message == "the filter 'nosuch' does not exist")
        #expect(syntaxError("{{ x is nosuch }}")?.column == 9)
        #expect(syntaxError("{{ 'a b' | wordcount }}")?.message.contains("not supported") == true)
        #expect(syntaxError("{% include 'other.jinja' %}")?.message.contains("not supported") == true)
        #expect(syntaxError("{% extends 'base' %}") != nil)
        #expect(syntaxError("{% for x in y recursive %}{% endfor %}")?.message.contains("recursive") == true)
        #expect(syntaxError("{{ f(*args) }}") != nil)
        #expect(syntaxError("{% frobnicate %}")?.message == "unknown tag 'frobnicate'")
    }

    @Test(arguments: [
        ("{{ 1 + }}", 1, 8), ("{% endif %}", 1, 4), ("{% for %}{% endfor %}", 1, 8), ("{{ 'unterminated }}", 1, 4),
        ("{# never closed", 1, 1), ("{{ (1 }}", 1, 7), ("{% raw %}abc", 1, 1), ("x\n{{ x", 2, 5), ("{% break %}", 1, 4),
        ("{% if x %}{% else %}{% elif y %}{% endif %}", 1, 24), ("{{ x.1a }}", 1, 7), ("{{ [1, 2 }}", 1, 10),
        ("{% set 1 = 2 %}", 1, 8), ("{{ a is defined is none }}", 1, 17), ("{% macro m(a=1, b) %}{% endmacro %}", 1, 17),
        ("{% for x in y %}{% generation %}{% break %}{% endgeneration %}{% endfor %}", 1, 36), ("{{ }}", 1, 4),
        ("{{ 99999999999999999999 }}", 1, 4), ("{{ '\\x4' }}", 1, 4), ("{{ x | }}", 1, 8), ("{% if %}{% endif %}", 1, 7),
    ])
    func badSyntaxIsLocated(template: String, line: Int, column: Int) {
        let error = syntaxError(template)
        #expect(error?.line == line, "\(template.debugDescription): \(String(describing: error))")
        #expect(error?.column == column, "\(template.debugDescription): \(String(describing: error))")
    }

    @Test func raiseExceptionCarriesItsMessageAndPlace() {
        let error = renderError("line1\n  {{ raise_exception('boom: ' ~ 42) }}")
        #expect(error?.kind == .raised)
        #expect(error?.message == "boom: 42")
        #expect(error?.line == 2)
        #expect(error?.column == 6)
        #expect(error?.description == "chat template raised an exception at line 2, column 6: boom: 42")
    }

    @Test func renderFailuresAreLocated() {
        let division = renderError("{{ 1 }}\n  {{ 1 / 0 }}")
        #expect(division?.kind == .render)
        #expect(division?.line == 2)
        #expect(division?.column == 8)
        #expect(division?.message == "division by zero")
        #expect(renderError("{{ nope.attr }}")?.message == "'nope' is undefined")
        #expect(renderError("{{ 'a' + 1 }}")?.message == "can only concatenate str (not \"int\") to str")
        #expect(renderError("{{ x() }}", ["x": 1])?.message == "'int' object is not callable")
        #expect(renderError("{% for a, b in [1] %}{% endfor %}") != nil)
        #expect(renderError("{{ [].append(1) }}")?.message.contains("unsafe") == true)
        #expect(renderError("{% set n = 1 %}{% set n.x = 2 %}")?.message == "cannot assign attribute on non-namespace object")
        #expect(renderError("{{ 2 ** 62 * 4 }}")?.message.contains("overflow") == true)
    }

    @Test func runawayTemplatesFailInsteadOfCrashingOrHanging() {
        #expect(syntaxError("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}") != nil)
        #expect(syntaxError("{{ " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + " }}") != nil)
        #expect(syntaxError("{{ " + String(repeating: "- ", count: 5000) + "1 }}") != nil)
        #expect(syntaxError("{{ " + String(repeating: "not ", count: 5000) + "1 }}") != nil)
        #expect(syntaxError(String(repeating: "{% if true %}", count: 500)) != nil)
        #expect(syntaxError("{{ 1" + String(repeating: " + 1", count: 20000) + " }}") != nil)
        #expect(syntaxError("{{ x" + String(repeating: " | trim", count: 5000) + " }}") != nil)
        #expect(renderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")?.message.contains("nest") == true)
        #expect(renderError("{{ 'x' * 10000000000 }}") != nil)
        #expect(renderError("{{ range(100001) | length }}") != nil)
        #expect(renderError("{% set ns = namespace(v=[]) %}{% for i in range(1000) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v }}") != nil)
        var deep: TemplateValue = 1
        for _ in 0..<1000 { deep = [deep] }
        #expect(renderError("{{ v }}", ["v": deep]) != nil)
    }

    /// Every prefix of a real template, and a soup of template pieces, either parses and renders or throws a
    /// `TemplateError`; nothing else escapes and nothing hangs.
    @Test func truncatedAndScrambledTemplatesOnlyThrowTemplateErrors() {
        let source = ModelTemplates.llama31 + ModelTemplates.qwen3
        let scalars = Array(source.unicodeScalars)
        var generator = SplitMix(seed: 0x5eed)
        var sources: [String] = stride(from: 0, to: scalars.count, by: 13).map { String(String.UnicodeScalarView(scalars[..<$0])) }
        let pieces = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "if", "for", "in", "endif", "endfor", "else", "set", "=", "x",
                      "(", ")", "[", "]", "{", "}", "'", "\"", "|", "trim", "is", "defined", "not", ",", ":", ".", "1", "1.5",
                      "raw", "endraw", "macro", "endmacro", "\n", " ", "loop", "namespace", "**", "~", "\\"]
        for _ in 0..<1500 {
            sources.append((0..<Int(generator.next() % 24)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined())
        }
        let context: [String: TemplateValue] = ["x": ["a", 1], "messages": [["role": "user", "content": "hi"]]]
        for text in sources {
            do {
                _ = try ChatTemplate(text).render(context)
            } catch is TemplateError {
            } catch {
                Issue.record("\(text.debugDescription) threw \(error)")
            }
        }
    }
}

/// A small deterministic generator, so that the scrambled templates are the same on every run.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
