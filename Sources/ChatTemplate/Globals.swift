import Foundation

/// The functions every template sees: jinja2's `range` (with the sandbox's size limit) and those transformers
/// adds, `raise_exception`, `strftime_now`, `namespace` and `dict`.
enum Globals {
    /// jinja2's sandbox refuses ranges longer than this.
    static let maxRange = 100_000

    static func lookup(_ name: String) -> Value? {
        switch name {
        case "range": return .function(Function(name: name, call: range))
        case "namespace": return .function(Function(name: name, call: namespace))
        case "dict": return .function(Function(name: name) { .dict(try dictionary($0, function: "dict")) })
        case "raise_exception": return .function(Function(name: name, call: raiseException))
        case "strftime_now": return .function(Function(name: name, call: strftimeNow))
        default: return nil
        }
    }

    static func range(_ arguments: Arguments) throws -> Value {
        guard arguments.keyword.isEmpty else { throw RenderFailure("range() takes no keyword arguments") }
        let numbers = try arguments.positional.map { value in
            guard let integer = value.integer else { throw RenderFailure("'\(value.typeName)' object cannot be interpreted as an integer") }
            return integer
        }
        let (start, stop, step): (Int, Int, Int)
        switch numbers.count {
        case 1: (start, stop, step) = (0, numbers[0], 1)
        case 2: (start, stop, step) = (numbers[0], numbers[1], 1)
        case 3: (start, stop, step) = (numbers[0], numbers[1], numbers[2])
        default: throw RenderFailure("range expected 1 to 3 arguments, got \(numbers.count)")
        }
        guard step != 0 else { throw RenderFailure("range() arg 3 must not be zero") }
        let count = rangeLength(start: start, stop: stop, step: step)
        guard count <= UInt(maxRange) else {
            throw RenderFailure("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)), and this one has \(count) items.")
        }
        var items: [Value] = []
        items.reserveCapacity(Int(count))
        var value = start
        for index in 0..<Int(count) {
            // Wrapping only after the last item, which is never read.
            if index > 0 { value &+= step }
            items.append(.int(value))
        }
        return .list(items)
    }

    /// How many items `range(start, stop, step)` has, exactly, for any 64-bit arguments: the distance between
    /// the ends is below 2^64 and so fits in a `UInt`, where the floating-point quotient would round and trap.
    static func rangeLength(start: Int, stop: Int, step: Int) -> UInt {
        guard step > 0 ? start < stop : start > stop else { return 0 }
        let distance = step > 0 ? UInt(bitPattern: stop &- start) : UInt(bitPattern: start &- stop)
        return (distance - 1) / step.magnitude + 1
    }

    /// Python's `dict(*args, **kwargs)`: a mapping or a sequence of pairs, then the keywords.
    static func dictionary(_ arguments: Arguments, function: String) throws -> Dict {
        guard arguments.positional.count <= 1 else { throw RenderFailure("\(function) expected at most 1 argument, got \(arguments.positional.count)") }
        var result = Dict()
        switch arguments.positional.first {
        case nil: break
        case .dict(let dict)?: result = dict
        case .namespace(let namespace)?: result = namespace.attributes
        case let source?:
            for (index, item) in try pyIterate(source).enumerated() {
                let pair = try pyIterate(item)
                guard pair.count == 2 else {
                    throw RenderFailure("dictionary update sequence element #\(index) has length \(pair.count); 2 is required")
                }
                guard case .string(let key) = pair[0] else { throw RenderFailure("dictionary keys must be strings in chat templates") }
                result[key] = pair[1]
            }
        }
        for (name, value) in arguments.keyword { result[name] = value }
        return result
    }

    /// transformers' namespace, which refuses attributes starting with an underscore.
    static func namespace(_ arguments: Arguments) throws -> Value {
        let attributes = try dictionary(arguments, function: "namespace")
        if let name = attributes.keys.first(where: { $0.hasPrefix("_") }) {
            throw RenderFailure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'.")
        }
        return .namespace(Namespace(attributes))
    }

    static func raiseException(_ arguments: Arguments) throws -> Value {
        let message = try arguments.bind("raise_exception", ["message"])[0] ?? .string("")
        throw RenderFailure(try pyStr(message), raised: true)
    }

    static func strftimeNow(_ arguments: Arguments) throws -> Value {
        guard case .string(let format)? = try arguments.bind("strftime_now", ["format"])[0] else {
            throw RenderFailure("strftime_now() argument must be a format string")
        }
        return .string(try strftime(format, Date()))
    }

    /// Python's `datetime.now().strftime(format)`: `%f` is microseconds, `%z` and `%Z` are empty (the
    /// datetime is naive), everything else is the C library's `strftime` in local time.
    static func strftime(_ format: String, _ date: Date) throws -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let microseconds = Int(((interval - interval.rounded(.down)) * 1_000_000).rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { throw RenderFailure("strftime_now: the local time is unavailable") }

        var rewritten = ""
        var iterator = format.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "%" else {
                rewritten.unicodeScalars.append(scalar)
                continue
            }
            guard let directive = iterator.next() else {
                rewritten += "%"
                break
            }
            switch directive {
            case "f": rewritten += String(format: "%06d", microseconds)
            case "z", "Z": break
            default:
                rewritten.unicodeScalars.append("%")
                rewritten.unicodeScalars.append(directive)
            }
        }
        guard !rewritten.isEmpty else { return "" }
        var capacity = 256
        while capacity <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: capacity)
            let written = Foundation.strftime(&buffer, capacity, rewritten, &parts)
            if written > 0 { return String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            capacity *= 4
        }
        // An empty result (such as for `%p` in some locales) is indistinguishable from a full buffer.
        return ""
    }
}
