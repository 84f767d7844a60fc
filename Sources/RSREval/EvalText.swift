import FileIO
import Foundation

/// The text an evaluation reads: a UTF-8 file, or one string field of every line of a JSON-lines file
/// joined by blank lines (as transformers' recipe joins a data set's rows: "\n\n".join(rows)).
public enum EvalText {
    /// The largest file read; text beyond this is a data set to sample, not to tokenize at once.
    public static let maxBytes = 256 << 20

    public static func read(_ path: String) throws -> String {
        let text = try decode(try bytes(path), path)
        guard !text.isEmpty else { throw EvalError("\(path) is empty; give a text to evaluate") }
        return text
    }

    public static func readJSONLines(_ path: String, field: String) throws -> String {
        try jsonLines(try bytes(path), named: path, field: field)
    }

    /// The rows' `field` strings of JSON-lines `data`, joined by blank lines; errors name `path` and the line.
    public static func jsonLines(_ data: Data, named path: String, field: String) throws -> String {
        let text = try decode(data, path)
        var rows: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            } catch {
                throw EvalError("\(path):\(index + 1): not a JSON value")
            }
            guard let row = object as? [String: Any] else { throw EvalError("\(path):\(index + 1): expected a JSON object") }
            guard let value = row[field] as? String else {
                throw EvalError("\(path):\(index + 1): field \"\(field)\" is \(row[field] == nil ? "missing" : "not a string")")
            }
            rows.append(value)
        }
        let joined = rows.joined(separator: "\n\n")
        guard !joined.isEmpty else { throw EvalError("\(path) has no text in field \"\(field)\"") }
        return joined
    }

    private static func bytes(_ path: String) throws -> Data {
        guard !Path.isDirectory(path) else { throw EvalError("\(path) is a directory; give a text file") }
        guard let size = Path.fileSize(path) else { throw EvalError("\(path): no such file") }
        guard size <= Int64(maxBytes) else { throw EvalError("\(path) is \(size >> 20) MiB; at most \(maxBytes >> 20) MiB of text is read") }
        guard let data = FileManager.default.contents(atPath: path) else { throw EvalError("\(path) cannot be read") }
        return data
    }

    private static func decode(_ data: Data, _ path: String) throws -> String {
        guard let text = String(data: data, encoding: .utf8) else { throw EvalError("\(path) is not UTF-8 text") }
        return text
    }
}
