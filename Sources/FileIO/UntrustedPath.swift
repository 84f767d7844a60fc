/// A name from outside (a server, a user) that was refused as part of a path: it would have reached
/// outside the directory it was meant to stay in.
public struct UnsafeNameError: Error, Equatable, CustomStringConvertible {
    public let name: String
    public let base: String
    public let reason: String

    public init(name: String, base: String, reason: String) {
        self.name = name
        self.base = base
        self.reason = reason
    }

    public var description: String {
        "'\(Self.printable(name))' cannot name a file under \(base): \(reason); expected a relative path of non-empty parts other than '.' and '..'"
    }

    /// The name with control characters escaped, so a hostile name cannot garble the terminal.
    static func printable(_ name: String) -> String {
        name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}

extension Path {
    /// `base` with `names` appended, where the names come from outside and must stay below `base`: each
    /// may hold several '/'-separated parts, and is refused (with `UnsafeNameError`) when it is absolute
    /// or has a part that is empty, '.', '..' or contains NUL. Unlike `join`, an absolute name never
    /// replaces the prefix.
    public static func join(_ base: String, untrusted names: String...) throws -> String {
        var result = base
        for name in names {
            try checkUntrusted(name, under: base)
            result = result.hasSuffix("/") ? result + name : result + "/" + name
        }
        return result
    }

    private static func checkUntrusted(_ name: String, under base: String) throws {
        func refuse(_ reason: String) -> UnsafeNameError { UnsafeNameError(name: name, base: base, reason: reason) }
        if name.isEmpty { throw refuse("it is empty") }
        if name.hasPrefix("/") { throw refuse("it is absolute") }
        if name.utf8.contains(0) { throw refuse("it contains a NUL byte") }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw refuse("it has an empty part") }
            if part == "." || part == ".." { throw refuse("it has a '\(part)' part") }
        }
    }
}
