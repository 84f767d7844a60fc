/// rsr's version, printed by `rsr --version` and recorded in the files it writes.
public enum RSRVersion {
    public static let current = "0.1.0"
}
