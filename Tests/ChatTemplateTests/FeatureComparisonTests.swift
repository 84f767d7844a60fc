import Testing

/// Feature templates, each rendered with several contexts by us and by Python's jinja2 (configured as
/// transformers configures it); the outputs must match scalar for scalar, and where jinja2 fails we must fail.
/// Skipped when python3 has no jinja2.
@Suite(.enabled(if: JinjaReference.available, "python3 with jinja2 is needed for the reference renderings"))
struct FeatureComparisonTests {
    @Test func whitespaceControl() throws {
        try JinjaReference.expectSame(templates: [
            "a\n{% if true %}\nb\n{% endif %}\nc",
            "  {% if true %}x{% endif %}  \n",
            "line\n    {% for i in [1, 2] %}\n    item {{ i }}\n    {% endfor %}\nend",
            "a  {{- ' b ' -}}  c",
            "a \n {%- if true -%} \n b \n {%- endif -%} \n c",
            "a\n  {%+ if true %}x{% endif %}",
            "{% if true +%}\nkept{% endif %}",
            "x {# comment #}\ny",
            "x\n  {# comment #}\ny",
            "x {#- comment -#}   y",
            "x\n   {#+ comment #}\ny",
            "{% raw %}{{ not evaluated }}{% endraw %}",
            "a\n  {% raw %}\n{{ x }}\n  {% endraw %}\nb",
            "a {%- raw -%}  b  {%- endraw -%} c",
            "{{ x }}\n",
            "{{ x }}\n\n",
            "line1\r\nline2\rline3\r\n",
            "  {{ x }}  \n  {% if true %}y{% endif %}",
            "{% for i in [1, 2, 3] %}\n{{ i }}\n{% endfor %}\n",
            "\t{% if true %}\n\tx\n\t{% endif %}",
            "{%- if true %}   a{%- endif %}",
            "{{ 'a' }}{# c #}\n{{ 'b' }}",
            "<{% if x %}\n{% endif %}>",
            "{{ x }}  {% if true %}\nafter{% endif %}",
            "a\n\n  {%- if true %}b{% endif %}",
            "{% if true %}  \n  x{% endif %}",
            "  {%- if true -%}  x  {%- endif -%}  ",
            "{{- x -}}",
            "{% if true %}{% endif %}\n\n\n",
            "{{ {'a': {'b': 1}} }}",
            "{{ 'a' }}\u{3000}{% if true %}b{% endif %}",
        ], contexts: [#"{"x": "v"}"#, "{}"])
    }

    @Test func literalsAndOperators() throws {
        try JinjaReference.expectSame(templates: [
            "{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** 3 ** 2 }}",
            "{{ 1.5 + 1 }}|{{ 0.1 + 0.2 }}|{{ 1e3 }}|{{ 1_000 }}|{{ 0x1F }}|{{ 0o17 }}|{{ 0b101 }}|{{ 1.0 }}|{{ 3.0 * 2 }}|{{ 1e20 }}|{{ 1.5e-7 }}|{{ 10 / 5 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.0001 }}|{{ 0.00001 }}|{{ 123456789.125 }}",
            "{{ 7.5 // 2 }}|{{ -7.5 % 2 }}|{{ 2 ** -1 }}|{{ 2.0 ** 0.5 }}|{{ -0.0 }}|{{ 5 % -3 }}|{{ 5.5 // -2 }}",
            "{{ 'a' ~ 1 ~ none ~ true ~ 1.5 }}|{{ 'ab' * 3 }}|{{ 3 * 'ab' }}|{{ [1, 2] + [3] }}|{{ 'x' + 'y' }}|{{ [0] * 3 }}|{{ 'x' * 0 }}|{{ true + true }}",
            "{{ 1 == 1.0 }}|{{ true == 1 }}|{{ 'a' != 'b' }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ [1, 2] < [1, 3] }}|{{ 'abc' < 'abd' }}|{{ 2 >= 2 }}|{{ 1 <= 0 }}|{{ [1] == [1.0] }}|{{ (1,) == [1] }}|{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }}",
            "{{ 'a' in 'cat' }}|{{ 2 in [1, 2] }}|{{ 'k' in {'k': 1} }}|{{ 'z' not in 'cat' }}|{{ not true }}|{{ not 0 }}|{{ true and 'x' }}|{{ 0 or 'y' }}|{{ none or false }}|{{ '' and 1 }}|{{ '' in 'abc' }}",
            "{{ 'yes' if x else 'no' }}|{{ 'only' if x }}|{{ 1 if false else 2 if false else 3 }}|{{ ('a' if x) ~ 'b' }}",
            "{{ [1, 'a', none, true, 1.5] }}|{{ {'a': 1, 'b': [2, 'c']} }}|{{ (1, 2) }}|{{ (1,) }}|{{ () }}|{{ 'it' 's' }}|{{ [] }}|{{ {} }}",
            #"{{ "it's" }}|{{ ['it\'s', "q\"d", 'both\'"'] }}|{{ 'a\nb' }}|{{ 'tab\there' }}|{{ '\u00e9\x41\101' }}|{{ ['\n', '\x00', 'é', '\u2028'] }}|{{ 'back\\slash' }}|{{ 'unknown \d escape' }}"#,
            "{{ -x }}|{{ +1 }}|{{ -(-2) }}|{{ - 2 ** 2 }}|{{ -1 | abs }}|{{ not x is none }}",
            "{{ 1, 2 }}|{{ (x,) }}",
            "{{ [1, 2, 3][0] }}|{{ [1, 2, 3][-1] }}|{{ 'hello'[1] }}|{{ [1, 2, 3][5] }}|{{ {'a': 1}['a'] }}|{{ {'a': 1}.a }}|{{ {'a': 1}['b'] }}|{{ [[1, 2]][0][1] }}|{{ [1, 2].0 }}|{{ 'abc'[-1] }}",
            "{{ 'abcdef'[1:3] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[::-1] }}|{{ [1, 2, 3, 4][1:] }}|{{ [1, 2, 3, 4][:-1] }}|{{ [1, 2, 3, 4][-2:] }}|{{ [1, 2, 3, 4][10:] }}|{{ 'abc'[:100] }}|{{ [1, 2, 3, 4, 5][4:0:-2] }}|{{ [1, 2, 3][-10:] }}|{{ 'héllo'[1:3] }}|{{ [1, 2, 3][::-2] }}",
            "{{ 1 + 'a' }}",
            "{{ 'a' + 1 }}",
            "{{ 1 / 0 }}",
            "{{ 1 // 0 }}",
            "{{ 5 % 0 }}",
            "{{ 'a' < 1 }}",
            "{{ none < 1 }}",
            "{{ 1 in 'abc' }}",
            "{{ 1 in 5 }}",
            "{{ -'a' }}",
            "{{ [1, 2][1:2:0] }}",
            "{{ 2 ** 62 - 1 + 2 ** 62 }}|{{ -2 ** 63 }}",
        ], contexts: [#"{"x": 3}"#, "{}"])
    }

    @Test func undefinedValues() throws {
        try JinjaReference.expectSame(templates: [
            "[{{ missing }}]|{{ missing is defined }}|{{ missing is undefined }}|{{ missing | default('d') }}|{{ missing | length }}|{{ missing | list }}|{{ missing ~ 'x' }}",
            "{% if missing %}y{% else %}n{% endif %}|{% for i in missing %}{{ i }}{% else %}empty{% endfor %}",
            "{{ missing == missing }}|{{ missing == none }}|{{ missing is none }}|{{ 'a' in missing }}|{{ missing in [1] }}|{{ missing != 1 }}",
            "{{ obj.missing }}|{{ obj.missing is defined }}|{{ obj['missing'] | default('x') }}|{{ obj.key }}|{{ obj['key'] }}",
            "{{ missing.attr }}",
            "{{ missing['key'] }}",
            "{{ missing() }}",
            "{{ missing + 1 }}",
            "{{ missing < 1 }}",
            "{{ missing | upper }}|{{ missing | trim }}|{{ missing | string }}|{{ missing | first }}|{{ missing | join(',') }}|{{ missing | items | list }}",
            "{{ missing | lower }}|{{ missing | capitalize }}|{{ missing | title }}|{{ missing | replace('a', 'b') }}|{{ missing | sort }}|{{ missing | unique | list }}|{{ missing | sum }}|{{ missing | e }}|{{ missing | safe }}|{{ missing | selectattr('a') | list }}|{{ missing | map('upper') | list }}|{{ missing | select | list }}|{{ missing | last }}|{{ missing | max }}|{{ missing | count }}",
            "{{ missing | int }}",
            "{{ missing | float }}",
            "{{ missing | dictsort }}",
            "{{ missing | abs }}",
            "{{ missing | round }}",
            "{{ missing | indent }}",
            "{{ missing | attr('x') }}",
            "{{ missing.x is defined }}",
            "{{ none }}|{{ none | string }}|{{ obj.key.missing }}|{{ none.attr }}|{{ none['k'] }}",
            "{{ missing | tojson }}",
            "[{{ [].append }}]",
            "{{ [].append(1) }}",
            "{{ {}.update({'a': 1}) }}",
            "{{ missing | default('x', true) }}|{{ '' | default('x', true) }}|{{ '' | default('x') }}|{{ 0 | d('z', boolean=true) }}|{{ none | default('n') }}",
            "{{ obj.missing.deeper }}",
            "{{ (obj.missing or 'fallback') }}|{{ obj.missing if obj.missing is defined else 'no' }}",
            "{{ 'x' if false }}|{{ ('x' if false) is defined }}",
        ], contexts: [#"{"obj": {"key": "v"}}"#, #"{"obj": {"key": {"missing": 1}}}"#])
    }

    @Test func forLoops() throws {
        try JinjaReference.expectSame(templates: [
            "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}",
            "{% for x in xs if x is odd %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% else %}none{% endfor %}",
            "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}|{% for k, v in d | dictsort %}{{ k }}{% endfor %}",
            "{% for c in 'héllo' %}[{{ c }}]{% endfor %}",
            "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
            "{% for row in [[1, 2], [3, 4]] %}{% for x in row %}{{ loop.index }}{{ x }}{% endfor %}({{ loop.index }}){% endfor %}",
            "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}|{% for a, (b, c) in [[1, [2, 3]]] %}{{ a }}{{ b }}{{ c }}{% endfor %}",
            "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}",
            "{% for x in [1, 1, 2, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
            "{% set total = 0 %}{% for x in xs %}{% set total = total + x %}{% endfor %}{{ total }}",
            "{% set ns = namespace(total=0, items=[]) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% set ns.items = ns.items + [x * 2] %}{% endfor %}{{ ns.total }} {{ ns.items }}",
            "{% for x in xs %}{% set y = x %}{% endfor %}[{{ y }}]",
            "{% for x in xs %}[{{ y }}]{% set y = x %}{% endfor %}",
            "{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 10, 3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}|{{ range(3) | list }}|{{ range(0) | list }}|{{ range(3, 1) | list }}",
            "{% for x in 5 %}{% endfor %}",
            "{% for x in none %}{% endfor %}",
            "{% for a, b in [1, 2] %}{% endfor %}",
            "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
            "{% for x in xs %}{{ x }}{% else %}E{% endfor %}",
            "{% for i in range(100001) %}{% endfor %}",
            "{% for x in xs %}{{ loop.length }}{% for y in xs %}{{ loop.length - loop.index }}{% endfor %}{% endfor %}",
            "{% for x in xs %}{% for y in [1] %}{% break %}{% endfor %}{{ x }}{% endfor %}",
            "{% for x in xs %}{{ x }}{% endfor %}{{ x }}{{ loop }}",
        ], contexts: [#"{"xs": [1, 2, 3, 4, 5], "d": {"b": 2, "a": 1, "c": 3}}"#, #"{"xs": [], "d": {}}"#, #"{"xs": [7], "d": {"k": "v"}, "x": "outer"}"#])
    }

    @Test func assignmentsMacrosAndBlocks() throws {
        try JinjaReference.expectSame(templates: [
            "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
            "{% set x %}inner {{ 1 + 1 }}{% endset %}[{{ x }}]",
            "{% set x | upper %}shout{% endset %}{{ x }}",
            "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet(greeting='Yo', name='Cy') }}",
            "{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}",
            "{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}",
            "{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(3) }}",
            "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}body {{ 1 }}{% endcall %}",
            "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}",
            "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]",
            "{% filter upper %}hello {{ 'world' }}{% endfilter %}",
            "{% filter replace('a', 'o') | upper %}banana{% endfilter %}",
            "{% set ns = namespace(found=false) %}{% for x in [1, 2, 3] %}{% if x == 3 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
            "{% set d = dict(a=1, b='two') %}{{ d }}{{ d | tojson }}|{{ dict([['k', 'v']]) }}|{{ dict({'x': 1}, y=2) }}",
            "{% set ns = namespace(a=1) %}{{ ns.a }}{{ ns.missing is defined }}{{ ns['a'] }}",
            "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}",
            "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
            "{% generation %}{{ 'gen' }}{% endgeneration %}",
            "{% for m in messages %}{% generation %}{{ m.content }}{% set inner = 1 %}{% endgeneration %}{{ inner is defined }}{% endfor %}",
            "{% set x = 5 %}{% macro show() %}{{ x }}{% endmacro %}{{ show() }}{% set x = 6 %}{{ show() }}",
            "{% print 'printed' %}",
            "{% set x = [1, 2] %}{% set y = x + [3] %}{{ x }}{{ y }}",
            "{% set s = 'abc' %}{% set ns = namespace() %}{% set ns.v = s | upper %}{{ ns.v }}",
            "{% set notns = 1 %}{% set notns.attr = 2 %}",
            "{% set ns = namespace(_private=1) %}",
            "{% set messages = messages[1:] %}{{ messages | length }}",
            "{% if true %}{% set top = 'set in if' %}{% endif %}{{ top }}",
            "{% macro m() %}{% set local = 1 %}{% endmacro %}{{ m() }}[{{ local }}]",
        ], contexts: [#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}"#])
    }

    static let users = #"""
    {"users": [{"name": "Bob", "age": 35, "admin": true, "tags": ["x", "y"]},
               {"name": "Ann", "age": 28, "admin": false, "tags": ["z"]},
               {"name": "Cy", "age": 35, "admin": false, "tags": []}],
     "data": {"name": "tool", "params": {"b": [1, 2.5, null, true, -0.0, 1e100], "a": "é\n\"q\"\t\u0001/"}, "empty": {}, "list": []}}
    """#

    @Test func filters() throws {
        try JinjaReference.expectSame(templates: [
            "{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'hello WORLD' | upper }}|{{ 'Hello' | lower }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'hello big-world (x) o\\'neil' | title }}",
            "{{ [1, 2, 3] | length }}|{{ 'héllo' | length }}|{{ {'a': 1} | count }}|{{ [3, 1, 2] | first }}|{{ [3, 1, 2] | last }}|{{ 'abc' | first }}|{{ [] | first is defined }}|{{ 'abc' | last }}",
            "{{ ['a', 'b'] | join(', ') }}|{{ [1, 2] | join }}|{{ users | join(', ', attribute='name') }}|{{ 'abc' | join('-') }}",
            "{{ 'a-b-c' | replace('-', '+') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'abc' | replace('', '.') }}|{{ 123 | replace('2', 'x') }}",
            "{{ 42 | string }}|{{ '42' | int + 1 }}|{{ '4.7' | int }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ '0x1A' | int(base=16) }}|{{ 3.9 | int }}|{{ '3' | float }}|{{ 'x' | float }}|{{ true | int }}|{{ ' 12 ' | int }}|{{ '1_000' | int }}|{{ -3.9 | int }}|{{ '-5' | int }}|{{ '1e3' | float }}|{{ '1e3' | int }}",
            "{{ 'abc' | list }}|{{ {'a': 1, 'b': 2} | list }}|{{ {'a': 1, 'b': 2} | items | list }}|{{ (1, 2) | list }}",
            "{{ [3, 1, 2] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}|{{ users | sort(attribute='age') | map(attribute='name') | join(',') }}|{{ users | sort(attribute='age,name') | map(attribute='name') | join(',') }}|{{ users | sort(attribute='age', reverse=true) | map(attribute='name') | join(',') }}",
            "{{ [1, 2, 1, 3] | unique | list }}|{{ ['a', 'A', 'b'] | unique | list }}|{{ ['a', 'A'] | unique(case_sensitive=true) | list }}|{{ users | unique(attribute='age') | map(attribute='name') | list }}",
            "{{ 'abc' | reverse }}|{{ [1, 2, 3] | reverse | list }}|{{ {'a': 1, 'b': 2} | reverse | list }}",
            "{{ users | map(attribute='name') | list }}|{{ users | map(attribute='missing', default='?') | list }}|{{ ['a', 'b'] | map('upper') | list }}|{{ [' a ', 'b '] | map('trim') | join }}|{{ users | map(attribute='tags.0') | list }}|{{ ['a,b'] | map('replace', ',', ';') | list }}",
            "{{ users | selectattr('admin') | map(attribute='name') | list }}|{{ users | rejectattr('admin') | map(attribute='name') | list }}|{{ users | selectattr('age', 'gt', 30) | map(attribute='name') | list }}|{{ users | selectattr('name', 'equalto', 'Ann') | list | length }}|{{ [1, 2, 3, 4] | select('even') | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [0, 1, '', 'a'] | select | list }}|{{ [1, 5, 10] | select('divisibleby', 5) | list }}|{{ users | selectattr('missing', 'defined') | list }}",
            "{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(2, blank=true) }}|{{ 'x\ny' | indent('> ') }}|{{ 'one' | indent(first=true) }}|{{ 'a\r\nb' | indent(1) }}|{{ '' | indent(first=true) }}",
            "{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.675 | round(2) }}|{{ 3 | round }}|{{ 2.1 | round(method='ceil') }}|{{ 2.9 | round(method='floor') }}|{{ -2.5 | round }}|{{ 1234.5 | round(-2) }}|{{ 0.125 | round(2) }}|{{ 7 | round(method='ceil') }}",
            "{{ -3 | abs }}|{{ -2.5 | abs }}|{{ [1, 2, 3] | sum }}|{{ users | sum(attribute='age') }}|{{ [1, 2] | sum(start=10) }}|{{ [3, 1, 2] | max }}|{{ [3, 1, 2] | min }}|{{ ['b', 'A'] | max }}|{{ users | max(attribute='age') | attr('name') }}|{{ [] | max is defined }}|{{ [0.5, 1] | sum }}",
            "{{ {'b': 1, 'a': 2} | dictsort }}|{{ {'b': 1, 'a': 2} | dictsort(by='value') }}|{{ {'b': 1, 'a': 2} | dictsort(reverse=true) }}|{{ {'B': 1, 'a': 2} | dictsort }}|{{ {'B': 1, 'a': 2} | dictsort(true) }}",
            "{{ '<b>&\"\\'' | e }}|{{ '<b>' | escape }}|{{ '<b>' | safe }}|{{ [1] | safe }}",
            "{{ data | tojson }}|{{ data | tojson(indent=2) }}|{{ data | tojson(indent=4, sort_keys=true) }}|{{ data | tojson(separators=(',', ':')) }}|{{ 'é<>&\\'' | tojson }}|{{ 'é😀' | tojson(ensure_ascii=true) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson(indent=2) }}|{{ 1.5 | tojson }}|{{ none | tojson }}|{{ (1, 'a') | tojson }}|{{ data | tojson(indent='\t') }}|{{ data.params.b | tojson(indent=0) }}",
            "{{ users[0] | attr('name') }}|{{ users | first | attr('missing') }}|{{ users | length }}",
            "{{ [1, 'a'] | sort }}",
            "{{ 1 | length }}",
            "{{ 'x' | dictsort }}",
            "{{ 1 | tojson(indent=[]) }}",
            "{{ [1] | select('nosuchtest') | list }}",
            "{{ 'x' | round }}",
            "{{ 5 | items | list }}",
            "{{ {'a': 1} | attr('a') }}|{{ {'a': 1} | attr('items') is defined }}",
        ], contexts: [Self.users])
    }

    @Test func tests() throws {
        try JinjaReference.expectSame(templates: [
            "{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ 'a' is number }}|{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}|{{ 'a' is string }}{{ 1 is string }}|{{ {} is mapping }}{{ [] is mapping }}|{{ [] is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ {} is iterable }}{{ missing is iterable }}|{{ [] is sequence }}{{ {} is sequence }}{{ 1 is sequence }}{{ 'a' is sequence }}|{{ true is boolean }}{{ 1 is boolean }}|{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}",
            "{{ 2 is even }}{{ 3 is odd }}{{ 3 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 3.0 is odd }}|{{ none is none }}{{ 0 is none }}{{ x is not none }}|{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}{{ '1' is lower }}|{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 2 is ge 2 }}{{ 1 is equalto 2 }}{{ 3 is gt(2) }}{{ 1 is le 0 }}{{ 1 is lessthan 2 }}{{ 1 is greaterthan 2 }}|{{ 2 is in [1, 2] }}{{ 'x' is in 'abc' }}|{{ none is sameas none }}{{ true is sameas true }}{{ true is sameas 1 }}|{{ 'upper' is filter }}{{ 'nope' is filter }}{{ 'odd' is test }}",
            "{{ x is defined and x.a is defined }}|{{ not x is none }}|{{ x is mapping and 'a' in x }}|{{ x is not mapping }}|{{ x is not defined or x.a is not none }}",
            "{{ range is callable }}{{ 1 is callable }}{{ 'a'.upper is callable }}",
            "{{ 'a' is odd }}",
        ], contexts: [#"{"x": {"a": 1}}"#, #"{"x": null}"#, "{}"])
    }

    @Test func methods() throws {
        try JinjaReference.expectSame(templates: [
            "{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|{{ 'a\n'.rstrip('\n') }}|{{ '\n\nx\n'.lstrip('\n') }}",
            "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(none, 1) }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'a<think>b</think>c'.split('</think>')[-1] }}|{{ 'l1\nl2\r\nl3'.splitlines() }}|{{ ''.split() }}|{{ ''.split(',') }}|{{ '  a b  c '.rsplit(none, 1) }}|{{ 'a b'.split(maxsplit=0) }}",
            "{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith('lo') }}|{{ 'hello'.startswith(('x', 'h')) }}|{{ 'hello'.endswith('x') }}|{{ 'hello'.startswith('l', 2) }}|{{ 'hello'.endswith('') }}",
            "{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}{{ 'hello world'.title() }}{{ 'hELLO'.capitalize() }}|{{ 'a-a'.replace('a', 'b') }}|{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.find('z') }}{{ 'hello'.count('l') }}{{ 'aaa'.rfind('aa') }}{{ 'aaaa'.count('aa') }}{{ 'abc'.count('') }}|{{ ', '.join(['a', 'b']) }}|{{ '{} and {}'.format(1, 'two') }}|{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{x}!'.format(x=3) }}|{{ '{{}} {}'.format(1) }}|{{ '{!r}'.format('q') }}|{{ \"they're bill's friends\".title() }}",
            "{{ 'abc'.removeprefix('a') }}{{ 'abc'.removesuffix('c') }}|{{ '123'.isdigit() }}{{ 'a1'.isalnum() }}{{ 'ab'.isalpha() }}{{ '  '.isspace() }}{{ 'ab'.islower() }}{{ 'AB'.isupper() }}{{ ''.isdigit() }}",
            "{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 'dflt') }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.items() | list }}|{{ d.keys() | join(',') }}|{{ d.copy() }}|{{ 'a' in d.keys() }}",
            "{{ [1, 2, 2].count(2) }}|{{ [1, 2, 3].index(2) }}|{{ (1, 2).index(2) }}",
            "{{ [1].index(5) }}",
            "{{ ','.join([1, 2]) }}",
            "{{ 'a'.split('') }}",
            "{{ 'x'.nosuchmethod }}|{{ 'x'.nosuchmethod is defined }}",
            "{{ 'x'.nosuchmethod() }}",
        ], contexts: [#"{"d": {"a": 1, "b": [2]}}"#])
    }

    @Test func globals() throws {
        try JinjaReference.expectSame(templates: [
            "{{ strftime_now('%Y') }}",
            "{{ strftime_now('%Y') | int > 2000 }}|{{ strftime_now('%%Y') }}|{{ strftime_now('') }}",
            "{{ raise_exception('stop here') }}",
            "{% if messages | length > 1 %}{{ raise_exception('too many') }}{% endif %}ok",
            "{{ range(2, 5) | list }}|{{ range(10, 0, -3) | list }}|{{ range(-2) | list }}",
            "{{ range(1, 2, 0) }}",
            "{{ range('a') }}",
            "{{ namespace(a=1).a }}|{{ dict(a=1).a }}|{{ dict() }}",
            "{{ raise_exception is defined }}{{ namespace is defined }}{{ strftime_now is defined }}",
        ], contexts: [#"{"messages": [{"role": "user", "content": "hi"}]}"#, #"{"messages": [1, 2]}"#])
    }
}
