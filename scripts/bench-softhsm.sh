#!/usr/bin/env bash
# make bench with SoftHSM2 measured in the same run: ECDSA P-256 sign
# through SoftHSM2's PKCS#11 module, in process, next to the reference HSM.
# Installs Debian's softhsm2 when its module is missing (as root), then
# builds the benchmark with the softhsm tag, which needs cgo and a C
# compiler. Arguments go to the benchmark (-rounds N, -optime D).
# Usage: scripts/bench-softhsm.sh [-rounds 5] [-optime 2s]
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${SOFTHSM2_LIB:-/usr/lib/softhsm/libsofthsm2.so}
if [ ! -e "$lib" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench-softhsm: $lib missing; install the softhsm2 package (apt-get install softhsm2)" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2
fi
command -v "${CC:-gcc}" >/dev/null || { echo "bench-softhsm: no C compiler for cgo (apt-get install gcc)" >&2; exit 1; }
CGO_ENABLED=1 exec "${GO:-go}" test -tags softhsm -run '^$' -bench '^BenchmarkOps$' -benchtime 1x ./reference-impl/clienttest "$@"
