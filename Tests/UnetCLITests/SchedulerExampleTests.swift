import Foundation
import Testing
import _TestSupport

/// examples/slurm: the job-array script and the Kubernetes indexed Job,
/// run here as the scheduler would run them (all tasks at once, each with
/// its array variables), must give the dataset of one `unet augment`
/// process, byte for byte.
@Suite(.slow) struct SchedulerExampleTests {
  let dir = makeTemporaryDirectory()
  static let examples = packageRoot + "/examples/slurm"

  /// The dataset's settings, shared by every run.
  static let samples = 7, perShard = 2, seed = 11

  /// Sources under DIR/data/sources (where the Kubernetes Job expects them)
  /// and the reference: the dataset of one `unet augment` process.
  func prepare() throws -> [String: [UInt8]] {
    let sources = dir + "/data/sources"
    #expect(try unet(["synth", "--out", sources, "--count", "2", "--size", "48x40", "--seed", "5", "--cells", "6"]).status == 0)
    let r = try unet([
      "augment", "--images", sources + "/images", "--labels", sources + "/labels", "--out", dir + "/single",
      "--samples", String(Self.samples), "--per-shard", String(Self.perShard), "--seed", String(Self.seed),
      "--jobs", "1",
    ])
    try #require(r.status == 0, "\(r.stderr)")
    return files(dir + "/single")
  }

  func files(_ path: String) -> [String: [UInt8]] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return Dictionary(uniqueKeysWithValues: names.map { ($0, read(path + "/" + $0)) })
  }

  /// Checks that `path` holds the reference's files with the same bytes,
  /// and besides them only the partial manifests of `partitions` partitions.
  func expectEqual(_ path: String, _ single: [String: [UInt8]], partitions: Int) {
    var merged = files(path)
    let partials = (0..<partitions).map { String(format: "manifest.part-%04d-of-%04d.json", $0, partitions) }
    #expect(Set(merged.keys).subtracting(single.keys) == Set(partials))
    merged = merged.filter { !partials.contains($0.key) }
    #expect(Set(merged.keys) == Set(single.keys))
    for (name, bytes) in single.sorted(by: { $0.key < $1.key }) {
      #expect(merged[name] == bytes, "\(path)/\(name) differs from the single run's")
    }
    #expect(single.keys.contains("manifest.json") && single.keys.filter { $0.hasSuffix(".tar") }.count == 4)
  }

  @Test func slurmArrayEqualsOneProcess() throws {
    let single = try prepare()
    let script = Self.examples + "/augment-array.sh"
    let settings = [
      "UNET": unetExecutable, "IMAGES": dir + "/data/sources/images", "LABELS": dir + "/data/sources/labels",
      "OUT": dir + "/array", "SAMPLES": String(Self.samples), "PER_SHARD": String(Self.perShard),
      "SEED": String(Self.seed), "SLURM_CPUS_PER_TASK": "1",
    ]
    // sbatch --array=0-2: three tasks at once, with the variables Slurm sets.
    let n = 3
    let tasks = try (0..<n).map { task in
      try ScriptProcess(
        script, [],
        environment: settings.merging([
          "SLURM_ARRAY_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": String(task), "SLURM_ARRAY_TASK_MIN": "0",
          "SLURM_ARRAY_TASK_MAX": String(n - 1), "SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": String(n),
        ]) { $1 }, log: dir + "/task-\(task).log")
    }
    for (task, process) in tasks.enumerated() {
      let (status, output) = process.wait()
      #expect(status == 0, "task \(task): \(output)")
      #expect(output.contains("(partition \(task) of \(n))"), "task \(task): \(output)")
    }
    #expect(files(dir + "/array")["manifest.json"] == nil)
    // The dependent job.
    let (status, output) = try ScriptProcess(script, ["merge"], environment: settings, log: dir + "/merge.log").wait()
    #expect(status == 0, "\(output)")
    #expect(output.contains("4 shards verified, 7 samples"), "\(output)")
    expectEqual(dir + "/array", single, partitions: n)

    // Without array variables the script writes the same dataset in one process.
    let whole = try ScriptProcess(script, [], environment: settings.merging(["OUT": dir + "/whole"]) { $1 }, log: dir + "/whole.log")
      .wait()
    #expect(whole.status == 0, "\(whole.output)")
    #expect(files(dir + "/whole") == single)
  }

  /// The commands of augment-job.yaml, run by /bin/sh as its containers do:
  /// the indexed Job's pods at once with JOB_COMPLETION_INDEX, then the merge.
  @Test func kubernetesIndexedJobEqualsOneProcess() throws {
    let single = try prepare()
    let yaml = try String(contentsOfFile: Self.examples + "/augment-job.yaml", encoding: .utf8)
    #expect(yaml.contains("completionMode: Indexed"))
    // NUM_SHARDS must match completions.
    let completions = yaml.firstMatch(of: /\n\s*completions:\s*(\d+)/).map { String($0.1) }
    let numShards = yaml.firstMatch(of: /name: NUM_SHARDS, value: "(\d+)"/).map { String($0.1) }
    #expect(completions != nil && completions == numShards)

    let blocks = literalBlocks(yaml)
    let augment = try #require(blocks.first { $0.contains("unet augment") })
    let merge = try #require(blocks.first { $0.contains("unet manifest merge") })
    let n = 3
    let unetFolder = URL(fileURLWithPath: unetExecutable).deletingLastPathComponent().path
    let settings = [
      "DATA": dir + "/data", "NUM_SHARDS": String(n), "SAMPLES": String(Self.samples),
      "PER_SHARD": String(Self.perShard), "SEED": String(Self.seed), "JOBS": "1",
      "PATH": unetFolder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
    ]
    let pods = try (0..<n).map { index in
      try ScriptProcess(
        "/bin/sh", ["-c", augment], environment: settings.merging(["JOB_COMPLETION_INDEX": String(index)]) { $1 },
        log: dir + "/pod-\(index).log")
    }
    for (index, pod) in pods.enumerated() {
      let (status, output) = pod.wait()
      #expect(status == 0, "pod \(index): \(output)")
      #expect(output.contains("(partition \(index) of \(n))"), "pod \(index): \(output)")
    }
    let (status, output) = try ScriptProcess("/bin/sh", ["-c", merge], environment: settings, log: dir + "/merge.log").wait()
    #expect(status == 0, "\(output)")
    expectEqual(dir + "/data/shards", single, partitions: n)
  }
}

/// The literal block scalars (`- |` or `key: |`) of a YAML text, each
/// without its indentation: the shell commands of augment-job.yaml.
func literalBlocks(_ yaml: String) -> [String] {
  let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
  var blocks: [String] = []
  var i = 0
  while i < lines.count {
    let header = lines[i].trimmingCharacters(in: .whitespaces)
    i += 1
    guard header == "- |" || header.hasSuffix(": |"), i < lines.count else { continue }
    let indent = indentation(lines[i])
    guard indent > indentation(lines[i - 1]) else { continue }
    var body: [String] = []
    while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).isEmpty || indentation(lines[i]) >= indent {
      body.append(String(lines[i].dropFirst(min(indent, indentation(lines[i])))))
      i += 1
    }
    blocks.append(body.joined(separator: "\n"))
  }
  return blocks
}

/// A program started in the background, its output going to a log file,
/// with the environment of the tests less any scheduler variables of the
/// machine running them, plus `environment`.
struct ScriptProcess {
  let process = Process()
  let log: String

  init(_ executable: String, _ arguments: [String], environment: [String: String], log: String) throws {
    self.log = log
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment
      .filter { !$0.key.hasPrefix("SLURM_") && $0.key != "JOB_COMPLETION_INDEX" }
      .merging(environment) { $1 }
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    try handle.close()  // the child holds its own descriptor
  }

  /// Waits for the program to end: its exit status and output.
  func wait() -> (status: Int32, output: String) {
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: read(log), as: UTF8.self))
  }
}
