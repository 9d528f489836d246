// swift-tools-version:6.0
import PackageDescription

// MARK: - Public API

let package = Package(
  name: "UNetKit",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Raster", targets: ["Raster"]),
    .library(name: "RasterCore", targets: ["RasterCore"]),
    .library(name: "WeightMap", targets: ["WeightMap"]),
    .library(name: "Augment", targets: ["Augment"]),
    .library(name: "AugmentCore", targets: ["AugmentCore"]),
    .library(name: "Shards", targets: ["Shards"]),
    .library(name: "UNet", targets: ["UNet"]),
    .library(name: "Interchange", targets: ["Interchange"]),
    .executable(name: "unet", targets: ["unet"]),
    // Plain C functions over the compute modules (Sources/UNetKitC/include/unetkit.h),
    // for the Python package in python/.
    .library(name: "unetkit", type: .dynamic, targets: ["UNetKitC"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // The compute modules build without the file formats (no libpng,
    // libtiff or libcrypto, no Foundation): RasterCore holds images,
    // volumes and labels, Raster adds their files; AugmentCore holds the
    // augmentation, Augment adds datasets of shards.
    .target(name: "RasterCore", dependencies: ["_Support"]),
    .target(name: "Raster", dependencies: ["_Support", "RasterCore", "CImageSupport"]),
    .target(name: "WeightMap", dependencies: ["_Support", "RasterCore"]),
    .target(name: "AugmentCore", dependencies: ["_Support", "RasterCore", "WeightMap"]),
    .target(name: "Augment", dependencies: ["_Support", "Raster", "AugmentCore", "WeightMap", "Shards"]),
    .target(
      name: "Shards",
      dependencies: ["_Support", "Raster", "WeightMap", "COpenSSL"]),
    .target(name: "UNet", dependencies: ["_Support", "Raster", "WeightMap", "Shards", "CDNNL"]),
    .target(name: "UNetKitC", dependencies: ["_Support", "RasterCore", "WeightMap", "AugmentCore"], exclude: ["include"]),
    .target(name: "Interchange", dependencies: ["_Support", "Raster", "Shards", "UNet", "_ONNXProto"]),
    .executableTarget(
      name: "unet",
      dependencies: [
        "_Support", "Raster", "WeightMap", "Augment", "Shards", "UNet", "Interchange",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Implementation details

    // Plumbing the modules share: atomic file writes, POSIX wrappers and
    // file reading, JSON values, quoting for error messages, SplitMix64.
    // Its public types reach users through the modules whose API uses them.
    .target(name: "_Support"),

    // ONNX's messages (onnx.proto of the onnx package 1.23.2), generated
    // once by protoc with protoc-gen-swift 1.39.0 and checked in; see
    // Sources/_ONNXProto/README.md.
    .target(
      name: "_ONNXProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["README.md"]),

    // System libraries, found through pkg-config.
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
    .systemLibrary(
      name: "CTIFF", pkgConfig: "libtiff-4",
      providers: [.apt(["libtiff-dev"]), .brew(["libtiff"])]),
    // OpenSSL's libcrypto: SHA-256 for shards and manifests.
    .systemLibrary(
      name: "COpenSSL", pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
    // oneDNN's C API; Debian ships no pkg-config file for it.
    .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
    // The few C functions that must not be Swift: libpng's setjmp error
    // handling and libtiff's variadic field and error-handler calls.
    .target(name: "CImageSupport", dependencies: ["CPNG", "CTIFF"]),

    // What every test target shares: running a child process and Python
    // (both pipes read at once), temporary folders, the package's fixture
    // folders and the shared datasets, and the `.slow` tag. Not API.
    .target(name: "_TestSupport", path: "Tests/_TestSupport"),

    .testTarget(name: "SupportTests", dependencies: ["_Support", "_TestSupport"]),
    .testTarget(name: "RasterTests", dependencies: ["Raster", "_TestSupport"]),
    .testTarget(name: "WeightMapTests", dependencies: ["WeightMap", "Raster", "_TestSupport"]),
    .testTarget(name: "AugmentTests", dependencies: ["Augment", "AugmentCore", "Raster", "WeightMap", "Shards", "_TestSupport"]),
    .testTarget(name: "ShardsTests", dependencies: ["Shards", "Raster", "WeightMap", "_TestSupport"]),
    .testTarget(name: "UNetTests", dependencies: ["UNet", "Raster", "Shards", "_TestSupport"]),
    .testTarget(
      name: "UnetCLITests", dependencies: ["Raster", "WeightMap", "Augment", "Shards", "UNet", "_TestSupport"]),
    .testTarget(name: "InterchangeTests", dependencies: ["Interchange", "UNet", "_ONNXProto", "_TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
