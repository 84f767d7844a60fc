import Testing
@testable import Tokenizers

/// The hand-written regex scanners, on cases worked out from the regex semantics.
@Suite struct PreTokenizerTests {
    func split(_ scanner: PatternScanner, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return SplitBehavior.isolated.pieces(count: scalars.count, matches: scanner.matches(in: scalars)).map { Scalars.string(scalars[$0]) }
    }

    let llama3 = PatternScanner.llama3(maxDigits: 3)

    @Test func llama3Pattern() {
        #expect(split(llama3, "Hello world") == ["Hello", " world"])
        // \s+(?!\S) leaves the last space to start the next word.
        #expect(split(llama3, "  leading") == [" ", " leading"])
        #expect(split(llama3, "a   ") == ["a", "   "])
        // \s*[\r\n]+ takes the whitespace up to the last line break; then two spaces before b.
        #expect(split(llama3, "a  \n\n  b") == ["a", "  \n\n", " ", " b"])
        #expect(split(llama3, "12345") == ["123", "45"])
        // Contractions are case-insensitive.
        #expect(split(llama3, "IT'S it's") == ["IT", "'S", " it", "'s"])
        #expect(split(llama3, "x!!\n\ny") == ["x", "!!\n\n", "y"])
        // One non-letter, non-digit, non-newline character may lead a word.
        #expect(split(llama3, "(hello) $5") == ["(hello", ")", " $", "5"])
        #expect(split(llama3, "\u{A0}nbsp\u{3000}x") == ["\u{A0}nbsp", "\u{3000}x"])
    }

    @Test func gpt2Pattern() {
        #expect(split(.gpt2, "Hello   world") == ["Hello", "  ", " world"])
        // Case-sensitive contractions.
        #expect(split(.gpt2, "IT'S it's") == ["IT", "'", "S", " it", "'s"])
        #expect(split(.gpt2, "12345 678") == ["12345", " 678"])
        // A run of two before a letter: \s+(?!\S) takes one, \s+ the other.
        #expect(split(.gpt2, "a\n\nb") == ["a", "\n", "\n", "b"])
        #expect(split(.gpt2, "x?! y") == ["x", "?!", " y"])
    }

    @Test func recognisesKnownPatterns() {
        #expect(PatternScanner(pattern: PatternScanner.gpt2Pattern) != nil)
        #expect(PatternScanner(pattern: PatternScanner.llama3Pattern) != nil)
        #expect(PatternScanner(pattern: #"\p{L}+"#) == nil)
    }

    @Test func splitBehaviors() {
        // "a-b--c" split at "-".
        let matches = [1..<2, 3..<4, 4..<5]
        func pieces(_ behavior: SplitBehavior, invert: Bool = false) -> [Range<Int>] {
            behavior.pieces(count: 6, matches: matches, invert: invert)
        }
        #expect(pieces(.isolated) == [0..<1, 1..<2, 2..<3, 3..<4, 4..<5, 5..<6])
        #expect(pieces(.removed) == [0..<1, 2..<3, 5..<6])
        #expect(pieces(.mergedWithPrevious) == [0..<2, 2..<4, 4..<5, 5..<6])
        #expect(pieces(.mergedWithNext) == [0..<1, 1..<3, 3..<4, 4..<6])
        #expect(pieces(.contiguous) == [0..<1, 1..<2, 2..<3, 3..<5, 5..<6])
        #expect(pieces(.removed, invert: true) == [1..<2, 3..<4, 4..<5])
    }
}
