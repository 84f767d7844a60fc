#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// A whole file in memory, read-only: either the file's own pages mapped (read from disk as they are
/// touched, so opening a multi-gigabyte file costs nothing up front), or a private copy read at once into
/// memory that Linux may back with 2 MiB pages. The bytes stay valid while the object lives.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// How the bytes are held.
    public let backing: Backing
    /// What deinit unmaps: the file's size, or the copy's length in whole huge pages.
    private let mappedLength: Int

    public enum Backing: Sendable, Equatable {
        /// The file's pages from the page cache, 4 KiB each.
        case mapped
        /// A private copy, read up front into memory advised for transparent huge pages. A decoded token
        /// streams every weight once: with 4 KiB pages that is a TLB miss every 4 KiB, and the hardware
        /// prefetchers stop at each page's end.
        case resident
        /// `resident` for files large enough to gain from huge pages (over `residentFrom` bytes) that take
        /// at most half of the memory, where the kernel offers huge pages on request; `mapped` otherwise.
        case automatic
    }

    /// Files smaller than this fit the TLB's reach with 4 KiB pages, and stay mapped under `automatic`.
    public static let residentFrom = 32 << 20

    public init(path: String, backing: Backing = .mapped) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileIOError(path: path, operation: "stat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw FileIOError(path: path, operation: "map (not a regular file)", code: EINVAL) }
        let size = Int(info.st_size)
        if size == 0 {
            self.backing = backing == .automatic ? .mapped : backing
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mappedLength = 0
            return
        }
        // automatic falls back to the mapping when the memory for a copy cannot be had
        let wanted = backing == .automatic ? Self.automaticBacking(size: size) : backing
        if wanted == .resident, let copy = try Self.readResident(fd: fd, size: size, path: path, required: backing == .resident) {
            self.backing = .resident
            (bytes, mappedLength) = copy
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw FileIOError(path: path, operation: "mmap")
        }
        self.backing = .mapped
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        mappedLength = size
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }
    }

    static func automaticBacking(size: Int) -> Backing {
        guard size >= residentFrom, size <= Int(min(UInt64(Int.max), physicalMemory / 2)), HugePages.onRequest else { return .mapped }
        return .resident
    }

    private static var physicalMemory: UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? UInt64(pages) * UInt64(pageSize) : 0
    }

    /// Reads the file into anonymous memory aligned to 2 MiB and advised for huge pages, then makes it
    /// read-only. Returns the bytes and the length mapped; nil when the memory cannot be had and a copy is
    /// not `required`.
    private static func readResident(fd: Int32, size: Int, path: String, required: Bool) throws -> (UnsafeRawBufferPointer, Int)? {
        let huge = HugePages.size
        let (total, overflow) = size.addingReportingOverflow(2 * huge)
        guard !overflow, let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            if required { throw FileIOError(path: path, operation: "read into memory", code: overflow ? ENOMEM : errno) }
            return nil
        }
        // keep [base, base + length) on 2 MiB boundaries, and give back the slack on either side
        let start = Int(bitPattern: raw), base = (start + huge - 1) / huge * huge
        let length = (size + huge - 1) / huge * huge
        if base > start { munmap(raw, base - start) }
        if start + total > base + length { munmap(UnsafeMutableRawPointer(bitPattern: base + length), start + total - base - length) }
        let memory = UnsafeMutableRawPointer(bitPattern: base)!
        HugePages.advise(memory, length)
        // Parts in parallel: much of a fresh page's cost is the kernel clearing it, which one core does at a
        // few GB/s (and a virtual machine's host backing it, at first touch, more slowly still).
        let parts = max(1, min(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 8, length / huge))
        let perPart = (length / huge + parts - 1) / parts * huge
        let failure = Mutex<FileIOError?>(nil)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let end = min(size, (part + 1) * perPart)
            var done = min(size, part * perPart)
            while done < end {
                let n = pread(fd, UnsafeMutableRawPointer(bitPattern: base + done), min(end - done, 1 << 30), off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let error = FileIOError(path: path, operation: "read", code: n < 0 ? errno : EIO,
                                            detail: n == 0 ? "the file ended at byte \(done) of \(size)" : nil)
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
                done += n
            }
        }
        if let error = failure.withLock({ $0 }) {
            munmap(memory, length)
            throw error
        }
        mprotect(memory, length, PROT_READ)
        return (UnsafeRawBufferPointer(start: memory, count: size), length)
    }
}

/// Linux's transparent huge pages, as a process may ask for them.
enum HugePages {
    static let size = 2 << 20

    /// Whether `madvise(MADV_HUGEPAGE)` can give a region huge pages: the kernel's setting is "always" or
    /// "madvise", not "never" (or absent).
    static let onRequest: Bool = {
        #if os(Linux)
        guard let file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let setting = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return setting.contains("[always]") || setting.contains("[madvise]")
        #else
        return false
        #endif
    }()

    static func advise(_ memory: UnsafeMutableRawPointer, _ length: Int) {
        #if os(Linux)
        _ = madvise(memory, length, MADV_HUGEPAGE)
        #endif
    }
}
