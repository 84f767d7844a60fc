import ArgumentParser
import Console
import FileIO
import Foundation
import Hub
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors

/// Where `rsr generate` and `rsr bench generate` get a model file: a model file as given; a Hub-layout
/// directory or a repo id, converted once into a cache of model files and reused.
struct ModelSource {
    let argument: String
    var kernel: KernelPolicy = .auto
    var embeddings: EmbeddingFormat = .stored
    var revision = "main"
    var quiet = false
    /// How the model file's bytes are held (`--mmap`: mapped).
    var backing: MappedFile.Backing = .automatic

    /// The cache of converted models: RSR_CACHE, else $XDG_CACHE_HOME/rsr, else ~/.cache/rsr.
    static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["RSR_CACHE"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return Path.join(xdg, "rsr") }
        return Path.join(env["HOME"] ?? "/tmp", ".cache", "rsr")
    }

    func open() throws -> ModelFile {
        if Path.exists(argument) && !Path.isDirectory(argument) { return try ModelFile(path: argument, backing: backing) }
        if Path.isDirectory(argument) {
            let key = Self.hash(Path.absolute(argument) + "|" + RSRVersion.current + "|" + Self.stamp(directory: argument))
            return try cached(directory: argument, at: Path.join(Self.cacheDirectory, "local", "\(key)-\(variant).rsr"), repo: nil, commit: nil)
        }
        if Self.looksLikePath(argument) {
            throw ValidationError("MODEL '\(argument)': no such file or directory.")
        }
        guard argument.contains("/"), (try? RepoID(argument)) != nil else {
            throw ValidationError("MODEL '\(argument)' is neither a model file, a model directory nor a Hub repo id (owner/name).")
        }
        var request = DownloadRequest(repo: argument)
        request.revision = revision
        let snapshot = try HubDownloader(configuration: .fromEnvironment()).download(request, progress: DownloadProgress(enabled: !quiet))
        let commit = Path.lastComponent(of: snapshot)
        let name = argument.replacingOccurrences(of: "/", with: "--")
        return try cached(directory: snapshot, at: Path.join(Self.cacheDirectory, "models", name, "\(commit)-\(variant).rsr"),
                          repo: argument, commit: commit)
    }

    /// The conversion options that change the file.
    private var variant: String { "\(kernel.rawValue)-\(embeddings.rawValue)" }

    private func cached(directory: String, at path: String, repo: String?, commit: String?) throws -> ModelFile {
        if Path.exists(path), let file = try? ModelFile(path: path, backing: backing) { return file }
        try Path.makeDirectories(Path.directory(of: path))
        var options = ConvertOptions()
        options.kernel = kernel
        options.embeddings = embeddings
        options.overwrite = true
        options.repo = repo
        options.revision = commit
        if !quiet { FileHandle.standardError.write(Data("converting \(directory) into \(path) (once)\n".utf8)) }
        let converter = try Converter(directory: directory, options: options)
        let bar = ProgressBar(enabled: !quiet, label: "Converting", unit: .items("steps"))
        let summary = try converter.convert(to: path) { done, total in bar.update(done: Double(done), total: Double(total)) }
        bar.finish(always: false)
        if !quiet { summary.warnings.forEach { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) } }
        return try ModelFile(path: path, backing: backing)
    }

    /// FNV-1a of a string, as 16 hex digits: a short stable cache key.
    /// Name, size and modification time of every file at the top of a model directory (what conversion
    /// reads), so that a changed config, tokenizer or shard converts again.
    private static func stamp(directory: String) -> String {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().map { name in
            let path = Path.join(directory, name)
            return "\(name):\(Path.fileSize(path) ?? -1):\(Path.modificationTime(path) ?? 0)"
        }.joined(separator: "|")
    }

    /// An argument that names a file, never a repo id: a model file's extension, or an explicit path.
    private static func looksLikePath(_ argument: String) -> Bool {
        argument.hasSuffix(".rsr") || argument.hasPrefix("/") || argument.hasPrefix("./") || argument.hasPrefix("../")
            || argument.hasPrefix("~")
    }

    private static func hash(_ s: String) -> String {
        String(s.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }, radix: 16)
    }
}
