#!/usr/bin/env bash
# Fake cluster status: running / success / failed for a job id printed by submit.sh.
state_dir="${TMPDIR:-/tmp}/xmem-fake-cluster"
rc_file="$state_dir/$1.rc"
if [ ! -f "$rc_file" ]; then echo running; exit 0; fi
if [ "$(cat "$rc_file")" = "0" ]; then echo success; else echo failed; fi
