/// A SentencePiece `tokenizer.model` (a ModelProto protobuf), for repositories that ship no
/// tokenizer.json. BPE models are supported, with byte fallback, user-defined pieces, and the identity
/// normalizer (add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces), which is what Llama 2 and
/// its derivatives use. Unigram models and precompiled normalization rules (nmt_nfkc) are refused by name.
struct SentencePieceModel {
    enum PieceType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    struct Piece {
        var text: String
        var score: Float = 0
        var type: PieceType = .normal
    }

    static let file = "tokenizer.model"

    var pieces: [Piece] = []
    // trainer_spec
    var modelType = 1 // UNIGRAM is the protobuf default
    var byteFallback = false
    var treatWhitespaceAsSuffix = false
    var unkID = 0, bosID = 1, eosID = 2, padID = -1
    // normalizer_spec
    var normalizerName = ""
    var precompiledCharsmapSize = 0
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true

    init(bytes: [UInt8]) throws(TokenizerError) {
        guard !bytes.isEmpty else { throw TokenizerError(file: Self.file, "is empty") }
        var reader = ProtobufReader(bytes[...], file: Self.file)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, .lengthDelimited):
                pieces.append(try Self.piece(reader.lengthDelimited(field: "pieces"), index: pieces.count))
            case (2, .lengthDelimited):
                try readTrainerSpec(ProtobufReader(reader.lengthDelimited(field: "trainer_spec"), file: Self.file, path: "trainer_spec"))
            case (3, .lengthDelimited):
                try readNormalizerSpec(ProtobufReader(reader.lengthDelimited(field: "normalizer_spec"), file: Self.file, path: "normalizer_spec"))
            default:
                try reader.skip(wireType)
            }
        }
        guard !pieces.isEmpty else { throw TokenizerError(file: Self.file, field: "pieces", "the model has no pieces") }
    }

    private static func piece(_ bytes: ArraySlice<UInt8>, index: Int) throws(TokenizerError) -> Piece {
        var reader = ProtobufReader(bytes, file: file, path: "pieces[\(index)]")
        var piece = Piece(text: "")
        var sawText = false
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, .lengthDelimited): piece.text = try reader.string(field: "piece"); sawText = true
            case (2, .fixed32): piece.score = try reader.float(field: "score")
            case (3, .varint):
                let raw = try reader.varint(field: "type")
                guard let type = PieceType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw reader.fail("unknown piece type \(raw)", field: "type")
                }
                piece.type = type
            default: try reader.skip(wireType)
            }
        }
        guard sawText else { throw reader.fail("has no piece text") }
        return piece
    }

    private mutating func readTrainerSpec(_ reader: ProtobufReader) throws(TokenizerError) {
        var reader = reader
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (3, .varint): modelType = Int(truncatingIfNeeded: try reader.varint(field: "model_type"))
            case (24, .varint): treatWhitespaceAsSuffix = try reader.bool(field: "treat_whitespace_as_suffix")
            case (35, .varint): byteFallback = try reader.bool(field: "byte_fallback")
            case (40, .varint): unkID = try reader.int32(field: "unk_id")
            case (41, .varint): bosID = try reader.int32(field: "bos_id")
            case (42, .varint): eosID = try reader.int32(field: "eos_id")
            case (43, .varint): padID = try reader.int32(field: "pad_id")
            default: try reader.skip(wireType)
            }
        }
    }

    private mutating func readNormalizerSpec(_ reader: ProtobufReader) throws(TokenizerError) {
        var reader = reader
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, .lengthDelimited): normalizerName = try reader.string(field: "name")
            case (2, .lengthDelimited): precompiledCharsmapSize = try reader.lengthDelimited(field: "precompiled_charsmap").count
            case (3, .varint): addDummyPrefix = try reader.bool(field: "add_dummy_prefix")
            case (4, .varint): removeExtraWhitespaces = try reader.bool(field: "remove_extra_whitespaces")
            case (5, .varint): escapeWhitespaces = try reader.bool(field: "escape_whitespaces")
            default: try reader.skip(wireType)
            }
        }
    }

    /// The text of a piece id, when it is one.
    func text(of id: Int) -> String? { pieces.indices.contains(id) ? pieces[id].text : nil }

    /// The equivalent of the tokenizer.json that `transformers` would convert this model to: control and
    /// unknown pieces as special added tokens, the SentencePiece normalizer, the score-ordered BPE model,
    /// BOS and EOS added as `add_bos_token` and `add_eos_token` say, and the Llama decoder chain.
    func pipeline(addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> Pipeline {
        switch modelType {
        case 2: break
        case 1: throw TokenizerError(file: Self.file, field: "trainer_spec.model_type", "Unigram models are not supported (only BPE)")
        default: throw TokenizerError(file: Self.file, field: "trainer_spec.model_type", "model type \(modelType) is not supported (only BPE = 2)")
        }
        guard precompiledCharsmapSize == 0 else {
            throw TokenizerError(file: Self.file, field: "normalizer_spec.precompiled_charsmap",
                                 "normalization rule '\(normalizerName)' uses a precompiled character map, which is not supported (only 'identity')")
        }
        guard !treatWhitespaceAsSuffix else {
            throw TokenizerError(file: Self.file, field: "trainer_spec.treat_whitespace_as_suffix", "whitespace as a suffix is not supported")
        }
        guard pieces.indices.contains(unkID), pieces[unkID].type == .unknown else {
            throw TokenizerError(file: Self.file, field: "trainer_spec.unk_id", "unk_id \(unkID) is not an UNKNOWN piece")
        }
        var pipeline = Pipeline(model: try SentencePieceBPEModel(self))
        pipeline.addedTokens = pieces.enumerated().compactMap { id, piece in
            piece.type == .control || piece.type == .unknown ? AddedToken(content: piece.text, id: id, special: true, normalized: false) : nil
        }
        pipeline.normalizer = SentencePieceNormalizer(addDummyPrefix: addDummyPrefix, removeExtraWhitespaces: removeExtraWhitespaces,
                                                      escapeWhitespaces: escapeWhitespaces)
        var template: [TemplatePostProcessor.Piece] = []
        if addBOS, pieces.indices.contains(bosID) { template.append(.ids([bosID])) }
        template.append(.sequence)
        if addEOS, pieces.indices.contains(eosID) { template.append(.ids([eosID])) }
        pipeline.postProcessor = TemplatePostProcessor(single: template)
        var decoders: [any Decoder] = [ReplaceDecoder(needle: ["\u{2581}"], content: [" "]), ByteFallbackDecoder(), FuseDecoder()]
        if addDummyPrefix { decoders.append(StripDecoder(content: " ", start: 1, stop: 0)) }
        pipeline.decoder = SequenceDecoder(steps: decoders)
        pipeline.defaultBOS = text(of: bosID)
        pipeline.defaultEOS = text(of: eosID)
        return pipeline
    }
}

/// SentencePiece's identity normalization: optionally drops leading, trailing and repeated spaces, puts a
/// space before non-empty text (the dummy prefix), and writes spaces as "▁".
struct SentencePieceNormalizer: Normalizer {
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count + 1)
        let space: Unicode.Scalar = escapeWhitespaces ? "\u{2581}" : " "
        var previousSpace = removeExtraWhitespaces // drops leading spaces
        for s in text {
            if s == " " {
                if removeExtraWhitespaces && previousSpace { continue }
                out.append(space)
                previousSpace = true
            } else {
                out.append(s)
                previousSpace = false
            }
        }
        // SentencePiece strips every trailing space symbol here, even one that was "▁" in the input.
        if removeExtraWhitespaces { while out.last == space { out.removeLast() } }
        if out.isEmpty { return out }
        if addDummyPrefix { out.insert(space, at: 0) }
        return out
    }
}
