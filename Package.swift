// swift-tools-version:6.0
import PackageDescription

// MARK: - Public API

let package = Package(
  name: "UNetKit",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Raster", targets: ["Raster"]),
    .library(name: "WeightMap", targets: ["WeightMap"]),
    .library(name: "Augment", targets: ["Augment"]),
    .library(name: "Shards", targets: ["Shards"]),
    .library(name: "UNet", targets: ["UNet"]),
    .library(name: "Interchange", targets: ["Interchange"]),
    .executable(name: "unet", targets: ["unet"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    .target(name: "Raster", dependencies: ["_Support", "CImageSupport"]),
    .target(name: "WeightMap", dependencies: ["_Support", "Raster"]),
    .target(name: "Augment", dependencies: ["_Support", "Raster", "WeightMap", "Shards"]),
    .target(
      name: "Shards",
      dependencies: ["_Support", "Raster", "COpenSSL"]),
    .target(name: "UNet", dependencies: ["_Support", "Raster", "WeightMap", "Shards", "CDNNL"]),
    .target(name: "Interchange", dependencies: ["_Support", "Raster", "UNet", "_ONNXProto"]),
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

    .testTarget(name: "SupportTests", dependencies: ["_Support"]),
    .testTarget(name: "RasterTests", dependencies: ["Raster"]),
    .testTarget(name: "WeightMapTests", dependencies: ["WeightMap", "Raster"]),
    .testTarget(name: "AugmentTests", dependencies: ["Augment", "Raster", "WeightMap", "Shards"]),
    .testTarget(name: "ShardsTests", dependencies: ["Shards", "Raster"]),
    .testTarget(name: "UNetTests", dependencies: ["UNet", "Raster", "Shards"]),
    .testTarget(name: "UnetCLITests", dependencies: ["Raster", "WeightMap", "Augment", "Shards", "UNet"]),
    .testTarget(name: "InterchangeTests", dependencies: ["Interchange", "UNet", "_ONNXProto"]),
  ],
  swiftLanguageModes: [.v6]
)
