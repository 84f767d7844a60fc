import ChatTemplate
import Foundation
import TestSupport
import Testing

/// Renders templates with Python's jinja2 set up as transformers sets it up (`_compile_jinja_template`:
/// an immutable sandbox with `trim_blocks`, `lstrip_blocks`, loop controls, the `generation` tag and
/// transformers' globals and `tojson`), and compares our output with it.
enum JinjaReference {
    static let available = pythonHas("jinja2")

    /// The environment of transformers' `_cached_compile_jinja_template`, without transformers itself.
    static let script = #"""
    import json, os, sys
    from datetime import datetime
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class AssistantTracker(Extension):
        tags = {"generation"}
        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)
        def _generation_support(self, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)
        def fromkeys(self, *args, **kwargs):
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)
        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)
        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError("underscore-prefixed namespace attribute")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace

    results = []
    for case in json.load(open(os.environ["JINJA_CASES"], encoding="utf-8")):
        try:
            template = env.from_string(case["template"])
            results.append({"ok": template.render(**json.loads(case["context"]))})
        except Exception as error:
            results.append({"error": type(error).__name__ + ": " + str(error)})
    json.dump(results, open(os.environ["JINJA_RESULTS"], "w", encoding="utf-8"))
    """#

    /// What Python's jinja2 made of a case: the text, or the error's type and message.
    enum Outcome: Equatable {
        case text(String)
        case error(String)
    }

    /// Renders each (template, JSON context) pair with jinja2 in one Python process.
    static func render(_ cases: [(template: String, context: String)]) throws -> [Outcome] {
        let directory = TemporaryDirectory()
        let file = directory.file("cases.json")
        let payload = cases.map { ["template": $0.template, "context": $0.context] }
        try JSONSerialization.data(withJSONObject: payload).write(to: URL(fileURLWithPath: file))
        let resultsFile = directory.file("results.json")
        guard let (status, output) = runPython(script, environment: ["JINJA_CASES": file, "JINJA_RESULTS": resultsFile]), status == 0 else {
            throw ReferenceError(message: "python3 could not run the jinja2 reference")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: resultsFile))
        guard let results = try JSONSerialization.jsonObject(with: data) as? [[String: String]] else {
            throw ReferenceError(message: "unreadable reference output: \(output.prefix(500))")
        }
        return results.map { result in result["ok"].map(Outcome.text) ?? .error(result["error"] ?? "?") }
    }

    struct ReferenceError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Our rendering of a case, in the same shape.
    static func ours(_ template: String, _ context: String) -> Outcome {
        do {
            guard case .object(let pairs) = try TemplateValue(json: context) else { return .error("context is not an object") }
            var variables: [String: TemplateValue] = [:]
            for (key, value) in pairs { variables[key] = value }
            return .text(try ChatTemplate(template).render(variables))
        } catch {
            return .error("\(error)")
        }
    }

    /// Expects every case to render exactly as jinja2 renders it (compared scalar by scalar), or to fail
    /// where jinja2 fails. Skipped, with a note, when jinja2 is not installed.
    static func expectSame(_ cases: [(template: String, context: String)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard available else { return }
        let reference = try render(cases)
        #expect(reference.count == cases.count, sourceLocation: sourceLocation)
        for (index, expected) in reference.enumerated() where index < cases.count {
            let (template, context) = cases[index]
            let actual = ours(template, context)
            switch (expected, actual) {
            case (.text(let a), .text(let b)):
                #expect(Array(a.unicodeScalars) == Array(b.unicodeScalars),
                        "template \(template.debugDescription) with \(context): jinja2 gave \(a.debugDescription), we gave \(b.debugDescription)",
                        sourceLocation: sourceLocation)
            case (.error, .error):
                break
            default:
                Issue.record("template \(template.debugDescription) with \(context): jinja2 gave \(expected), we gave \(actual)",
                             sourceLocation: sourceLocation)
            }
        }
    }

    /// Every template with every context.
    static func expectSame(templates: [String], contexts: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectSame(templates.flatMap { template in contexts.map { (template, $0) } }, sourceLocation: sourceLocation)
    }
}
