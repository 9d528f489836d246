import Testing

@testable import Shards

@Suite("Shard plan arithmetic and partitions")
struct PlanTests {
  @Test func divisible() throws {
    let plan = try ShardPlan(name: "train", totalSamples: 12, samplesPerShard: 4)
    #expect(plan.shardCount == 3)
    #expect((0..<3).map(plan.sampleRange(ofShard:)) == [0..<4, 4..<8, 8..<12])
  }

  @Test func notDivisible() throws {
    let plan = try ShardPlan(name: "train", totalSamples: 10, samplesPerShard: 4)
    #expect(plan.shardCount == 3)
    #expect(plan.sampleRange(ofShard: 2) == 8..<10)
    #expect(plan.shard(containingSample: 9) == 2)
    #expect(plan.shard(containingSample: 4) == 1)
  }

  @Test func fewerSamplesThanAShard() throws {
    let plan = try ShardPlan(name: "val", totalSamples: 3, samplesPerShard: 100)
    #expect(plan.shardCount == 1)
    #expect(plan.sampleRange(ofShard: 0) == 0..<3)
    #expect(try ShardPlan(name: "e", totalSamples: 0, samplesPerShard: 5).shardCount == 0)
  }

  @Test func rangesCoverEverySampleOnce() throws {
    for n in [0, 1, 7, 64, 100, 101] {
      for m in [1, 3, 8, 100, 1000] {
        let plan = try ShardPlan(name: "d", totalSamples: n, samplesPerShard: m)
        let all = (0..<plan.shardCount).flatMap { Array(plan.sampleRange(ofShard: $0)) }
        #expect(all == Array(0..<n), "N=\(n) M=\(m)")
        #expect((0..<plan.shardCount).allSatisfy { plan.sampleRange(ofShard: $0).count == m || $0 == plan.shardCount - 1 })
        for sample in 0..<n { #expect(plan.sampleRange(ofShard: plan.shard(containingSample: sample)).contains(sample)) }
      }
    }
  }

  @Test func fileNames() throws {
    let plan = try ShardPlan(name: "train", totalSamples: 10, samplesPerShard: 1)
    #expect(plan.fileName(ofShard: 0) == "train-000000.tar")
    #expect(plan.fileName(ofShard: 42) == "train-000042.tar")
    #expect(plan.fileName(ofShard: 1_234_567) == "train-1234567.tar")
  }

  @Test func invalidPlans() throws {
    for (name, n, m) in [("", 1, 1), ("a/b", 1, 1), (".x", 1, 1), ("a b", 1, 1), ("ok", -1, 1), ("ok", 1, 0)] {
      let error = try expectShardError { _ = try ShardPlan(name: name, totalSamples: n, samplesPerShard: m) }
      #expect(error.code == .invalidPlan)
    }
  }

  @Test func partitionsCoverEveryShardOnce() throws {
    for shards in [0, 1, 5, 16, 17] {
      let plan = try ShardPlan(name: "d", totalSamples: shards * 2, samplesPerShard: 2)
      for count in [1, 2, 3, 8, 20] {
        var owners = [Int](repeating: 0, count: shards)
        for index in 0..<count {
          let partition = try Partition(index: index, count: count)
          for s in plan.shards(ownedBy: partition) {
            owners[s] += 1
            #expect(partition.owns(shard: s) && s % count == index)
          }
        }
        #expect(owners.allSatisfy { $0 == 1 }, "shards \(shards), partitions \(count)")
      }
    }
  }

  @Test func partitionFileName() throws {
    #expect(try Partition(index: 3, count: 8).manifestFileName == "manifest.part-0003-of-0008.json")
    #expect(Partition.whole.manifestFileName == "manifest.part-0000-of-0001.json")
    #expect(try Partition(index: 12_345, count: 20_000).manifestFileName == "manifest.part-12345-of-20000.json")
    #expect(Manifest.isPartialFileName("manifest.part-0003-of-0008.json"))
    #expect(!Manifest.isPartialFileName("manifest.json"))
    #expect(!Manifest.isPartialFileName("manifest.part-x-of-0008.json"))
    #expect(!Manifest.isPartialFileName(".manifest.part-0003-of-0008.json.1.2.tmp"))
  }

  @Test func invalidPartitions() throws {
    for (index, count) in [(0, 0), (-1, 2), (2, 2)] {
      #expect(try expectShardError { _ = try Partition(index: index, count: count) }.code == .invalidPlan)
    }
  }

  // MARK: - Environment

  func resolve(_ index: Int? = nil, _ count: Int? = nil, _ env: [String: String] = [:]) throws -> Partition {
    try Partition.resolve(shardIndex: index, numShards: count, environment: env)
  }

  func resolveError(_ index: Int? = nil, _ count: Int? = nil, _ env: [String: String] = [:]) throws -> String {
    try expectShardError { _ = try resolve(index, count, env) }.description
  }

  @Test func explicitValuesWin() throws {
    let env = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "8", "JOB_COMPLETION_INDEX": "1"]
    #expect(try resolve(2, 4, env) == Partition(index: 2, count: 4))
    #expect(try resolveError(2, nil).contains("needs --num-shards"))
    #expect(try resolveError(4, 4).contains("outside 0..<4"))
  }

  @Test func nothingMeansTheWholeDataset() throws {
    #expect(try resolve() == .whole)
    #expect(try resolve(nil, 1) == .whole)
    #expect(try resolveError(nil, 4).contains("without --shard-index"))
  }

  @Test func slurm() throws {
    #expect(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"]) == Partition(index: 3, count: 8))
    // --array=1-8: MIN 1, so task 1 is partition 0 and task 8 partition 7.
    let fromOne = ["SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MAX": "8"]
    #expect(try resolve(nil, nil, fromOne.merging(["SLURM_ARRAY_TASK_ID": "1"]) { $1 }) == Partition(index: 0, count: 8))
    #expect(try resolve(nil, nil, fromOne.merging(["SLURM_ARRAY_TASK_ID": "8"]) { $1 }) == Partition(index: 7, count: 8))
    // --array=10-24:2: MIN 10, STEP 2, COUNT 8.
    let stepped = ["SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_STEP": "2",
                   "SLURM_ARRAY_TASK_COUNT": "8"]
    #expect(try resolve(nil, nil, stepped) == Partition(index: 2, count: 8))
    // An explicit count that agrees is fine; one that disagrees is an error.
    #expect(try resolve(nil, 8, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"]) == Partition(index: 3, count: 8))
    #expect(try resolveError(nil, 4, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"]).contains("disagrees"))
    #expect(try resolve(nil, 4, ["SLURM_ARRAY_TASK_ID": "3"]) == Partition(index: 3, count: 4))
    #expect(try resolveError(nil, nil, ["SLURM_ARRAY_TASK_ID": "3"]).contains("SLURM_ARRAY_TASK_COUNT is not"))
    #expect(try resolveError(nil, nil, ["SLURM_ARRAY_TASK_ID": "x3", "SLURM_ARRAY_TASK_COUNT": "8"])
      .contains("SLURM_ARRAY_TASK_ID=\"x3\" is not an integer"))
    #expect(try resolveError(nil, nil, ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "8"]).contains("outside 0..<8"))
    #expect(try resolveError(nil, nil, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"])
      .contains("SLURM_ARRAY_TASK_MIN=1"))
  }

  @Test func kubernetesIndexedJob() throws {
    #expect(try resolve(nil, 6, ["JOB_COMPLETION_INDEX": "5"]) == Partition(index: 5, count: 6))
    #expect(try resolveError(nil, nil, ["JOB_COMPLETION_INDEX": "5"]).contains("give --num-shards"))
    #expect(try resolveError(nil, 5, ["JOB_COMPLETION_INDEX": "5"]).contains("outside 0..<5"))
  }
}
