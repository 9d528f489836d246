#!/usr/bin/env bash
# One augmented dataset written by the tasks of a Slurm job array. Task i of
# N writes the shards s with s % N == i under the names a single process
# would use (unet augment reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN
# and SLURM_ARRAY_TASK_COUNT), then a job that depends on the whole array
# joins the partial manifests into the manifest.json a single process
# writes, byte for byte, and verifies every shard.
#
#   examples/slurm/augment-array.sh submit [UNET AUGMENT OPTIONS...]
#
# on the login node submits both; it runs
#
#   jid=$(sbatch --parsable --array=0-$((TASKS - 1)) augment-array.sh augment [OPTIONS...])
#   sbatch --dependency=afterok:$jid --kill-on-invalid-dep=yes augment-array.sh merge
#
# `augment-array.sh` alone (no array variables set) writes the whole
# dataset in one process. Options after the mode go to every task's unet
# augment (the same on every task, or the merge refuses the manifests).
#
# Settings, from the environment (sbatch exports it to the jobs):
#   IMAGES, LABELS  sources (files, folders or quoted globs), required
#   OUT             the dataset folder, on a file system every node sees (required)
#   SAMPLES         samples in all (default 1000); PER_SHARD (default 100); SEED (default 1)
#   TASKS           array tasks for `submit` (default 8)
#   UNET            the unet executable (default: unet on PATH)
# A requeued or resubmitted task keeps the shards it had finished (--resume).
#
#SBATCH --job-name=unet-augment
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=unet-augment-%A_%a.log
set -euo pipefail

mode=${1:-augment}
if [ $# -gt 0 ]; then shift; fi
unet=${UNET:-unet}
: "${OUT:?set OUT to the dataset folder}"

case "$mode" in
  augment)
    : "${IMAGES:?set IMAGES to the source images}" "${LABELS:?set LABELS to the source labels}"
    # --jobs: the cores Slurm gave this task (all cores when run by hand).
    exec "$unet" augment --images "$IMAGES" --labels "$LABELS" --out "$OUT" \
      --samples "${SAMPLES:-1000}" --per-shard "${PER_SHARD:-100}" --seed "${SEED:-1}" \
      ${SLURM_CPUS_PER_TASK:+--jobs "$SLURM_CPUS_PER_TASK"} --resume "$@"
    ;;
  merge)
    "$unet" manifest merge "$OUT"
    exec "$unet" manifest verify "$OUT"
    ;;
  submit)
    tasks=${TASKS:-8}
    jid=$(sbatch --parsable --array="0-$((tasks - 1))" "$0" augment "$@")
    jid=${jid%%;*}  # --parsable prints "id" or "id;cluster"
    mid=$(sbatch --parsable --dependency="afterok:$jid" --kill-on-invalid-dep=yes \
      --job-name=unet-merge --cpus-per-task=1 --time=00:30:00 --output=unet-merge-%j.log "$0" merge)
    echo "submitted array job $jid ($tasks tasks) and merge job ${mid%%;*} -> $OUT"
    ;;
  *)
    echo "usage: $0 [augment|merge|submit] [unet augment options...]" >&2
    exit 2
    ;;
esac
