/// Text built piece by piece that fails as soon as it would outgrow `Limits.maxTextBytes`, before the memory
/// is spent (printing a list of a million references to one long string would otherwise build terabytes).
struct BoundedText {
    private(set) var text = ""
    let what: String

    init(_ what: String) { self.what = what }

    mutating func append(_ piece: String) throws {
        try ensureTextFits(text.utf8.count + piece.utf8.count, what)
        text += piece
    }

    /// One scalar copied from a source that is itself within the limit, so not checked.
    mutating func append(_ scalar: Unicode.Scalar) {
        text.unicodeScalars.append(scalar)
    }
}

/// The text of each item joined by `separator`, failing as soon as it would outgrow the limit: each piece is
/// made only once the text before it is known to fit.
func joinWithinLimit<Items: Sequence>(_ items: Items, separator: String, _ what: String = "the joined string",
                                      _ piece: (Items.Element) throws -> String) throws -> String
{
    var out = BoundedText(what)
    var first = true
    for item in items {
        if !first { try out.append(separator) }
        first = false
        try out.append(try piece(item))
    }
    return out.text
}

func joinWithinLimit(_ pieces: [String], separator: String) throws -> String {
    try joinWithinLimit(pieces, separator: separator) { $0 }
}
