import ChatTemplate
import Testing

@Suite struct TemplateValueTests {
    @Test func jsonKeepsKeyOrderAndNumberKinds() throws {
        let value = try TemplateValue(json: #" {"z": 1, "a": [1.0, -2, 3e2, true, null, "x"], "m": {}} "#)
        guard case .object(let pairs) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(pairs.map(\.key) == ["z", "a", "m"])
        #expect(value["a"] == [.double(1.0), .int(-2), .double(300), true, nil, "x"])
        if case .array(let items)? = value["a"] {
            guard case .double = items[0] else {
                Issue.record("1.0 should stay a double")
                return
            }
        }
        #expect(value["m"] == .object([]))
        #expect(value["missing"] == nil)
    }

    @Test func jsonStringsUnescape() throws {
        #expect(try TemplateValue(json: #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == "a\"b\\c/d\n\té😀")
        #expect(try TemplateValue(json: #""\ud800x""#) == "\u{FFFD}x")
        #expect(try TemplateValue(json: "\"é 😀\"") == "é 😀")
    }

    @Test func duplicateKeysKeepTheFirstPlaceAndTheLastValue() throws {
        #expect(try render("{{ v | tojson }}", ["v": try TemplateValue(json: #"{"a": 1, "b": 2, "a": 3}"#)]) == #"{"a": 3, "b": 2}"#)
    }

    @Test(arguments: [
        ("", 1, 1), ("{", 1, 2), ("[1,]", 1, 4), ("{\"a\" 1}", 1, 6), ("[1] x", 1, 5), ("\"abc", 1, 5), ("\n  tru", 2, 3),
        ("\"\\q\"", 1, 3), ("-", 1, 1), ("1.", 1, 3), ("\"a\nb\"", 1, 3),
    ])
    func badJSONIsLocated(text: String, line: Int, column: Int) {
        let error = #expect(throws: TemplateError.self) { try TemplateValue(json: text) }
        #expect(error?.kind == .invalidJSON)
        #expect(error?.line == line, "\(text.debugDescription): \(String(describing: error))")
        #expect(error?.column == column, "\(text.debugDescription): \(String(describing: error))")
    }

    @Test func deepJSONIsRefused() {
        let text = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: TemplateError.self) { try TemplateValue(json: text) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try TemplateValue(json: fine) }
    }

    @Test func equalityIsPythons() {
        let a: TemplateValue = ["x": 1, "y": [true, "s"]]
        let b: TemplateValue = .object([("y", [true, "s"]), ("x", 1.0)])
        #expect(a == b)
        #expect(TemplateValue.int(1) == .bool(true))
        #expect(TemplateValue.string("é") != .string("e\u{301}"))
        #expect(TemplateValue.array([1]) != .array([1, 2]))
        #expect(TemplateValue.none != .int(0))
    }
}
