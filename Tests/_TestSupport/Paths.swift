import Foundation
import Testing

/// The package's root folder (the one holding Package.swift).
public let packageRoot: String = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The `unet` executable built beside this test bundle (override: UNET_BIN).
public let unetExecutable: String = {
  if let path = ProcessInfo.processInfo.environment["UNET_BIN"] { return path }
  let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
  return bundle.deletingLastPathComponent().appendingPathComponent("unet").path
}()

/// `Tests/Fixtures`: files that older versions wrote, kept to read back.
public let fixturesFolder = packageRoot + "/Tests/Fixtures"

/// `Tests/python`: the Python scripts the tests run.
public let pythonScriptsFolder = packageRoot + "/Tests/python"

/// The shared datasets (isbi2012/, dsb2018-sample/): `$UNETKIT_DATASETS`,
/// else `../shared/datasets` beside the package.
public let datasetsRoot: String = {
  if let root = ProcessInfo.processInfo.environment["UNETKIT_DATASETS"], !root.isEmpty { return root }
  return URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
    .appendingPathComponent("shared/datasets").standardizedFileURL.path
}()

/// The path of `relative` under ``datasetsRoot``; a test failure, not a
/// skip, when it is missing.
public func datasetPath(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
  try #require(
    FileManager.default.fileExists(atPath: datasetsRoot),
    "datasets folder \(datasetsRoot) is missing: set UNETKIT_DATASETS to the folder holding isbi2012/ and dsb2018-sample/",
    sourceLocation: sourceLocation)
  let path = datasetsRoot + "/" + relative
  try #require(FileManager.default.fileExists(atPath: path), "dataset file \(path) is missing", sourceLocation: sourceLocation)
  return path
}

/// A fresh empty folder under the system's temporary folder, its name
/// starting with `unetkit-test-` and `label` (by default the calling
/// function's name, letters and digits only). Tests leave their folders
/// behind for inspection.
public func makeTemporaryDirectory(_ label: String = #function) -> String {
  let name = "unetkit-test-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)"
  let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
  do {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  } catch {
    fatalError("cannot create the temporary folder \(path): \(error)")
  }
  return path
}
