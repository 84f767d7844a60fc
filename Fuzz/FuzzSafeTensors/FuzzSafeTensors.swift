import FileIO
import FuzzSupport
import SafeTensors

/// A safetensors file as the converter reads it: the header and its tensor table, then every tensor's
/// bytes, and its values where the dtype is a float type.
@main enum FuzzSafeTensors {
    static func main() {
        FuzzDriver.run { input in
            let file = try SafeTensorsFile(mapped: try MappedFile(path: FuzzDriver.writeScratch(input)))
            var total = 0
            for name in file.tensorNames {
                guard let info = file.info(name) else { fatalError("tensor \(name) is listed but has no info") }
                let tensor = try file.tensor(name)
                precondition(tensor.bytes.count == info.byteCount && info.elementCount * info.dtype.size == info.byteCount)
                total &+= tensor.byteArray.count
                if info.dtype.isFloat {
                    let values = try tensor.floats()
                    precondition(values.count == info.elementCount)
                    if info.elementCount > 1 { _ = try tensor.floats(in: 1..<info.elementCount) }
                }
            }
            _ = file.metadata.count
        }
    }
}
