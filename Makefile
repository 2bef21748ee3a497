# The Makefile only names plain go commands; see README.md and CONTRIBUTING.md.
GO ?= go
OUT ?= out

.PHONY: demo test bench bench-softhsm generate lint fuzz mutants interop ihsm firmware

ihsm:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ihsm ./cmd/ihsm

# The reference HSM as a device ships it: ihsm serve and ihsm version only
# (release evidence attests this build; see docs/auditor.md).
firmware:
	CGO_ENABLED=0 $(GO) build -trimpath -tags ihsmfirmware -o bin/ihsm-firmware ./cmd/ihsm

# The main job: reproducible build, device, conformance, evidence, site.
demo: ihsm
	./scripts/demo.sh $(OUT)

# The second run builds the fault-injection code (tag ihsmfaults) and runs
# its tests: every fault is observable, and the suite catches a few.
test:
	$(GO) vet ./...
	$(GO) vet -tags ihsmfaults ./reference-impl/... ./cmd/ihsm
	$(GO) vet -tags ihsmfirmware ./cmd/ihsm
	$(GO) test -race ./...
	$(GO) test -race -tags ihsmfaults -run 'Fault|Mutant' ./reference-impl/device ./reference-impl/refhsm
	$(GO) test -tags ihsmfirmware ./cmd/ihsm

generate:
	$(GO) generate ./...

lint: ihsm
	./bin/ihsm spec lint spec

# One table: ops/s, p50 and p99 of ECDSA P-256, RSA-2048, AES-256-GCM 1 KiB
# and ML-DSA-65 sign through raw Go crypto, the in-process device and a Unix
# socket (1 and 4 sessions), the ratios to raw Go, and whether the speed
# targets are met (CONTRIBUTING.md, "Benchmarks"). BENCHFLAGS='-rounds 5'.
bench:
	$(GO) test -run '^$$' -bench '^BenchmarkOps$$' -benchtime 1x ./reference-impl/clienttest $(BENCHFLAGS)

# The same table with SoftHSM2 measured in the run (installs Debian's
# softhsm2; needs cgo).
bench-softhsm:
	GO=$(GO) ./scripts/bench-softhsm.sh $(BENCHFLAGS)

# The conformance suite against the reference HSM once per deliberate
# defect; fails if any defect goes uncaught. Fault injection exists only in
# a build with the ihsmfaults tag, never in bin/ihsm.
mutants:
	$(GO) run -tags ihsmfaults ./cmd/ihsm mutants --out $(OUT)/mutants

# The evidence tools against the real cosign v2 CLI, built from the Go
# module proxy (not a dependency of this module): cosign verifies our
# attestations with our public key, and we verify cosign's.
interop:
	OPENIHSM_INTEROP=1 $(GO) test -count=1 -v -timeout 30m ./evidence/interop

# One minute of each fuzz target of outside input.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzRoundTrip -fuzztime 60s ./spec/wire
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 60s ./reference-impl/device
	$(GO) test -run '^$$' -fuzz FuzzUnmask -fuzztime 60s ./reference-impl/internal/boundary/masking
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 60s ./spec/model
	$(GO) test -run '^$$' -fuzz FuzzKWPUnwrap -fuzztime 60s ./spec/client
	$(GO) test -run '^$$' -fuzz FuzzVerifyKeyReport -fuzztime 60s ./spec/client
	$(GO) test -run '^$$' -fuzz FuzzUnwrap -fuzztime 60s ./reference-impl/internal/boundary/keywrap
	$(GO) test -run '^$$' -fuzz FuzzValidateJSON -fuzztime 60s ./sbom
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./evidence/intoto
	$(GO) test -run '^$$' -fuzz FuzzParseVerify -fuzztime 60s ./evidence/dsse
	$(GO) test -run '^$$' -fuzz FuzzVerifyJWS -fuzztime 60s ./evidence/sfr
	$(GO) test -run '^$$' -fuzz FuzzVerifyCOSE -fuzztime 60s ./evidence/sfr
