import ArgumentParser
import Foundation
import Hub

struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a model repository from the Hugging Face Hub into the shared cache.",
        discussion: """
            Files go to the cache huggingface_hub uses (HF_HUB_CACHE, else $HF_HOME/hub, else \
            ~/.cache/huggingface/hub), so Python tools see them and vice versa. The endpoint comes from \
            HF_ENDPOINT, the token from HF_TOKEN (or HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, $HF_HOME/token); \
            HF_HUB_OFFLINE=1 answers from the cache alone. Interrupted downloads resume. The last line printed \
            is the snapshot directory.
            """
    )

    @Argument(help: "Repository id, e.g. microsoft/bitnet-b1.58-2B-4T.")
    var repoID: String

    @Option(help: "Branch, tag or commit hash.")
    var revision = "main"

    @Option(name: .customLong("include"), help: ArgumentHelp(
        "Glob of files to download; repeatable.",
        discussion: "Default: \(DownloadRequest.defaultInclude.joined(separator: " "))"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: "Glob of files to skip; repeatable.")
    var exclude: [String] = []

    @Option(help: "Cache directory instead of the default.")
    var cacheDir: String?

    @Option(help: "Download into this folder instead of the cache.")
    var localDir: String?

    @Flag(help: "Print only the snapshot directory.")
    var quiet = false

    func run() throws {
        var request = DownloadRequest(repo: repoID)
        request.revision = revision
        if !include.isEmpty { request.include = include }
        request.exclude = exclude
        request.cacheDirectory = cacheDir
        request.localDirectory = localDir
        let downloader = HubDownloader(configuration: .fromEnvironment())
        let path = try downloader.download(request, progress: DownloadProgress(enabled: !quiet))
        print(path)
    }
}
