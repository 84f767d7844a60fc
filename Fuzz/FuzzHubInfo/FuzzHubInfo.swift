import Foundation
import FuzzSupport
#if DEBUG
@testable import Hub
#endif

/// The Hub's answer to `GET /api/models/{repo}/revision/{revision}` (model info: the commit `sha` and the
/// paths listing `siblings[].rfilename`) as `rsr download` treats it: decoded, the sha checked as a commit
/// hash, every path checked as safe, the safe ones matched against the default include patterns and joined
/// into cache paths. Also the ETag and revision checks applied to what the Hub sends back.
///
/// Reaches Hub's internal types through `@testable import`, so it needs a debug build (the fuzz and test
/// builds are); a release build compiles it to a stub.
@main enum FuzzHubInfo {
    static func main() {
        #if DEBUG
        let cache = HubCache(root: "/nonexistent/rsr-fuzz-cache", repo: try! RepoID("owner/model"))
        FuzzDriver.run { input in
            if let text = String(validating: input, as: UTF8.self) {
                _ = HubClient.normalizeEtag(text)
                _ = try? HubDownloader.validate(revision: text)
                _ = HubCache.isCommitHash(text)
            }
            let info = try JSONDecoder().decode(HubClient.RepoInfo.self, from: Data(input))
            guard HubCache.isCommitHash(info.sha) else { return }
            for path in info.siblings.map(\.rfilename) where RepoPath.isSafe(path) {
                if RepoPath.matches(path, include: ["*.json", "*.safetensors", "tokenizer.model"], exclude: ["original/*"]) {
                    _ = try? cache.pointer(info.sha, path)
                }
            }
        }
        #else
        print("FuzzHubInfo needs a debug build (it reaches Hub's internal types)")
        exit(1)
        #endif
    }
}
