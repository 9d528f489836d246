// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses, in their own package so that users of UNetKit never
// build them. Each executable defines `LLVMFuzzerTestOneInput` and gets its
// `main` from libFuzzer, so the package builds only with the fuzzer
// sanitizer; run `scripts/fuzz.sh`, not this package directly.
let package = Package(
  name: "UNetKitFuzz",
  dependencies: [.package(name: "UNetKit", path: "..")],
  targets: [
    .target(name: "FuzzSupport"),
    .executableTarget(
      name: "FuzzPNG", dependencies: ["FuzzSupport", .product(name: "Raster", package: "UNetKit")]),
    .executableTarget(
      name: "FuzzTIFF",
      dependencies: ["FuzzSupport", .product(name: "Raster", package: "UNetKit")]),
    .executableTarget(
      name: "FuzzNPY", dependencies: ["FuzzSupport", .product(name: "Raster", package: "UNetKit")]),
    .executableTarget(
      name: "FuzzTar",
      dependencies: ["FuzzSupport", .product(name: "Shards", package: "UNetKit")]),
    .executableTarget(
      name: "FuzzManifest", dependencies: ["FuzzSupport", .product(name: "Shards", package: "UNetKit")]),
  ],
  swiftLanguageModes: [.v6]
)
