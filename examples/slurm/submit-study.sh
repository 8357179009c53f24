#!/usr/bin/env bash
# Submits a study over many checkpoints as a job array of SHARDS tasks (default 4) and the
# assembly job that runs when all of them succeeded, e.g.
#   RUNS="runs/pgd-at runs/awp" DATA=cifar10:./cifar-10-batches-bin examples/slurm/submit-study.sh 8
# The same STUDY_ARGS (study options such as --subset, --attack) must reach both jobs: they
# decide the pieces. Prints the two job IDs (array first).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SHARDS="${1:-${SHARDS:-4}}"
export SHARDS
# shellcheck disable=SC2086 # SBATCH_ARGS is a word list.
array="$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((SHARDS - 1))" "$HERE/study.sbatch")"
array="${array%%;*}"
# shellcheck disable=SC2086
merge="$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" "$HERE/study-merge.sbatch")"
merge="${merge%%;*}"
echo "$array $merge"
echo "study: array job $array ($SHARDS tasks); assembly: job $merge (after all tasks succeed)" >&2
