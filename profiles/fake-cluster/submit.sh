#!/usr/bin/env bash
# Fake cluster submit: run the Snakemake job script locally in the background; print its job id.
set -euo pipefail
jobscript="${!#}"
state_dir="${TMPDIR:-/tmp}/xmem-fake-cluster"
mkdir -p "$state_dir"
id="fake$$$RANDOM"
( bash "$jobscript" > "$state_dir/$id.out" 2>&1; echo $? > "$state_dir/$id.rc" ) &
echo "$id"
