#!/usr/bin/env bash
# Connected components against the seeded watershed (unet predict
# --instances), with small, briefly trained models, scored by unet eval
# beside the raw probabilities:
#
# - ISBI 2012: sections 0-19 train (15-19 also validate, to choose the
#   run's threshold; that is training data, not the test), sections 20-24
#   are the test.
# - dsb2018: the one nuclei image, cut in halves: the left half (x < 256)
#   trains, the right half is the test.
#
# The models are small and short-trained, so the numbers are indicative;
# docs/instances.md has them with the machine and the times.
#
#   examples/instances.sh
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), OUT (default
# out/instances), ISBI_STEPS (default 400), DSB_STEPS (default 400),
# THREADS (default: all cores). Needs python3 with numpy (to cut the dsb
# image in halves).
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${UNETKIT_DATASETS:-../shared/datasets}
out=${OUT:-out/instances}
isbi_steps=${ISBI_STEPS:-400}
dsb_steps=${DSB_STEPS:-400}
threads=${THREADS:+--threads $THREADS}

scripts/setup.sh
swift build -c release --product unet >/dev/null
unet=$(swift build -c release --show-bin-path)/unet
mkdir -p "$out"

# Predicts the test images with the run's threshold three times (components,
# watershed with distance seeds, watershed with probability seeds) and
# scores each: NAME/eval-METHOD.json.
predict_and_score() {
  local name=$1 images=$2 labels=$3
  for method in components distance probability; do
    local options=()
    [ "$method" = components ] || options=(--instances watershed --seeds "$method")
    "$unet" predict --model "$out/$name/run" "$images" --out "$out/$name/pred-$method" "${options[@]}"
    "$unet" eval --pred "$out/$name/pred-$method" --truth "$labels" --json > "$out/$name/eval-$method.json"
    "$unet" eval --pred "$out/$name/pred-$method" --truth "$labels"
  done
}

echo "== ISBI 2012"
for part in train val test; do mkdir -p "$out/isbi/$part/image" "$out/isbi/$part/label"; done
for i in $(seq 0 24); do
  parts=$([ "$i" -lt 15 ] && echo train || { [ "$i" -lt 20 ] && echo "train val" || echo test; })
  for part in $parts; do
    for kind in image label; do ln -sf "$(realpath "$datasets/isbi2012/$kind/$i.png")" "$out/isbi/$part/$kind/$i.png"; done
  done
done
"$unet" augment --images "$out/isbi/train/image" --labels "$out/isbi/train/label" --out "$out/isbi/shards" \
  --samples 400 --per-shard 100 --seed 1 --resume
resume=$([ -e "$out/isbi/run/last.ckpt" ] && echo --resume || true)
"$unet" train --shards "$out/isbi/shards" --out "$out/isbi/run" --base-channels 16 --depth 4 --tile 572 \
  --steps "$isbi_steps" --lr 0.001 --checkpoint-every 100 --val-images "$out/isbi/val/image" \
  --val-labels "$out/isbi/val/label" $resume $threads
predict_and_score isbi "$out/isbi/test/image" "$out/isbi/test/label"

echo "== dsb2018, left half trains, right half tests"
mkdir -p "$out/dsb/train/image" "$out/dsb/train/label" "$out/dsb/test/image" "$out/dsb/test/label"
python3 - "$datasets/dsb2018-sample" "$out/dsb" <<'EOF'
import struct, sys
import numpy as np

def read_tiff(path):
    """A single-strip, uncompressed, little-endian 16-bit TIFF (as the sample is)."""
    data = open(path, "rb").read()
    assert data[:4] == b"II*\x00", path
    ifd = struct.unpack("<I", data[4:8])[0]
    tags = {}
    for i in range(struct.unpack("<H", data[ifd:ifd + 2])[0]):
        tag, kind, count, value = struct.unpack("<HHII", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        tags[tag] = value & 0xFFFF if kind == 3 else value
    assert tags[258] == 16 and tags[259] == 1, "expected uncompressed 16-bit samples"
    width, height, offset = tags[256], tags[257], tags[273]
    return np.frombuffer(data[offset:offset + 2 * width * height], "<u2").reshape(height, width)

source, target = sys.argv[1], sys.argv[2]
image, labels = read_tiff(source + "/img2d.tif"), read_tiff(source + "/mask2d.tif")
half = image.shape[1] // 2
for part, columns in (("train", slice(0, half)), ("test", slice(half, None))):
    np.save(f"{target}/{part}/image/nuclei.npy", np.ascontiguousarray(image[:, columns]))
    np.save(f"{target}/{part}/label/nuclei.npy", np.ascontiguousarray(labels[:, columns]))
EOF
"$unet" augment --images "$out/dsb/train/image" --labels "$out/dsb/train/label" --out "$out/dsb/shards" \
  --samples 200 --per-shard 100 --seed 1 --resume
resume=$([ -e "$out/dsb/run/last.ckpt" ] && echo --resume || true)
"$unet" train --shards "$out/dsb/shards" --out "$out/dsb/run" --base-channels 16 --depth 3 --tile 252 \
  --steps "$dsb_steps" --lr 0.001 --checkpoint-every 100 --val-images "$out/dsb/train/image" \
  --val-labels "$out/dsb/train/label" $resume $threads
predict_and_score dsb "$out/dsb/test/image" "$out/dsb/test/label"
echo "instances: scores in $out/{isbi,dsb}/eval-{components,distance,probability}.json"
