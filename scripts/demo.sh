#!/usr/bin/env bash
# The main job of OpenIHSM, end to end, on the embedded reference HSM.
set -euo pipefail
out=${1:-out}
mkdir -p "$out"
ihsm=./bin/ihsm

echo "== spec: lint"
"$ihsm" spec lint spec
