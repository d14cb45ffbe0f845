#!/bin/bash
# brain-align job workers as a Slurm job array: one worker process per array task (README "Many machines").
#
#   export DATABASE_URL=postgresql://align:secret@db.example.org:5432/align
#   export ALIGN_STORE_DIR=/shared/brain-align/store   # one shared filesystem path, the same on every node
#   export ALIGN_DATA_ROOTS=/shared/datasets           # dataset roots at the same paths as on the API node
#   sbatch --array=0-7 deploy/slurm-workers.sh         # from the brain-align checkout (installed with npm ci)
#
# Watch them with GET /v1/workers (or the dashboard's Studies & runs page). At the time limit Slurm sends
# SIGTERM (two minutes early, --signal below): running jobs go back to the queue and the worker deregisters.
# A node that dies without it leaves its jobs `lost`; they are retried on any live worker after
# ALIGN_JOB_STALE_SECONDS.
#SBATCH --job-name=brain-align-worker
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=24:00:00
#SBATCH --signal=B:TERM@120
#SBATCH --output=brain-align-worker-%A_%a.log
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL of the service (as on the API node)}"
: "${ALIGN_STORE_DIR:?set ALIGN_STORE_DIR to the shared artefact store (as on the API node)}"
: "${ALIGN_DATA_ROOTS:?set ALIGN_DATA_ROOTS to the dataset roots (the same paths as on the API node)}"
export DATABASE_URL ALIGN_STORE_DIR ALIGN_DATA_ROOTS

cd "${BRAIN_ALIGN_HOME:-${SLURM_SUBMIT_DIR:-.}}"
# Private to this task (the local scratch disk): never shared between workers.
export ALIGN_DATA_DIR="${TMPDIR:-/tmp}/brain-align-worker-${SLURM_ARRAY_JOB_ID:-0}-${SLURM_ARRAY_TASK_ID:-0}"
export ALIGN_WORKERS="${ALIGN_WORKERS:-1}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
mkdir -p "$ALIGN_DATA_DIR"

node --import tsx src/main.ts --worker &
worker=$!
# Slurm signals this shell (B:TERM); pass it on and wait for the jobs to be handed back.
trap 'kill -TERM "$worker" 2>/dev/null; wait "$worker"' TERM INT
wait "$worker"
