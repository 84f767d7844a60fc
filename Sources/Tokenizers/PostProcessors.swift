/// Adds a model's special tokens around an encoded sequence (tokenizer.json's `post_processor`). Only
/// single sequences are encoded here, so only the `single` templates matter.
protocol PostProcessor: Sendable {
    func process(_ ids: [Int]) -> [Int]
}

/// tokenizer.json's post-processor `type` names.
enum PostProcessorType: String, CaseIterable {
    case sequence = "Sequence"
    case templateProcessing = "TemplateProcessing"
    case byteLevel = "ByteLevel"
    case bertProcessing = "BertProcessing"
    case robertaProcessing = "RobertaProcessing"
}

enum PostProcessors {
    /// Builds a post-processor from its tokenizer.json object; throws on an unknown type or a bad field.
    static func make(_ node: ConfigNode) throws(TokenizerError) -> any PostProcessor {
        switch try node.type(PostProcessorType.self, stage: "post-processor") {
        case .sequence:
            return SequencePostProcessor(steps: try node.required("processors").array().map { (n) throws(TokenizerError) in try make(n) })
        case .templateProcessing:
            return try TemplatePostProcessor(node)
        case .byteLevel:
            // Only offsets change; the ids are untouched.
            return SequencePostProcessor(steps: [])
        case .bertProcessing, .robertaProcessing:
            let cls = try tokenWithID(node.required("cls")), sep = try tokenWithID(node.required("sep"))
            return FixedPostProcessor(prefix: [cls], suffix: [sep])
        }
    }

    /// Bert's `["[CLS]", 101]`.
    private static func tokenWithID(_ node: ConfigNode) throws(TokenizerError) -> Int {
        let pair = try node.array()
        guard pair.count == 2 else { throw node.fail("expected [token, id]") }
        return try pair[1].int()
    }
}

struct SequencePostProcessor: PostProcessor {
    let steps: [any PostProcessor]

    func process(_ ids: [Int]) -> [Int] { steps.reduce(ids) { $1.process($0) } }
}

struct FixedPostProcessor: PostProcessor {
    let prefix: [Int]
    let suffix: [Int]

    func process(_ ids: [Int]) -> [Int] { prefix + ids + suffix }
}

/// `TemplateProcessing`: the `single` template's items in order, `SpecialToken` items contributing the
/// ids listed for them under `special_tokens` and the `Sequence` item the encoded text.
struct TemplatePostProcessor: PostProcessor {
    enum Piece {
        case ids([Int])
        case sequence
    }
    let single: [Piece]

    init(single: [Piece]) { self.single = single }

    init(_ node: ConfigNode) throws(TokenizerError) {
        var specials: [String: [Int]] = [:]
        for (name, entry) in try node["special_tokens"]?.members() ?? [] {
            specials[name] = try entry.required("ids").array().map { (n) throws(TokenizerError) in try n.int() }
        }
        let template = try node.required("single")
        var pieces: [Piece] = []
        for item in try template.array() {
            if let special = item["SpecialToken"] {
                let name = try special.required("id").string()
                guard let ids = specials[name] else {
                    throw special.fail("special token '\(name)' is not listed in special_tokens")
                }
                pieces.append(.ids(ids))
            } else if item["Sequence"] != nil {
                pieces.append(.sequence)
            } else {
                throw item.fail("expected a SpecialToken or Sequence item")
            }
        }
        single = pieces
    }

    func process(_ ids: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(ids.count + 4)
        for piece in single {
            switch piece {
            case .ids(let special): out.append(contentsOf: special)
            case .sequence: out.append(contentsOf: ids)
            }
        }
        return out
    }
}
