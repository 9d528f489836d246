// swift-tools-version:6.0
import PackageDescription

// Benchmarks live in their own package so that users of UNetKit never build
// them. Run the scripts beside this file, not this package directly.
let package = Package(
  name: "UNetKitBenchmarks",
  dependencies: [.package(name: "UNetKit", path: "..")],
  targets: [
    .target(name: "BenchSupport"),
    .executableTarget(
      name: "weightmap-bench",
      dependencies: [
        "BenchSupport",
        .product(name: "Raster", package: "UNetKit"),
        .product(name: "WeightMap", package: "UNetKit"),
      ]),
    .executableTarget(
      name: "augment-bench",
      dependencies: [
        "BenchSupport",
        .product(name: "Augment", package: "UNetKit"),
        .product(name: "Raster", package: "UNetKit"),
        .product(name: "WeightMap", package: "UNetKit"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
