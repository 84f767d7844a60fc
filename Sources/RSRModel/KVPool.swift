import Foundation
import RSRCore

/// Keys and values of every layer in pages of `pagePositions` positions, shared by the sequences of one
/// model: each layer's keys are [kvHeads][pageCount][pagePositions][headDim] values of `cacheType` (values
/// alike), so a KV head's pages that follow each other in memory read as one stream. A sequence (`KVCache`)
/// takes pages as it grows and gives them back when it ends. Pages hold memory only once written, and stay
/// resident after.
///
/// Pages the prefix index knows stay filled after their last sequence ends, and a new sequence whose prompt
/// begins with the same tokens takes them instead of computing them again; they are reused for other
/// positions, least recently used first, only when no page is free.
public final class KVPool {
    /// Positions in a page: 64 keeps a head's page 16-32 KiB, whole blocks of the attention kernel, and a
    /// prompt's shared prefix is reused to within 63 tokens.
    public static let defaultPagePositions = 64

    /// Pages of `pagePositions` positions that hold `positions` positions (at least one).
    public static func pages(holding positions: Int, pagePositions: Int = defaultPagePositions) -> Int {
        max(1, (positions + pagePositions - 1) / pagePositions)
    }

    public let pagePositions: Int
    public let pageCount: Int
    public let cacheType: KVCacheType
    let layers: Int, kvHeads: Int, headDim: Int
    private let keys: [UnsafeMutableRawPointer], values: [UnsafeMutableRawPointer]
    /// Sequences using each page (0: free, or cached when the index knows it).
    private var users: [Int32]
    private var prefixes: PrefixIndex?

    /// A pool of `pageCount` pages; `prefixCaching` keeps the pages of finished prompts for later ones.
    public init(layers: Int, kvHeads: Int, headDim: Int, pageCount: Int, pagePositions: Int = KVPool.defaultPagePositions,
                cacheType: KVCacheType = .f32, prefixCaching: Bool) throws {
        guard layers > 0, kvHeads > 0, headDim > 0, pagePositions > 0, pageCount > 0, pageCount <= Int(UInt32.max) else {
            throw ModelError("a KV pool needs positive sizes (\(layers) layers, \(kvHeads) KV heads of \(headDim), \(pageCount) pages of \(pagePositions))")
        }
        let (floats, overflow) = (kvHeads * headDim).multipliedReportingOverflow(by: pagePositions * pageCount)
        guard !overflow, floats <= Int.max / cacheType.valueBytes else { throw ModelError("a KV pool of \(pageCount) pages overflows") }
        (self.layers, self.kvHeads, self.headDim, self.pageCount, self.pagePositions) = (layers, kvHeads, headDim, pageCount, pagePositions)
        self.cacheType = cacheType
        let bytes = floats * cacheType.valueBytes
        keys = (0..<layers).map { _ in .allocate(byteCount: bytes, alignment: 64) }
        values = (0..<layers).map { _ in .allocate(byteCount: bytes, alignment: 64) }
        users = Array(repeating: 0, count: pageCount)
        prefixes = prefixCaching ? PrefixIndex(pageCount: pageCount) : nil
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    func keys(_ layer: Int) -> UnsafeMutableRawPointer { keys[layer] }
    func values(_ layer: Int) -> UnsafeMutableRawPointer { values[layer] }

    /// Where position `row` of `page` keeps KV head `head`'s key (and, in `values`, its value), in values.
    @inline(__always)
    func offset(page: UInt32, row: Int, head: Int) -> Int {
        ((head * pageCount + Int(page)) * pagePositions + row) * headDim
    }

    /// Pages sequences hold now.
    public var pagesInUse: Int { users.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
    /// Pages kept for their prefix while no sequence uses them.
    public var pagesCached: Int { prefixes?.cachedCount(users: users) ?? 0 }

    /// A page for the positions after `previous` (a sequence's last page, nil for its first): the page that
    /// follows it in memory when free, so that the sequence stays one stream; else the middle of the longest
    /// run of free pages (its start at the pool's start), leaving room for the sequence before it to grow;
    /// else the cached page used longest ago. Nil when every page is in use.
    func take(after previous: UInt32?) -> UInt32? {
        if let previous, Int(previous) + 1 < pageCount, isFree(Int(previous) + 1) { return claim(previous + 1) }
        var best: (start: Int, length: Int)?
        var start = 0
        for page in 0...pageCount {
            if page < pageCount && isFree(page) { continue }
            if page > start, page - start > best?.length ?? 0 { best = (start, page - start) }
            start = page + 1
        }
        if let best { return claim(UInt32(best.start == 0 ? 0 : best.start + best.length / 2)) }
        guard let oldest = prefixes?.leastRecentlyUsed(users: users) else { return nil }
        prefixes?.forget(oldest)
        return claim(oldest)
    }

    var keepsPrefixes: Bool { prefixes != nil }

    /// The page that holds `tokens` (a page's worth) after the page linked as `parent`, and its own link.
    func findPrefix(_ tokens: ArraySlice<Int>, after parent: PrefixIndex.Link) -> (page: UInt32, link: PrefixIndex.Link)? {
        prefixes?.find(tokens, after: parent)
    }

    /// A sequence filled `page` with `tokens` after the page linked as `parent`; the link to continue from.
    func recordPrefix(_ page: UInt32, tokens: ArraySlice<Int>, after parent: PrefixIndex.Link) -> PrefixIndex.Link {
        prefixes?.record(page, tokens: tokens, after: parent) ?? PrefixIndex.root
    }

    /// Another sequence uses `page` (a cached prefix page).
    func share(_ page: UInt32) {
        users[Int(page)] += 1
        prefixes?.touch(page)
    }

    /// A sequence is done with `page`.
    func release(_ page: UInt32) {
        precondition(users[Int(page)] > 0, "page \(page) released more often than taken")
        users[Int(page)] -= 1
        prefixes?.touch(page)
    }

    private func isFree(_ page: Int) -> Bool { users[page] == 0 && !(prefixes?.knows(UInt32(page)) ?? false) }

    private func claim(_ page: UInt32) -> UInt32 {
        users[Int(page)] = 1
        return page
    }
}
