import Foundation
import Testing

/// The Python the tests check the package's files with:
/// `$UNETKIT_PYTHON`, else the package's `.venv-test/bin/python` (which
/// scripts/test.sh creates with numpy, Pillow, webdataset, safetensors, scipy
/// and torch), else `python3` on PATH; nil when there is none.
public let pythonExecutable: String? = {
  if let named = ProcessInfo.processInfo.environment["UNETKIT_PYTHON"], !named.isEmpty { return named }
  let venv = packageRoot + "/.venv-test/bin/python"
  return FileManager.default.isExecutableFile(atPath: venv) ? venv : executableOnPath("python3")
}()

/// No Python was found: a test failure, not a skip.
public struct PythonNotFound: Error, CustomStringConvertible {
  public var description: String {
    "no Python: set UNETKIT_PYTHON, create .venv-test with scripts/test.sh, or put python3 on PATH"
  }
}

/// Runs ``pythonExecutable`` with `arguments` (`["-c", SCRIPT, ARG…]` or
/// `[PATH.py, ARG…]`) and collects its exit status and output; both pipes
/// are read at once (see ``run(_:_:cwd:environment:)``).
public func runPython(_ arguments: [String]) throws -> RunResult {
  guard let python = pythonExecutable else { throw PythonNotFound() }
  return try run(python, arguments)
}

/// A Python that imports `modules`, for the tests that check UNetKit's
/// files with Python packages. `$UNETKIT_TORCH_PYTHON` names one (used as
/// it is: when its imports fail, the tests fail and say why, as in CI);
/// otherwise the first of .venv-test/bin/python and python3 on PATH whose
/// imports work. scripts/test.sh installs every package into .venv-test and
/// CI names it; elsewhere, without them, the suites that need them are
/// skipped, and the skip and its reason show in the test output.
public struct ModulePython: Sendable {
  /// The modules, as an import statement lists them.
  public let modules: String
  /// The command that starts it (executable and leading arguments), or nil.
  public let command: [String]?

  public init(_ modules: String, for suites: String) {
    self.modules = modules
    if let named = ProcessInfo.processInfo.environment["UNETKIT_TORCH_PYTHON"] {
      command = [named]
      return
    }
    let candidates = [packageRoot + "/.venv-test/bin/python", executableOnPath("python3")].compactMap { $0 }
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
      if let probe = try? run(candidate, ["-c", "import \(modules)"]), probe.status == 0 {
        command = [candidate]
        return
      }
    }
    print("\(suites): skipped: neither .venv-test/bin/python nor python3 imports \(modules); set UNETKIT_TORCH_PYTHON")
    command = nil
  }

  /// Whether ``command`` was found: the condition of the suites that need it.
  public var isAvailable: Bool { command != nil }

  /// Runs the Python with `arguments`.
  public func python(_ arguments: [String]) throws -> RunResult {
    let command = try #require(command)
    return try run(command[0], Array(command.dropFirst()) + arguments)
  }

  /// Fails the test unless the Python imports ``modules``.
  public func checkImports() throws {
    let probe = try python(["-c", "import \(modules)"])
    try #require(probe.status == 0, "\(command ?? []) cannot import \(modules): \(probe.stderr)")
  }
}

/// The Python that runs examples/pytorch.
public let torchPython = ModulePython("torch, numpy, safetensors, webdataset, PIL", for: "the PyTorch tests")
