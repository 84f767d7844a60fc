import Foundation
import RSRCore

/// Cross-checks a decoded manifest against the section table: every reference in range, of the right
/// kind, used once, and of the size its type and shape imply.
struct ManifestCheck {
    let manifest: Manifest
    let sections: [Section]
    let path: String

    /// A name for every section the manifest references.
    func sectionNames() throws -> [Int: String] {
        var names: [Int: String] = [:]
        func claim(_ section: Int, _ kind: SectionKind, _ name: String) throws {
            guard sections.indices.contains(section) else { throw fail("\(name) refers to section \(section), which does not exist") }
            guard sections[section].kind == kind else {
                throw fail("\(name) refers to section \(section), a \(sections[section].kind) section, not a \(kind) one")
            }
            if let other = names[section] { throw fail("\(name) and \(other) both refer to section \(section)") }
            names[section] = name
        }
        if let problem = manifest.model.problem { throw fail("model: \(problem)") }
        for (name, section) in manifest.files.sorted(by: { $0.key < $1.key }) {
            try claim(section, .file, "file \(name)")
        }
        for (name, tensor) in manifest.tensors.sorted(by: { $0.key < $1.key }) {
            try claim(tensor.section, .tensor, "tensor \(name)")
            guard let size = tensor.type.byteCount(shape: tensor.shape), UInt64(size) == sections[tensor.section].size else {
                throw fail("tensor \(name) is \(tensor.type.rawValue) \(tensor.shape), which does not fit its \(sections[tensor.section].size)-byte section")
            }
        }
        for (name, linear) in manifest.linears.sorted(by: { $0.key < $1.key }) {
            guard linear.rows > 0, linear.cols > 0, linear.scale.isFinite, linear.scale != 0 else {
                throw fail("linear \(name) has shape \(linear.rows)x\(linear.cols) and scale \(linear.scale); expected positive sizes and a finite nonzero scale")
            }
            for phase in Phase.allCases where linear.layouts.filter({ $0.phases.contains(phase) }).count != 1 {
                throw fail("linear \(name) must have exactly one layout for \(phase)")
            }
            for layout in linear.layouts {
                try claim(layout.section, .layout, "layout of \(name) (\(layout.kernel))")
            }
            if let bias = linear.bias { try checkVector(bias, length: linear.rows, of: name) }
            if let norm = linear.inputNorm { try checkVector(norm, length: linear.cols, of: name) }
        }
        for (name, linear) in (manifest.integerLinears ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard linear.rows > 0, linear.cols > 0, (1...8).contains(linear.bits), linear.group > 0, linear.scaleType.isFloat else {
                throw fail("integer linear \(name) is \(linear.rows)x\(linear.cols), \(linear.bits) bits in groups of \(linear.group) with \(linear.scaleType.rawValue) scales; expected positive sizes, 1 to 8 bits and float scales")
            }
            if manifest.linears[name] != nil { throw fail("\(name) is both a linear and an integer linear") }
            if linear.packed && ![2, 4, 8].contains(linear.bits) {
                throw fail("integer linear \(name) has packed \(linear.bits)-bit codes; expected 2, 4 or 8 bits")
            }
            try claim(linear.section, .layout, "layout of \(name) (\(linear.packed ? "packed codes" : "bit-planes"))")
            if let bias = linear.bias { try checkVector(bias, length: linear.rows, of: name) }
        }
        return names
    }

    private func checkVector(_ tensor: String, length: Int, of linear: String) throws {
        guard let entry = manifest.tensors[tensor], entry.shape == [length] else {
            throw fail("linear \(linear) refers to tensor \(tensor), which is missing or not of shape [\(length)]")
        }
    }

    private func fail(_ problem: String) -> ModelFileError {
        ModelFileError(path: path, part: "manifest", problem)
    }
}
