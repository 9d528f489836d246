"""What both shard readers check first: the manifest, every shard's size and
SHA-256 (hashlib), and the shard paths in order."""
import hashlib, json


def verified(root):
    """The manifest of the dataset in `root` and its shard paths, every shard checked."""
    with open(f"{root}/manifest.json") as f:
        manifest = json.load(f)
    for shard in manifest["shards"]:
        with open(f"{root}/{shard['file']}", "rb") as f:
            data = f.read()
        assert len(data) == shard["bytes"], shard
        assert hashlib.sha256(data).hexdigest() == shard["sha256"], shard
    return manifest, [f"{root}/{s['file']}" for s in manifest["shards"]]
