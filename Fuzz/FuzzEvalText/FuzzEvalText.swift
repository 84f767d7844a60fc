import Foundation
import FuzzSupport
import RSREval

/// A data set in JSON lines as `rsr eval --jsonl FILE --field text` reads it: every line a JSON value, the
/// field of each object joined. The input is the file's bytes.
@main enum FuzzEvalText {
    static func main() {
        FuzzDriver.run { input in
            let text = try EvalText.jsonLines(Data(input), named: "fuzz.jsonl", field: "text")
            precondition(!text.isEmpty)
        }
    }
}
