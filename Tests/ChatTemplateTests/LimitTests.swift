@testable import ChatTemplate
import Testing

/// Hostile templates that would trap, overflow the stack, fill memory or run for hours: each stops with a
/// `TemplateError` that names the limit and what the template asked for, and quickly.
@Suite struct LimitTests {
    func render(_ template: String, stepBudget: Int = Limits.maxSteps) throws -> String {
        try ChatTemplate(template).render([:], stepBudget: stepBudget)
    }

    /// The message of the render failure, or nil (recording an issue) when the template rendered.
    func failure(_ template: String, stepBudget: Int = Limits.maxSteps) -> String? {
        do {
            _ = try render(template, stepBudget: stepBudget)
            Issue.record("\(template.prefix(80).debugDescription) rendered")
        } catch let error as TemplateError {
            #expect(error.kind == .render, "\(error)")
            return error.message
        } catch {
            Issue.record("\(template.prefix(80).debugDescription) threw \(error)")
        }
        return nil
    }

    func syntaxFailure(_ template: String) -> String? {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate(template) }
        #expect(error?.kind == .syntax)
        return error?.message
    }

    static let intMin = "(-9223372036854775807 - 1)"
    static let intMax = "9223372036854775807"

    // MARK: Integers

    @Test func rangeCountsItsItemsExactlyAtTheEndsOfInt() throws {
        #expect(try render("{{ range(\(Self.intMax), 0, \(Self.intMin)) | list }}") == "[9223372036854775807]")
        #expect(try render("{{ range(\(Self.intMin), \(Self.intMax), \(Self.intMax)) | list }}")
            == "[-9223372036854775808, -1, 9223372036854775806]")
        #expect(try render("{{ range(0, 10, \(Self.intMin)) | list }}") == "[]")
        #expect(try render("{{ range(10, 0, -3) | list }}") == "[10, 7, 4, 1]")
    }

    @Test func rangeOfNearlyTwoToTheSixtyFourItemsIsRefusedNotTrapped() {
        #expect(failure("{{ range(\(Self.intMin), \(Self.intMax)) | length }}")?.contains("MAX_RANGE (100000), and this one has 18446744073709551615 items") == true)
        #expect(failure("{{ range(\(Self.intMax), \(Self.intMin), -1) | length }}")?.contains("Range too big") == true)
    }

    @Test(arguments: [
        "\(intMax) + 1", "\(intMin) - 1", "4611686018427387904 * 2", "\(intMin) * -1", "\(intMin) // -1", "2 ** 63",
        "-\(intMin)", "\(intMin) | abs", "[0, 1] | sum(start=\(intMax))",
    ])
    func integerOverflowIsAnErrorNotATrap(expression: String) {
        #expect(failure("{{ \(expression) }}") == "integer overflow: the result does not fit in 64 bits")
    }

    @Test func integerCornersThatTrappedGivePythonsResults() throws {
        #expect(try render("{{ \(Self.intMin) % -1 }}") == "0")
        #expect(try render("{{ '--9223372036854775808' | int }} {{ '+-5' | int }} {{ '-5' | int }}") == "0 0 -5")
        #expect(try render("{{ [1, 2, 3][1::\(Self.intMax)] }} {{ 'abc'[2::\(Self.intMax)] }} {{ 'abc'[1::\(Self.intMin)] }}") == "[2] c b")
    }

    // MARK: Widths

    @Test func indentAndTojsonWidthsAreCapped() {
        #expect(failure("{{ 'a\nb' | indent(1099511627776) }}") == "indent width 1099511627776 is over the limit of 10000")
        #expect(failure("{{ [1] | tojson(indent=1099511627776) }}") == "tojson indent 1099511627776 is over the limit of 10000")
    }

    @Test func indentingAMillionLinesWithAWideStringIsCapped() {
        let message = failure("{{ ('\n' * 1000000) | indent('x' * 10000, true) }}")
        #expect(message?.hasPrefix("the indented text would be 100010") == true)
    }

    @Test func percentFormatWidthsAndPrecisionsAreCapped() throws {
        #expect(throws: RenderFailure.self) { try pyPercentFormat("%20000d", .int(1)) }
        #expect(throws: RenderFailure.self) { try pyPercentFormat("%.20000d", .int(1)) }
        #expect(throws: RenderFailure.self) { try pyPercentFormat(String(repeating: "%(a)s", count: 20), .dict(Dict([("a", .string(String(repeating: "x", count: 1 << 20)))]))) }
        #expect(try pyPercentFormat("%5d|%-4s|%.3d", .tuple([.int(1), .string("ab"), .int(7)])) == "    1|ab  |007")
    }

    // MARK: Text and list sizes

    /// A 1 MiB string referenced many times costs nothing to hold, but printing, joining, serialising or
    /// mapping it would build gigabytes: each stops once the text passes 16 MiB. (Four-byte characters keep
    /// the per-character work, slow in a debug build, to a quarter.)
    @Test(arguments: [
        "{{ ns.l }}", "{{ ns.l | join }}", "{{ ''.join(ns.l) }}", "{{ ns.l | tojson }}", "{{ ns.l | tojson(indent=2) }}",
        "{{ ('{0}' * 100).format(ns.s) }}", "{{ ns.s.replace('', 'y' * 100) }}", "{{ ns.s | replace('😀', 'x' * 100) }}",
        "{{ ns.s * 100 }}", "{{ ns.s" + String(repeating: " ~ ns.s", count: 20) + " }}",
        "{{ ns.l | map('upper') | list | length }}", "{{ ns.l | map('string') | list | length }}", "{{ ns.l | string }}",
        "{{ ({'a': ns.l}) }}", "{{ (ns.l, 1) }}", "{{ ns.l | sort | length }}", "{{ ns.l | unique | list | length }}",
    ])
    func buildingTextFromManyCopiesOfALongStringStopsAtTheLimit(expression: String) {
        let template = "{% set ns = namespace(s='😀' * 262144) %}{% set ns.l = [ns.s] * 1000 %}" + expression
        #expect(failure(template)?.hasSuffix("over the limit of 16777216 bytes") == true)
    }

    @Test func renderedOutputIsCappedAt16MiB() {
        #expect(failure("{% set s = 'x' * 1048576 %}{% for i in range(20) %}{{ s }}{% endfor %}")
            == "the rendered text would be 17825792 bytes long, over the limit of 16777216 bytes")
        let text = String(repeating: "y", count: 1024)
        #expect(failure("{% for i in range(100000) %}\(text){% endfor %}")?.hasPrefix("the rendered text would be") == true)
    }

    @Test func valuesThatDoubleInALoopStopAtTheLimits() {
        #expect(failure("{% set ns = namespace(v='x') %}{% for i in range(64) %}{% set ns.v = ns.v + ns.v %}{% endfor %}")
            == "the concatenated string would be 33554432 bytes long, over the limit of 16777216 bytes")
        #expect(failure("{% set ns = namespace(v=[0]) %}{% for i in range(64) %}{% set ns.v = ns.v + ns.v %}{% endfor %}")
            == "the concatenated list would hold 1048576 items, over the limit of 1000000")
        #expect(failure("{{ [0] * 9223372036854775807 }}") == "the repeated list would hold 9223372036854775807 items, over the limit of 1000000")
        #expect(failure("{{ 'ab' * 9223372036854775807 }}") == "the repeated string would be 9223372036854775807 bytes long, over the limit of 16777216 bytes")
    }

    // MARK: Work

    @Test func nestedLoopsOfAHundredThousandStopWhenTheStepBudgetIsSpent() {
        let message = failure("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", stepBudget: 200_000)
        #expect(message?.hasPrefix("the template did more than 200000 steps of work") == true)
    }

    @Test func scanningABigListOnEveryIterationSpendsTheBudgetAsFastAsItWorks() {
        let template = "{% set l = [0] * 1000000 %}{% for i in range(100000) %}{% if -1 in l %}{% endif %}{% endfor %}"
        #expect(failure(template, stepBudget: 5_000_000)?.contains("steps of work") == true)
    }

    @Test func comparingTwoBigGridsOnEveryIterationSpendsTheBudgetAsFastAsItWorks() {
        let template = "{% set a = [[0] * 300] * 300 %}{% set b = [[0] * 300] * 300 %}"
            + "{% for i in range(100000) %}{% if a == b %}{% endif %}{% endfor %}"
        #expect(failure(template, stepBudget: 500_000)?.contains("steps of work") == true)
    }

    @Test func realTemplatesOnALongConversationWithToolsUseUnderAHundredthOfTheBudget() throws {
        var messages: [TemplateValue] = []
        for turn in 0..<200 {
            messages.append(["role": "user", "content": .string("Question \(turn): " + String(repeating: "words ", count: 50))])
            messages.append(["role": "assistant", "content": .string("Answer \(turn).")])
        }
        let tool: TemplateValue = ["type": "function", "function": ["name": "get_weather", "description": "Weather now",
                                   "parameters": ["type": "object", "properties": ["city": ["type": "string"]]]]]
        let context: [String: TemplateValue] = ["messages": .array(messages), "tools": [tool, tool, tool], "bos_token": "<s>",
                                                "eos_token": "</s>", "add_generation_prompt": true]
        for template in [ModelTemplates.llama31, ModelTemplates.qwen3, ModelTemplates.mistralV3, ModelTemplates.chatML] {
            _ = try ChatTemplate(template).render(context, stepBudget: Limits.maxSteps / 100)
        }
    }

    @Test func searchingALongStringForANearMatchTakesLinearTime() throws {
        let template = "{% set ns = namespace(h='a' * 200000, n='a' * 100000 ~ 'b') %}{{ ns.n in ns.h }} {{ ns.h.find(ns.n) }} "
            + "{{ ns.h.rfind(ns.n) }} {{ ns.h.count(ns.n) }} {{ ns.h.split(ns.n) | length }} {{ ns.h.replace(ns.n, '') | length }} "
            + "{{ ns.h.rfind('a' * 100000) }} {{ ns.h.count('a' * 100000) }}"
        #expect(try render(template) == "False -1 -1 0 1 200000 100000 2")
        #expect(try render("{{ 'abcabc'.rfind('bc') }} {{ 'abcabc'.rfind('bc', 0, 4) }} {{ 'abc'.rfind('') }} {{ 'aaa'.count('aa') }} {{ 'abcabc'.replace('bc', 'X') }}")
            == "4 1 3 1 aXaX")
    }

    @Test func uniqueOfAHundredThousandItemsIsNotQuadratic() throws {
        #expect(try render("{{ range(100000) | unique | list | length }}") == "100000")
        // Python's equality: 1, 1.0 and True are one; strings by code point, so 'é' and 'e' + U+0301 are two.
        #expect(try render("{{ [1, 1.0, True, 'a', 'A', 'é', 'e\\u0301', (1,), (1,), none, none, 2.5, 0, -0.0, false] | unique | list }}")
            == "[1, 'a', 'é', 'é', (1,), None, 2.5, 0]")
    }

    @Test func summingListsIsLinearAndSummingStringsIsRefusedAsInPython() throws {
        #expect(try render("{{ ([[1]] * 100000) | sum(start=[]) | length }} {{ [[1], [2, 3]] | sum(start=[0]) }}") == "100000 [0, 1, 2, 3]")
        #expect(failure("{{ ['a', 'b'] | sum(start='') }}") == "sum() can't sum strings [use ''.join(seq) instead]")
    }

    /// Each step doubles the paths through the value, not its size: walking or comparing it would take 2^64 steps.
    @Test func wrappingAValueTwiceInItselfSpendsTheBudgetInsteadOfExponentialTime() throws {
        let doubled = "{% set ns = namespace(v=[1]) %}{% for i in range(64) %}{% set ns.v = [ns.v, ns.v] %}{% endfor %}{{ ns.v == ns.v }}"
        #expect(failure(doubled, stepBudget: 1_000_000)?.contains("steps of work") == true)
        let small = "{% set ns = namespace(v=[1]) %}{% for i in range(10) %}{% set ns.v = [ns.v, ns.v] %}{% endfor %}"
        #expect(try render(small + "{{ ns.v == ns.v }} {{ ns.v in [ns.v] }} {{ ns.v == [ns.v] }}") == "True True False")
    }

    @Test func makingMoreThanAHundredThousandNamespacesFails() {
        #expect(failure("{% for i in range(2) %}{% for j in range(50001) %}{% set n = namespace() %}{% endfor %}{% endfor %}")
            == "the template made more than 100000 namespaces, the limit for one render")
    }

    // MARK: Depth

    @Test func longElseIfChainsAndDeepBracketsAreSyntaxErrorsNotStackOverflows() {
        #expect(syntaxFailure("{{ " + String(repeating: "1 if x else ", count: 100_000) + "1 }}")?.contains("more than 100 levels") == true)
        #expect(syntaxFailure("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}") != nil)
        #expect(syntaxFailure("{{ " + String(repeating: "[", count: 100_000) + " }}") != nil)
        #expect(syntaxFailure("{{ " + String(repeating: "x(", count: 100_000) + " }}") != nil)
        #expect(syntaxFailure("{{ " + String(repeating: "{'a': ", count: 100_000) + " }}") != nil)
    }

    @Test func macroRecursionToTheCallLimitInsideDeeplyNestedBlocksFitsTheStack() throws {
        let open = String(repeating: "{% if true %}", count: 60), close = String(repeating: "{% endif %}", count: 60)
        let deep = String(repeating: "(", count: 15) + "n - 1" + String(repeating: ")", count: 15)
        let template = "{% macro f(n) %}\(open){{ f(\(deep)) if n > 0 else 'end' }}\(close){% endmacro %}"
        #expect(try render(template + "{{ f(99) }}") == "end")
        #expect(failure(template + "{{ f(100) }}") == "macro calls nest more than 100 levels deep")
    }

    /// Swift frees nested values by recursion: a million levels would overflow the stack when the render ends.
    @Test(arguments: ["[ns.v]", "(ns.v,)", "{'a': ns.v}", "dict(a=ns.v)", "namespace(a=ns.v)"])
    func valuesBuiltDeeperThanTwoHundredLevelsFail(wrapper: String) {
        let template = "{% set ns = namespace(v=[]) %}{% for i in range(10) %}{% for j in range(100000) %}{% set ns.v = \(wrapper) %}{% endfor %}{% endfor %}"
        #expect(failure(template) == "the value being built nests more than 200 levels deep")
    }

    @Test func aNamespaceMayHoldItselfWithoutCountingAsDeep() throws {
        #expect(try render("{% set ns = namespace() %}{% set ns.me = ns %}{% set l = [ns, [ns]] %}{{ l | length }}") == "2")
    }
}
