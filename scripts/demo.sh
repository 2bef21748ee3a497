#!/usr/bin/env bash
# The main job of OpenIHSM, end to end, on the reference HSM:
#   spec lint -> reproducible build of the device -> the device serves on
#   Unix sockets -> conformance suite against it -> mutation run of the
#   suite -> unit tests of the packages the binary is built from ->
#   short-form report for the binary -> signed evidence (SBOM, provenance,
#   test results, SFR) -> offline verification, including the running
#   device's attested firmware -> documentation site.
# Usage: scripts/demo.sh [OUT]   (default: out)
# The evidence binds the checked-out commit, so a work tree with
# uncommitted changes is refused; ALLOW_DIRTY=1 builds it anyway, and the
# evidence and its verification then say so.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}
ihsm=./bin/ihsm
[ -x "$ihsm" ] || { echo "demo: $ihsm missing; run make demo" >&2; exit 1; }
commit=$(git rev-parse HEAD 2>/dev/null) || { echo "demo: not a git checkout; the evidence names the source commit" >&2; exit 1; }
dirty=()
if [ -n "$(git status --porcelain)" ]; then
	if [ "${ALLOW_DIRTY:-}" != 1 ]; then
		echo "demo: the work tree has uncommitted changes (git status); commit them, or run with ALLOW_DIRTY=1" >&2
		exit 1
	fi
	dirty=(--allow-dirty)
fi

# Every run starts from nothing: outputs of an earlier run are replaced.
for d in keys stage conformance mutants unit-tests evidence site run; do rm -rf "${out:?}/$d"; done
mkdir -p "$out/keys" "$out/run" "$out/unit-tests"
out=$(cd "$out" && pwd)

# The demo's signing keys are made here and protected with a fixed,
# public password: they show the chain, they vouch for nothing.
export COSIGN_PASSWORD=openihsm-demo

step() { printf '\n== %s\n' "$*"; }
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# start_device NAME BINARY: serves an ephemeral reference HSM with two
# partitions and a control socket under $out/run/NAME, and waits for it.
start_device() {
	local name=$1 bin=$2 dir=$out/run/$1
	mkdir -p "$dir"
	"$bin" serve --ephemeral --partitions 2 --control --socket-dir "$dir/sock" >"$dir/serve.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q '^ready$' "$dir/serve.log" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "demo: device $name did not start:" >&2
	cat "$dir/serve.log" >&2
	exit 1
}

step "spec: lint"
"$ihsm" spec lint spec

step "keys: evidence producer and demo reviewer"
"$ihsm" evidence keygen --out "$out/keys/producer"
"$ihsm" evidence keygen --out "$out/keys/reviewer"

step "build: the reference HSM firmware (ihsm, -tags ihsmfirmware), twice, reproducibly"
"$ihsm" evidence build --out "$out/stage" --key "$out/keys/producer.key" "${dirty[@]}"
device_bin=$out/stage/bin/ihsm
device_sha384=$(sha384sum "$device_bin" | cut -d' ' -f1)

step "device: the built binary serves two partitions on Unix sockets"
start_device conformance "$device_bin"
sock=$out/run/conformance/sock
cat "$out/run/conformance/serve.log"

step "conformance: the suite against the device over its sockets"
"$ihsm" conform \
	--target "unix://$sock/partition-0.sock,unix://$sock/partition-1.sock" \
	--control "unix://$sock/control.sock" --allow-destructive \
	--out "$out/conformance"
measured=$(sed -n 's/.*"firmware_measurement": "sha384:\([0-9a-f]*\)".*/\1/p' "$out/conformance/conformance-report.json")
if [ "$measured" != "$device_sha384" ]; then
	echo "demo: the device attested firmware $measured, the built binary is $device_sha384" >&2
	exit 1
fi
echo "the device attested firmware sha384:$measured, the built binary"

step "mutants: the suite catches every deliberate defect of the reference HSM"
"${GO:-go}" run -tags ihsmfaults ./cmd/ihsm mutants --out "$out/mutants"

step "unit tests: every package the firmware is built from (go test -short -json -tags ihsmfirmware)"
# The tests of the packages as the firmware build compiles them; -short
# leaves out the slowest checks, and the mutation and conformance runs
# above cover the device end to end.
CGO_ENABLED=0 go list -deps -tags ihsmfirmware -f '{{if and (not .Standard) .Module}}{{if .Module.Main}}{{.ImportPath}}{{end}}{{end}}' ./cmd/ihsm >"$out/unit-tests/packages.txt"
if ! CGO_ENABLED=0 go test -short -json -tags ihsmfirmware $(cat "$out/unit-tests/packages.txt") >"$out/unit-tests/unit-tests.json" 2>"$out/unit-tests/stderr.txt"; then
	grep '"Action":"fail"' "$out/unit-tests/unit-tests.json" | grep -v '"Test"' >&2 || cat "$out/unit-tests/stderr.txt" >&2
	echo "demo: unit tests failed; see $out/unit-tests/unit-tests.json" >&2
	exit 1
fi
echo "$(grep -c . "$out/unit-tests/packages.txt") packages: $(grep -c '"Action":"pass","Package":"[^"]*","Elapsed"' "$out/unit-tests/unit-tests.json") passed, $(grep -c '"Action":"skip","Package":"[^"]*","Elapsed"' "$out/unit-tests/unit-tests.json") without tests"

step "short-form report: a self-issued demo review of the binary at $commit"
"$ihsm" sfr create --vendor OpenIHSM --product "OpenIHSM reference HSM" \
	--fw-version "$(sed -n 's/^firmware \([^ ]*\) .*/\1/p' "$out/run/conformance/serve.log")" \
	--srp "OpenIHSM demo reviewer (self-issued, not an OCP SAFE review)" \
	--repo-tag "$commit" --fw-file "$device_bin" --format corim --out "$out/keys/sfr.corim"
"$ihsm" sfr sign --key "$out/keys/reviewer.key" --in "$out/keys/sfr.corim" --format corim --out "$out/keys/sfr.cose"

step "evidence: rebuild (same digest), SBOM, provenance, test results, SFR, signed manifest"
"$ihsm" evidence build --out "$out/evidence" --key "$out/keys/producer.key" \
	--conformance-report "$out/conformance/conformance-report.json" \
	--transcript "$out/conformance/transcript.jsonl" \
	--unit-tests-json "$out/unit-tests/unit-tests.json" \
	--sfr "$out/keys/sfr.cose" "${dirty[@]}"
if ! cmp -s "$device_bin" "$out/evidence/bin/ihsm"; then
	echo "demo: the evidence build differs from the binary the suite tested (did the source change during the run?)" >&2
	exit 1
fi

step "verify: the evidence offline, and the running device's attested firmware"
start_device attested "$out/evidence/bin/ihsm"
attested=unix://$out/run/attested/sock/partition-0.sock
# The device's root, recorded as an operator records it at installation,
# is pinned: the check then shows a device under that root runs the binary.
"$ihsm" device certs --target "$attested" --out "$out/keys/device"
allow=""
[ ${#dirty[@]} -eq 0 ] || allow="allow_modified_source: true   # ALLOW_DIRTY=1: built with uncommitted changes"
cat >"$out/keys/trust.yaml" <<EOF
# The demo's trust policy: the keys were made by this run.
producers:
  keys: [producer.pub]
sfr_signers:
  keys: [reviewer.pub]
require_sfr: true
required_tests: [reproducible-build, conformance, unit-tests]
device_roots: [device/root.pem]
$allow
EOF
"$ihsm" evidence verify "$out/evidence" --trust "$out/keys/trust.yaml" --device "$attested"

step "site: the spec, the conformance results and the evidence"
"$ihsm" site build --out "$out/site" --conformance "$out/conformance" --evidence "$out/evidence" \
	--previous-spec git:latest-tag

cleanup
trap - EXIT
step "done"
ev=$out/evidence
cat <<EOF
source commit       $commit
binary              $ev/bin/ihsm (sha384 $device_sha384)
conformance run     $out/conformance/conformance-report.json (transcript $out/conformance/transcript.jsonl)
mutation run        $out/mutants/mutants.md
unit tests          $out/unit-tests/unit-tests.json
SBOM                $ev/sbom.spdx.json
attestations        $ev/attestations/ (provenance, SBOM, reproducible build, conformance, unit tests)
build link          $(ls "$ev"/links/*.link)
short-form report   $ev/sfr/sfr.cose
signed manifest     $ev/evidence.json, $ev/evidence.dsse.json
verification        $ev/verification/ (report.txt, checks.json, vsa.intoto.json, device-attestation.cose)
trust policy, keys  $out/keys/trust.yaml, $out/keys/ (demo keys, password "$COSIGN_PASSWORD")
site                file://$out/site/index.html   (or: $ihsm site serve --dir $out/site)
EOF
