/// One value of a parsed config file together with where it came from, so that every validation failure
/// names the file and the field (`model.merges[12]`) and says what was expected.
struct ConfigNode {
    let file: String
    let path: String
    let value: JSON

    /// Parses a whole file; bytes that are not JSON become an error naming the file and the byte offset.
    static func parse(_ bytes: [UInt8], file: String) throws(TokenizerError) -> ConfigNode {
        do {
            return ConfigNode(file: file, path: "", value: try JSONParser.parse(bytes))
        } catch {
            throw TokenizerError(file: file, "is not valid JSON: \(error.message) at byte \(error.offset)")
        }
    }

    func fail(_ problem: String) -> TokenizerError { TokenizerError(file: file, field: path, problem) }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isNull: Bool { if case .null = value { true } else { false } }

    /// The member `key` of this object; nil when this is not an object, the key is absent, or its value is null.
    subscript(key: String) -> ConfigNode? {
        guard case .object(let object) = value, let child = object[key] else { return nil }
        if case .null = child { return nil }
        return ConfigNode(file: file, path: childPath(key), value: child)
    }

    /// The member `key`, which must be present and not null.
    func required(_ key: String) throws(TokenizerError) -> ConfigNode {
        guard case .object = value else { throw fail("expected an object, found \(value.typeName)") }
        guard let child = self[key] else { throw fail("missing required field '\(key)'") }
        return child
    }

    func string() throws(TokenizerError) -> String {
        guard case .string(let text) = value else { throw fail("expected a string, found \(value.typeName)") }
        return text
    }

    func bool() throws(TokenizerError) -> Bool {
        guard case .bool(let flag) = value else { throw fail("expected true or false, found \(value.typeName)") }
        return flag
    }

    func double() throws(TokenizerError) -> Double {
        guard case .number(let number) = value else { throw fail("expected a number, found \(value.typeName)") }
        return number
    }

    /// A non-negative integer that fits a token id or a count.
    func int() throws(TokenizerError) -> Int {
        guard case .number(let number) = value else { throw fail("expected an integer, found \(value.typeName)") }
        guard number >= 0, number < 4_294_967_296, number.rounded() == number else {
            throw fail("expected a non-negative integer below 2^32, found \(number)")
        }
        return Int(number)
    }

    func array() throws(TokenizerError) -> [ConfigNode] {
        guard case .array(let items) = value else { throw fail("expected an array, found \(value.typeName)") }
        return items.enumerated().map { ConfigNode(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    /// The members of an object in file order.
    func members() throws(TokenizerError) -> [(key: String, node: ConfigNode)] {
        guard case .object(let object) = value else { throw fail("expected an object, found \(value.typeName)") }
        return zip(object.keys, object.values).map { ($0, ConfigNode(file: file, path: childPath($0), value: $1)) }
    }

    // Optional members with defaults, for the many flags that tokenizer.json may omit.
    func string(_ key: String) throws(TokenizerError) -> String? { try self[key]?.string() }
    func bool(_ key: String, default fallback: Bool) throws(TokenizerError) -> Bool { try self[key]?.bool() ?? fallback }
    func int(_ key: String) throws(TokenizerError) -> Int? { try self[key]?.int() }

    /// The `type` member of a pipeline stage, converted to the stage's type enum; an unknown name is an
    /// error that names it and lists what is supported.
    func type<T: RawRepresentable & CaseIterable>(_: T.Type, stage: String) throws(TokenizerError) -> T where T.RawValue == String {
        let field = try required("type")
        let name = try field.string()
        guard let kind = T(rawValue: name) else {
            let known = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw field.fail("unsupported \(stage) type '\(name)' (supported: \(known))")
        }
        return kind
    }
}
