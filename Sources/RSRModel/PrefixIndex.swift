/// Which full pages of a `KVPool` hold which token prefixes. A page is known by its tokens and the identity
/// of the page before it (`Link`), so a prompt's pages are found one after the other from its first token.
/// Keys compare whole token lists, so two prefixes never share a page by a hash collision; a page's keys and
/// values depend only on the tokens up to its end, and every batch and chunk gives them the same bits, so a
/// page found here holds what the prompt would compute.
struct PrefixIndex {
    /// A known page's identity: never reused, so a key that names a forgotten page finds nothing.
    typealias Link = UInt64
    static let root: Link = 0

    struct Key: Hashable {
        let parent: Link
        let tokens: [Int32]
    }

    private struct Entry {
        let key: Key
        let link: Link
    }

    private var pages: [Key: UInt32] = [:]
    private var entries: [Entry?]
    /// When each page was last taken or given back, for choosing which cached page to reuse.
    private var lastUse: [UInt64]
    private var clock: UInt64 = 0
    private var nextLink: Link = 1

    init(pageCount: Int) {
        entries = Array(repeating: nil, count: pageCount)
        lastUse = Array(repeating: 0, count: pageCount)
    }

    func knows(_ page: UInt32) -> Bool { entries[Int(page)] != nil }

    /// The page holding `tokens` (one page's worth) after the page `parent`, and its link.
    func find(_ tokens: ArraySlice<Int>, after parent: Link) -> (page: UInt32, link: Link)? {
        guard let page = pages[Key(parent: parent, tokens: tokens.map { Int32(truncatingIfNeeded: $0) })] else { return nil }
        return (page, entries[Int(page)]!.link)
    }

    /// Records that `page`, now full, holds `tokens` after `parent`; returns the link of the page known for
    /// them (an earlier page when another sequence computed the same prefix first).
    mutating func record(_ page: UInt32, tokens: ArraySlice<Int>, after parent: Link) -> Link {
        let key = Key(parent: parent, tokens: tokens.map { Int32(truncatingIfNeeded: $0) })
        if let known = pages[key] { return entries[Int(known)]!.link }
        let link = nextLink
        nextLink += 1
        pages[key] = page
        entries[Int(page)] = Entry(key: key, link: link)
        touch(page)
        return link
    }

    /// Drops what `page` held (it is about to hold other positions).
    mutating func forget(_ page: UInt32) {
        guard let entry = entries[Int(page)] else { return }
        pages[entry.key] = nil
        entries[Int(page)] = nil
    }

    mutating func touch(_ page: UInt32) {
        clock += 1
        lastUse[Int(page)] = clock
    }

    /// The known page no sequence uses that was used longest ago.
    func leastRecentlyUsed(users: [Int32]) -> UInt32? {
        var best: Int?
        for page in entries.indices where users[page] == 0 && entries[page] != nil {
            if best.map({ lastUse[page] < lastUse[$0] }) ?? true { best = page }
        }
        return best.map { UInt32($0) }
    }

    func cachedCount(users: [Int32]) -> Int {
        entries.indices.reduce(0) { $0 + (users[$1] == 0 && entries[$1] != nil ? 1 : 0) }
    }
}
