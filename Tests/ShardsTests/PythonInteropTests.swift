import Foundation
import Testing
import _TestSupport

@testable import Shards

/// Python's `tarfile` and `hashlib` as the reference: what we write, Python
/// reads the same; what Python writes, we read the same.
@Suite("Interoperability with Python's tarfile and hashlib")
final class PythonInteropTests {
  let dir: String

  init() throws { dir = makeTemporaryDirectory() }
  deinit { removeDirectory(dir) }

  /// Lists a tar's members with Python: name, size, type, mode, ids, mtime,
  /// owner names and the SHA-256 of the content; and checks with WebDataset's
  /// own key/field split (`base_plus_ext`) how samples group.
  static let listScript = """
    import tarfile, hashlib, json, re, sys
    members = []
    with tarfile.open(sys.argv[1]) as tar:
        for m in tar:
            data = tar.extractfile(m).read()
            members.append({"name": m.name, "size": m.size, "type": m.type.decode(), "mode": m.mode,
                            "uid": m.uid, "gid": m.gid, "mtime": m.mtime, "uname": m.uname,
                            "gname": m.gname, "sha256": hashlib.sha256(data).hexdigest()})
    keys = []
    for m in members:
        match = re.match(r"^((?:.*/|)[^.]+)[.]([^/]*)$", m["name"])
        key = match.group(1) if match else None
        if not keys or keys[-1] != key:
            keys.append(key)
    print(json.dumps({"members": members, "keys": keys}))
    """

  @Test func pythonReadsOurTar() throws {
    let entries = TarTests.entries + [TarEntry(name: "s1.image.npy", data: pseudoRandomBytes(70_000, seed: 9))]
    let path = dir + "/ours.tar"
    try writeFile(try TarWriter.archive(entries, mtime: 1_600_000_000), to: path)
    let listed = try pythonJSON(Self.listScript, [path])
    guard case .array(let members) = try #require(listed["members"]) else { Issue.record("no members"); return }
    #expect(members.count == entries.count)
    for (member, entry) in zip(members, entries) {
      #expect(member["name"] == .string(entry.name))
      #expect(member["size"] == .int(Int64(entry.size)))
      #expect(member["sha256"] == .string(sha256Hex(entry.data)))
      #expect(member["type"] == "0")
      #expect(member["mode"] == .int(0o644))
      #expect(member["uid"] == 0 && member["gid"] == 0)
      #expect(member["mtime"] == 1_600_000_000)
      #expect(member["uname"] == "" && member["gname"] == "")
    }
  }

  @Test func pythonReadsOurShardAsWebDatasetSamples() throws {
    let samples = try (0..<5).map { i in
      try ShardSample(key: String(format: "%06d", i), [
        "image.npy": pseudoRandomBytes(100 + i, seed: UInt64(i)),
        "mask.png": pseudoRandomBytes(50, seed: UInt64(100 + i)),
        "json": Array("{\"i\": \(i)}".utf8),
      ])
    }
    let path = dir + "/train-000000.tar"
    let info = try ShardWriter.write(samples, to: path, index: 0)
    let listed = try pythonJSON(Self.listScript, [path])
    #expect(listed["keys"] == .array(samples.map { .string($0.key) }))
    guard case .array(let members) = try #require(listed["members"]) else { return }
    #expect(members.map { $0["name"] } == samples.flatMap(\.entryNames).map { .string($0) })

    // The streamed SHA-256 is hashlib's over the file.
    let digest = try runPython(
      ["-c", "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())", path])
    #expect(digest.status == 0)
    #expect(digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == info.sha256)
    #expect(info.bytes == (try readFile(path)).count)
  }

  @Test func weReadPythonsUstarTar() throws {
    let path = dir + "/python.tar"
    let script = """
      import tarfile, hashlib, io, json, random, sys
      random.seed(7)
      names = ["a.txt", "empty", "k.image.npy", "d/e/f.bin",
               "p" * 120 + "/" + "q" * 90, "x" * 100]
      sizes = [6, 0, 511, 512, 513, 70000]
      out = []
      with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as tar:
          for name, size in zip(names, sizes):
              data = bytes(random.getrandbits(8) for _ in range(size))
              info = tarfile.TarInfo(name)
              info.size = size
              info.mtime = 1234567890
              info.uname = "someone"
              tar.addfile(info, io.BytesIO(data))
              out.append({"name": name, "size": size, "sha256": hashlib.sha256(data).hexdigest()})
      print(json.dumps(out))
      """
    guard case .array(let expected) = try pythonJSON(script, [path]) else { Issue.record("bad output"); return }
    // Python pads the archive to a 10 KiB record; the reader stops at the marker.
    #expect((try readFile(path)).count % 10240 == 0)
    let reader = try TarReader(path: path)
    var read: [JSONValue] = []
    try reader.forEach { entry in
      read.append(["name": .string(entry.name), "size": .int(Int64(entry.size)), "sha256": .string(sha256Hex(entry.data))])
    }
    #expect(read == expected)
  }

  @Test func weReadPythonsDefaultPaxTarOfPlainEntries() throws {
    // Python's default format (pax) writes plain ustar headers for short
    // ASCII names and small sizes: readable. A long name needs a pax
    // header, which the reader rejects as not a regular file.
    let plain = dir + "/pax-plain.tar"
    let long = dir + "/pax-long.tar"
    let script = """
      import tarfile, io, sys
      def make(path, name):
          with tarfile.open(path, "w") as tar:
              info = tarfile.TarInfo(name)
              info.size = 3
              tar.addfile(info, io.BytesIO(b"abc"))
      make(sys.argv[1], "k.txt")
      make(sys.argv[2], "n" * 300)
      """
    let result = try runPython(["-c", script, plain, long])
    try #require(result.status == 0, "\(result.stderr)")
    let reader = try TarReader(path: plain)
    #expect(try reader.next() == TarEntry(name: "k.txt", data: Array("abc".utf8)))
    #expect(try reader.next() == nil)
    let error = try expectShardError { _ = try TarReader(path: long).next() }
    #expect(error.code == .unsupportedEntryType && error.description.contains("pax extended header"))
  }
}
