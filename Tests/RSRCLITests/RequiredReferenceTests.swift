import Foundation
import TestSupport
import Testing

/// Tests that compare with a reference skip where it is missing. Scripts/test.sh installs every reference
/// and sets RSR_REQUIRE_REFERENCES, and there a missing one fails here instead of silently skipping them.
@Suite(.enabled(if: referencesRequired, "RSR_REQUIRE_REFERENCES is not set")) struct RequiredReferenceTests {
    @Test(arguments: pythonReferenceModules)
    func pythonReferenceIsInstalled(module: String) {
        let result = runPython("import \(module)")
        #expect(result?.status == 0, "python3 cannot import \(module): \(result?.output ?? "python3 did not start")")
    }

    @Test func rsrIsBuiltBesideTheTests() {
        #expect(rsrIsBuilt, "\(rsrExecutable) is missing")
    }
}
