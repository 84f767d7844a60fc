import RSRCLI

@main
enum Entry {
    static func main() async { await RSRCommand.main() }
}
