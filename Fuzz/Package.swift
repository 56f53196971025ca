// swift-tools-version:6.2
// libFuzzer targets for Conclave's parsers of untrusted input. Built only by scripts/fuzz (see
// README.md here), never by the root package's `swift build`:
//
//   swift build --package-path Fuzz --scratch-path Fuzz/.build \
//       --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//
// Each target links the production modules through the root package's library products, so
// what is fuzzed is the code the server runs, not a copy.
import PackageDescription

// A path dependency's package identity is its directory's name, which depends on where the
// repository was cloned; `.product(package:)` must name that identity.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "conclave"

let package = Package(
    name: "conclave-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FuzzJWT",
            dependencies: [.product(name: "ConclaveSecurity", package: root)]
        ),
        .executableTarget(
            name: "FuzzRealtimeFrame",
            dependencies: [
                .product(name: "ConclaveCore", package: root),
                .product(name: "ConclaveSecurity", package: root),
            ]
        ),
        .executableTarget(
            name: "FuzzWebAuthn",
            dependencies: [.product(name: "ConclaveSecurity", package: root)]
        ),
    ]
)
