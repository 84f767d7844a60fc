import FileIO
import Testing

/// Path.join(untrusted:): names from a server or a user stay below the directory they are joined to.
@Suite struct UntrustedPathTests {
    @Test(arguments: [("a", "/c/a"), ("a/b.json", "/c/a/b.json"), ("refs/pr/1", "/c/refs/pr/1"), (".hidden", "/c/.hidden"), ("a..b", "/c/a..b")])
    func relativeNamesAreAppended(name: String, expected: String) throws {
        #expect(try Path.join("/c", untrusted: name) == expected)
        #expect(try Path.join("/c/", untrusted: name) == expected)
    }

    @Test func severalNamesAreAppendedInOrder() throws {
        #expect(try Path.join("/c", untrusted: "snapshots", "abc", "x.json") == "/c/snapshots/abc/x.json")
    }

    @Test(arguments: [
        ("/home/u/.bashrc", "it is absolute"), ("../../x", "it has a '..' part"), ("a/../../b", "it has a '..' part"),
        ("..", "it has a '..' part"), (".", "it has a '.' part"), ("a/./b", "it has a '.' part"), ("", "it is empty"),
        ("a//b", "it has an empty part"), ("a/", "it has an empty part"), ("a\0b", "it contains a NUL byte"),
    ])
    func escapingNamesAreRefusedWithTheReason(name: String, reason: String) {
        let error = #expect(throws: UnsafeNameError.self) { try Path.join("/c", untrusted: name) }
        #expect(error == UnsafeNameError(name: name, base: "/c", reason: reason))
        #expect(error?.description.contains("cannot name a file under /c: \(reason)") == true)
    }

    @Test func controlCharactersInARefusedNameAreEscaped() {
        let error = #expect(throws: UnsafeNameError.self) { try Path.join("/c", untrusted: "../\u{1b}[2J") }
        #expect(error?.description.contains("\u{1b}") == false)
        #expect(error?.description.contains("\\u{1B}[2J") == true)
    }
}
