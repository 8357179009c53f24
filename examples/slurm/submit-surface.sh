#!/usr/bin/env bash
# Submits the 2D surface as a job array of SHARDS tasks (default 4) and the merge-and-report job
# that runs when all of them succeeded. Settings go through the environment, e.g.
#   CHECKPOINT=model.pt DATA=cifar10:./cifar-10-batches-bin OUT_DIR=surface examples/slurm/submit-surface.sh 8
# Prints the two job IDs (array first). Extra sbatch options: SBATCH_ARGS="--partition=gpu …".
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SHARDS="${1:-${SHARDS:-4}}"
export SHARDS
# --parsable prints "id" or "id;cluster".
# shellcheck disable=SC2086 # SBATCH_ARGS is a word list.
array="$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((SHARDS - 1))" "$HERE/surface-2d.sbatch")"
array="${array%%;*}"
# shellcheck disable=SC2086
merge="$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" "$HERE/merge-report.sbatch")"
merge="${merge%%;*}"
echo "$array $merge"
echo "surface: array job $array ($SHARDS tasks); merge and report: job $merge (after all tasks succeed)" >&2
