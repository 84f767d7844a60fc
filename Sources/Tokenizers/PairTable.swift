/// A read-only hash map from a pair of symbol ids (packed in 64 bits) to a merge: open addressing with a
/// multiplicative hash. Merge lookups are the inner loop of BPE, and the standard Dictionary's seeded
/// SipHash costs several times more than the lookup itself.
struct PairTable<Value>: @unchecked Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private let shift: UInt64
    private let mask: Int
    /// No real pair has this key: ids are below 2^31, so a high half of all ones never occurs.
    private static var empty: UInt64 { UInt64.max }

    init(_ entries: [UInt64: Value]) {
        var bits = 4
        while 1 << bits < entries.count * 2 { bits += 1 }
        let capacity = 1 << bits
        shift = UInt64(64 - bits)
        mask = capacity - 1
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [Value?](repeating: nil, count: capacity)
        for (key, value) in entries where key != Self.empty {
            var slot = Self.slot(key, shift)
            while keys[slot] != Self.empty { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
    }

    @inline(__always) private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always) subscript(key: UInt64) -> Value? {
        var slot = Self.slot(key, shift)
        while true {
            let k = keys[slot]
            if k == key { return values[slot] }
            if k == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always) static func pair(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }
}

/// Token ids of single characters, from a flat table for the first 2,048 code points (all of ASCII,
/// Latin and the byte-level alphabet) and a dictionary beyond.
struct CharacterTable: Sendable {
    private var low: [Int32]
    private var high: [Unicode.Scalar: Int32]

    init(_ entries: [Unicode.Scalar: Int32]) {
        low = [Int32](repeating: -1, count: 2048)
        high = [:]
        for (scalar, id) in entries {
            if scalar.value < 2048 { low[Int(scalar.value)] = id } else { high[scalar] = id }
        }
    }

    @inline(__always) subscript(scalar: Unicode.Scalar) -> Int32? {
        if scalar.value < 2048 {
            let id = low[Int(scalar.value)]
            return id >= 0 ? id : nil
        }
        return high[scalar]
    }
}
