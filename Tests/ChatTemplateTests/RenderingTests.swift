import ChatTemplate
import Foundation
import Testing

func render(_ template: String, _ context: [String: TemplateValue] = [:]) throws -> String {
    try ChatTemplate(template).render(context)
}

/// Expected outputs worked out by hand from jinja2's rules, so that the suite means something without Python.
@Suite struct RenderingTests {
    @Test(arguments: [
        ("a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc"),
        ("x\n    {% if true %}y{% endif %}", "x\ny"),
        ("x\n  {%+ if true %}y{% endif %}", "x\n  y"),
        ("  {{ 'v' }}", "  v"),
        ("a  {{- 'b' -}}  c", "abc"),
        ("a \n {%- if true -%} \n b \n {%- endif -%} \n c", "abc"),
        ("{% if true +%}\nk{% endif %}", "\nk"),
        ("hi\n", "hi"),
        ("hi\n\n", "hi\n"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a{# c #}b", "ab"),
        ("a\n  {# c #}\nb", "a\nb"),
        ("{% raw %}{{ x }}{% endraw %}", "{{ x }}"),
        ("{{ 'a' }} {% if true %}\nb{% endif %}", "a b"),
    ])
    func whitespace(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test(arguments: [
        ("{{ 7 // 2 }},{{ -7 // 2 }},{{ -7 % 3 }},{{ 7 / 2 }},{{ 2 ** 3 ** 2 }},{{ 4 / 2 }}", "3,-4,2,3.5,64,2.0"),
        ("{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1.0 }} {{ 0.00001 }} {{ 123.0e2 }}", "0.30000000000000004 1e+16 1.0 1e-05 12300.0"),
        ("{{ [1, 'a', none, true, (2,)] }}", "[1, 'a', None, True, (2,)]"),
        ("{{ {'k': \"it's\", 'n': {'x': false}} }}", "{'k': \"it's\", 'n': {'x': False}}"),
        ("{{ 'a' ~ 1 ~ none }}", "a1None"),
        ("{{ 'y' if 0 else 'n' }}[{{ 'y' if 0 }}]", "n[]"),
        ("{{ 1 < 2 < 3 }} {{ 'b' in 'abc' }} {{ 3 not in [1] }} {{ not 1 }}", "True True True False"),
        ("{{ 'abcdef'[1:4] }}{{ [1, 2, 3][::-1] }}{{ 'abc'[-1] }}", "bcd[3, 2, 1]c"),
        ("{{ 'héllo' | length }} {{ 'e\u{301}' | length }}", "5 2"),
        ("{{ 'it' 's' }}", "its"),
        (#"{{ 'tab\tnew\nq\'' }}"#, "tab\tnew\nq'"),
    ])
    func expressions(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test func undefinedIsEmptyAndFalseUntilUsedAsAValue() throws {
        #expect(try render("[{{ nope }}]{{ nope is defined }}{{ nope | default('d') }}{{ nope | length }}") == "[]Falsed0")
        #expect(try render("{% if nope %}y{% else %}n{% endif %}{% for x in nope %}x{% endfor %}") == "n")
        #expect(try render("{{ m.missing is defined }}", ["m": ["a": 1]]) == "False")
        #expect(throws: TemplateError.self) { try render("{{ nope.x }}") }
        #expect(throws: TemplateError.self) { try render("{{ nope + 1 }}") }
        #expect(throws: TemplateError.self) { try render("{{ nope | tojson }}") }
    }

    @Test func loopVariables() throws {
        #expect(try render("{% for x in 'abc' %}{{ loop.index }}{{ x }}{{ '|' if not loop.last }}{% endfor %}") == "1a|2b|3c")
        #expect(try render("{% for x in [1, 2, 3] %}{{ loop.revindex0 }}{{ loop.first }}{{ loop.length }};{% endfor %}")
            == "2True3;1False3;0False3;")
        #expect(try render("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }} {% endfor %}") == "-2 1-3 2- ")
        #expect(try render("{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}:{{ x }} {% else %}none{% endfor %}") == "1:2 2:4 ")
        #expect(try render("{% for x in [] %}a{% else %}empty{% endfor %}") == "empty")
        #expect(try render("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}{{ v }}{% endfor %}") == "b1a2")
        #expect(try render("{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}")
            == "023")
    }

    @Test func setInsideALoopStaysInsideButANamespaceCarriesOut() throws {
        #expect(try render("{% set x = 0 %}{% for i in [1, 2] %}{% set x = x + i %}{% endfor %}{{ x }}") == "0")
        #expect(try render("{% set ns = namespace(x=0) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}") == "3")
        #expect(try render("{% if true %}{% set x = 'kept' %}{% endif %}{{ x }}") == "kept")
    }

    @Test func macrosCallBlocksAndSetBlocks() throws {
        #expect(try render("{% macro m(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}{{ m(1, b=2) }}") == "1B12")
        #expect(try render("{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}x{% endcall %}") == "[x]")
        #expect(try render("{% set s %}a{{ 1 }}{% endset %}{{ s ~ s }}") == "a1a1")
        #expect(try render("{% generation %}g{% endgeneration %}") == "g")
        #expect(try render("{% with a = 2 %}{{ a * a }}{% endwith %}{{ a is defined }}") == "4False")
        #expect(try render("{% filter upper %}abc{% endfilter %}") == "ABC")
    }

    @Test func filters() throws {
        #expect(try render("{{ '  x ' | trim }}|{{ 'ab' | upper }}|{{ 'hello world' | title }}|{{ [3, 1, 2] | sort | join(',') }}|{{ [1, 2] | length }}|{{ 'a-b' | replace('-', '+') }}")
            == "x|AB|Hello World|1,2,3|2|a+b")
        #expect(try render("{{ '4.7' | int }} {{ 'x' | int(9) }} {{ '2' | float }} {{ 2.5 | round }} {{ 2.675 | round(2) }} {{ -3 | abs }}")
            == "4 9 2.0 2.0 2.67 3")
        #expect(try render("{{ ['b', 'A', 'a'] | unique | list }} {{ [1, 2, 3] | reverse | list }} {{ {'b': 1, 'a': 2} | dictsort }}")
            == "['b', 'A'] [3, 2, 1] [('a', 2), ('b', 1)]")
        #expect(try render("{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, first=true) }}") == "a\n  b|  a\n  b")
        let messages: TemplateValue = [["role": "user", "content": "u1"], ["role": "assistant", "content": "a1"], ["role": "user", "content": "u2"]]
        #expect(try render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(' ') }}", ["messages": messages])
            == "u1 u2")
        #expect(try render("{{ messages | rejectattr('role', 'eq', 'user') | list | length }}", ["messages": messages]) == "1")
    }

    @Test func tojsonFollowsPythonsJSONDumps() throws {
        #expect(try render(#"{{ {'b': [1, 2.5, none, true], 'a': 'é"\n'} | tojson }}"#) == #"{"b": [1, 2.5, null, true], "a": "é\"\n"}"#)
        #expect(try render("{{ {'a': [1]} | tojson(indent=2) }}") == "{\n  \"a\": [\n    1\n  ]\n}")
        #expect(try render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true, separators=(',', ':')) }}") == #"{"a":2,"b":1}"#)
        #expect(try render("{{ 'é' | tojson(ensure_ascii=true) }}") == #""\u00e9""#)
        #expect(try render("{{ value | tojson }}", ["value": .object([("z", 1), ("a", 2)])]) == #"{"z": 1, "a": 2}"#)
    }

    @Test func testsAndMethods() throws {
        #expect(try render("{{ 1 is odd }}{{ 'x' is string }}{{ none is none }}{{ x is defined }}{{ 6 is divisibleby 3 }}{{ {} is mapping }}")
            == "TrueTrueTrueFalseTrueTrue")
        #expect(try render("{{ 'a,b'.split(',') }}{{ ' x '.strip() }}{{ 'abc'.startswith('a') }}{{ {'k': 1}.get('z', 0) }}")
            == "['a', 'b']xTrue0")
        #expect(try render("{{ '<think>r</think>\n\nanswer'.split('</think>')[-1].lstrip('\n') }}") == "answer")
        #expect(try render("{{ '{} + {x}'.format(1, x=2) }}") == "1 + 2")
    }

    @Test func strftimeNowGivesTheLocalYear() throws {
        let year = Calendar.current.component(.year, from: Date())
        #expect(try render("{{ strftime_now('%Y') }}") == String(year))
        #expect(try render("{{ strftime_now('%%|%Z|%z') }}") == "%||")
    }

    @Test func messagesContextMatchesTransformers() throws {
        let template = try ChatTemplate("{{ tools is none }}{{ documents is none }}{{ bos_token is defined }}{{ eos_token }}{{ add_generation_prompt }}{{ messages[0].role }}")
        #expect(try template.render(messages: [("user", "x")], bosToken: nil, eosToken: "</s>", addGenerationPrompt: false)
            == "TrueTrueFalse</s>Falseuser")
        let withTools = try template.render(messages: [("user", "x")], bosToken: nil, eosToken: nil, addGenerationPrompt: true,
                                            extra: ["tools": ["t"]])
        #expect(withTools == "FalseTrueFalseTrueuser")
    }

    @Test func aTemplateRendersManyTimesAndConcurrently() async throws {
        let template = try ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}")
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask { try template.render(messages: [("user", "\(index)")], bosToken: nil, eosToken: nil, addGenerationPrompt: false) }
            }
            var outputs: Set<String> = []
            for try await output in group { outputs.insert(output) }
            #expect(outputs == Set((0..<8).map(String.init)))
        }
    }
}
