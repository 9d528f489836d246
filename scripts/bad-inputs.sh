#!/usr/bin/env bash
# Feeds every command bad input and prints a Markdown table of the answers
# (docs/bad-inputs.md is its output). Each answer must be one line on
# standard error, `unet: error: ...`, with a non-zero exit status: 64 for
# a usage error (an option value out of range, of the wrong form, or
# contradicting another), 1 otherwise; the script fails otherwise.
#
#   scripts/bad-inputs.sh [UNET] > docs/bad-inputs.md
set -euo pipefail
cd "$(dirname "$0")/.."
unet=${1:-$(swift build --show-bin-path)/unet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Good material to spoil.
"$unet" synth --out s --count 2 --size 64x64 --seed 1 >/dev/null
"$unet" augment --images s/images --labels s/labels --out shards --samples 4 --per-shard 2 >/dev/null
"$unet" train --shards shards --out run --steps 1 --base-channels 2 --depth 1 --tile 36 >/dev/null 2>&1
head -c 100 s/images/cells_000.png > truncated.png
: > empty.png
echo "not an image" > text.tif
python3 -c "
import struct
h = b\"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\"
h += b' ' * (63 - len(h)) + b'\\n'
open('float64.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(h)) + h + bytes(32))"
python3 -c "
import struct, zlib
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack('>IIBBBBB', 100000, 100000, 8, 0, 0, 0, 0)
open('huge.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))"
cp -r shards corrupt && printf 'x' | dd of=corrupt/train-000000.tar bs=1 seek=700 conv=notrunc 2>/dev/null
cp -r shards missing && rm missing/train-000001.tar
mkdir -p rgb && python3 -c "
import struct, zlib
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
raw = b''.join(b'\x00' + b'\x80' * 24 for _ in range(8))
open('rgb/cells_000.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 8, 8, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))"
mkdir -p small && "$unet" synth --out small --count 2 --size 32x32 --seed 2 >/dev/null
mkdir -p lonely && cp small/labels/cells_000.png lonely/
python3 -c "
import json, struct
h = json.dumps({'__metadata__': {'format': 'pt'}, 'x': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}}).encode()
open('other.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + bytes(4))"
"$unet" eval --pred s/labels --truth s/labels --json > scores.json
echo '{"images": [], "overall": {"pixel_error": 0.1, "rand_error": 0.3, "iou": 0.9}}' > old-scores.json
# Volumes: z-stacks of touching nuclei, a smaller one, a 3-D dataset, and
# hand-made TIFFs of one page and of pages of two sizes.
"$unet" synth --out v --count 1 --size 24x20x6 --seed 1 >/dev/null
"$unet" synth --out v2 --count 1 --size 24x20x5 --seed 1 >/dev/null
"$unet" augment --volume --images v/images --labels v/labels --out vds --samples 2 >/dev/null
"$unet" augment --volume --images v/images --labels v/labels --out vds4 --samples 2 --spacing 4,1,1 >/dev/null
"$unet" train --shards vds --out run3 --steps 1 --base-channels 2 --depth 1 --tile 18x18x18 >/dev/null 2>&1
"$unet" weights --volume v/labels --out w4 --spacing 4,1,1 --unit micron >/dev/null
python3 -c "
import struct
def tiff(path, pages):
    out = bytearray(b'II*\\x00\\x00\\x00\\x00\\x00')
    link = 4
    for w, h in pages:
        data = len(out); out += bytes(w * h)
        if len(out) % 2: out += b'\\x00'
        struct.pack_into('<I', out, link, len(out))
        tags = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, data), (277, 3, 1), (278, 3, h), (279, 4, w * h)]
        out += struct.pack('<H', len(tags))
        for tag, kind, value in tags:
            out += struct.pack('<HHIHH', tag, kind, 1, value, 0) if kind == 3 else struct.pack('<HHII', tag, kind, 1, value)
        link = len(out); out += bytes(4)
    open(path, 'wb').write(out)
tiff('mixed.tif', [(16, 16), (16, 16), (20, 16)])
tiff('one.tif', [(16, 16)])"
"$unet" export --model run --out run.safetensors >/dev/null
: > existing.onnx
mkdir -p existing-package notunetkit && echo "type: model" > notunetkit/rdf.yaml
python3 -c "
import json, struct
data = open('run.safetensors', 'rb').read()
n, = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n])
architecture = json.loads(header['__metadata__']['architecture'])
architecture['normLayer'] = 'group'
header['__metadata__']['architecture'] = json.dumps(architecture)
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
open('group.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + data[8 + n:])"
cp -r run damaged-run && echo '{"step":2,"accuracy":0.9}' >> damaged-run/metrics.jsonl

echo "| command | bad input | answer (standard error) | exit |"
echo "|---|---|---|---|"
row() {
  local what=$1; shift
  local err status=0
  err=$("$unet" "$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" -eq 0 ] || [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ] || [[ $err != "unet: error: "* ]]; then
    echo "bad-inputs: '$what' answered with status $status and: $err" >&2
    exit 1
  fi
  # The first line, without a pipe (head closing early would SIGPIPE printf
  # and, under pipefail, end the script).
  err=${err%%$'\n'*}
  printf '| `unet %s` | %s | `%s` | %d |\n' "$1" "$what" "${err//|/\\|}" "$status"
}
row "missing file" info nothing.png
row "empty file" info empty.png
row "truncated PNG" info truncated.png
row "text named .tif" info text.tif
row "NPY of float64" info float64.npy
row "PNG header claiming 100000 x 100000" info huge.png
row "size 0x64" synth --out x --size 0x64
row "label image that is truncated" weights truncated.png --out w
row "sigma 0" weights s/labels --out w --sigma 0
row "--weight-sigma and its earlier name --sigma" weights s/labels --out w --weight-sigma 2 --sigma 2
row "a z-stack without --volume" weights v/labels --out w
row "--volume: pages of different sizes" weights --volume mixed.tif --out w
row "--volume with a single page" weights --volume one.tif --out w
row "--volume with a non-positive spacing" weights --volume v/labels --out w --spacing 0,1,1
row "--volume larger than --max-pixels (voxels)" weights --volume v/labels --out w --max-pixels 2000
row "labels of another size" augment --images s/images --labels small/labels --out a --samples 2
row "a z-stack without --volume" augment --images v/images --labels v/labels --out a --samples 2
row "--ignore-label that is also an instance id" augment --images s/images --labels s/labels --out a --samples 2 --ignore-label 1
row "--volume: labels of another shape than their image" augment --volume --images v/images --labels v2/labels --out a --samples 2
row "output folder that already holds a dataset" augment --images s/images --labels s/labels --out shards --samples 4
row "--elastic-sigma -1" augment --images s/images --labels s/labels --out a --samples 2 --elastic-sigma=-1
row "a shard with one changed byte" manifest verify corrupt
row "a dataset without manifest.json" train --shards s --out t1
row "a shard with one changed byte" train --shards corrupt --out t2 --base-channels 2 --depth 1 --tile 36
row "a listed shard missing" train --shards missing --out t3 --base-channels 2 --depth 1 --tile 36
row "tile 37 at depth 1" train --shards shards --out t4 --depth 1 --tile 37
row "a run folder again, without --resume" train --shards shards --out run --base-channels 2 --depth 1 --tile 36
row "--resume with a changed learning rate" train --shards shards --out run --resume --lr 0.5
row "momentum 1" train --shards shards --out t5 --optimizer sgd --momentum 1
row "an unknown optimiser" train --shards shards --out t5 --optimizer rmsprop
row "--nesterov with Adam" train --shards shards --out t5 --optimizer adam --nesterov
row "--betas with SGD" train --shards shards --out t5 --optimizer sgd --betas 0.9,0.99
row "--betas with one number" train --shards shards --out t5 --optimizer adamw --betas 0.9
row "beta2 1" train --shards shards --out t5 --optimizer adam --betas 0.9,1
row "a negative weight decay" train --shards shards --out t5 --weight-decay=-0.1
row "an unknown recipe" train --shards shards --out t5 --recipe fast
row "--time-limit 0" train --shards shards --out t5 --time-limit 0
row "--resume with another optimiser" train --shards shards --out run --resume --optimizer adamw
row "--resume with a recipe the run differs from" train --shards shards --out run --resume --recipe paper
row "--init with another depth" train --shards shards --out t6 --init run --depth 2
row "an unknown norm layer" train --shards shards --out t5 --norm-layer instance
row "--resume with another norm layer" train --shards shards --out run --resume --norm-layer batch
row "--init with another norm layer" train --shards shards --out t6 --init run --norm-layer batch
row "--init and --resume together" train --shards shards --out run --init run --resume
row "a 3-D dataset with a 2-D tile" train --shards vds --out t7 --base-channels 2 --depth 1 --tile 36
row "an invalid 3-D tile" train --shards vds --out t8 --base-channels 2 --depth 1 --tile 17x18x18
row "a 2-D model to start a 3-D run from" train --shards vds --out t9 --init run
row "a 3-D dataset of another spacing than the model's" train --shards vds4 --out t10 --init run3
row "a PNG as the model" predict --model s/images/cells_000.png s/images --out p
row "a safetensors file that is no model" predict --model other.safetensors s/images --out p
row "an RGB image for a gray model" predict --model run rgb/cells_000.png --out p
row "tile 37 for a depth-1 model" predict --model run s/images --out p --tile 37
row "--threshold 1.5" predict --model run s/images --out p --threshold 1.5
row "--seed-height without the watershed" predict --model run s/images --out p --seed-height 2
row "a z-stack" predict --model run v/images --out p
row "--volume with a 2-D model" predict --volume --model run v/images --out p
row "an image for a 3-D model" predict --model run3 s/images --out p
row "--volume with a 2-D tile" predict --volume --model run3 v/images --out p --tile 36
row "a volume of another spacing than the model's" predict --volume --model run3 w4/cells_000.weight.tiff --out p
row "a BioImage Model Zoo package without UNetKit weights" predict --model notunetkit s/images --out p
row "truth of another size" eval --pred small/labels/cells_000.png --truth s/labels/cells_000.png
row "a prediction without truth" eval --pred s/labels --truth lonely
row "--thresholds 0" eval --pred s/labels --truth s/labels --thresholds 0
row "a z-stack as truth" eval --pred v/labels --truth v/labels
row "--volume with 2-D images" eval --volume --pred s/labels --truth s/labels
row "--volume, a volume of another depth" eval --volume --pred v2/labels/cells_000.tif --truth v/labels/cells_000.tif
row "a PNG as the model" export --model s/images/cells_000.png --out m.safetensors
row "a safetensors file that is no model" export --model other.safetensors --format onnx --out m.onnx
row "an existing output without --force" export --model run --format onnx --out existing.onnx
row "an architecture the exporter does not know (normLayer group)" export --model group.safetensors --format onnx --out m.onnx
row "an unknown format" export --model run --format tflite --out m.tflite
row "bioimageio without --author" export --model run --format bioimageio --out pkg --license MIT
row "bioimageio without --license" export --model run --format bioimageio --out pkg --author "Ada Lovelace"
row "bioimageio with a license that is no SPDX id" export --model run --format bioimageio --out pkg --license "MIT License" --author "Ada Lovelace"
row "bioimageio for a 3-D model" export --model run3 --format bioimageio --out pkg --license MIT --author "Ada Lovelace"
row "--license without bioimageio" export --model run --format onnx --out m.onnx --license MIT
row "an existing package folder without --force" export --model run --format bioimageio --out existing-package --license MIT --author "Ada Lovelace"
row "a score file that is not eval's" report --out r --eval s/images/cells_000.png --images s/images --truth s/labels --pred p
row "scores of an older unet eval" report --out r --eval old-scores.json --images s/images --truth s/labels --pred p
row "a metrics.jsonl with an unknown key" report --out r --eval scores.json --images s/images --truth s/labels --pred p --run damaged-run
