# The Makefile only names plain go commands; see README.md and CONTRIBUTING.md.
GO ?= go
OUT ?= out

.PHONY: demo test bench generate lint fuzz mutants interop ihsm

ihsm:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ihsm ./cmd/ihsm

# The main job: reproducible build, device, conformance, evidence, site.
demo: ihsm
	./scripts/demo.sh $(OUT)

# The second run builds the fault-injection code (tag ihsmfaults) and runs
# its tests: every fault is observable, and the suite catches a few.
test:
	$(GO) vet ./...
	$(GO) vet -tags ihsmfaults ./reference-impl/... ./cmd/ihsm
	$(GO) test -race ./...
	$(GO) test -race -tags ihsmfaults -run 'Fault|Mutant' ./reference-impl/device ./reference-impl/refhsm

generate:
	$(GO) generate ./...

lint: ihsm
	./bin/ihsm spec lint spec

# ops/s, p50 and p99 through the in-process device, the client over a Unix
# socket with 1 and 4 sessions, and the raw Go crypto call.
bench:
	$(GO) test -run '^$$' -bench 'BenchmarkOps' -benchtime 2s ./reference-impl/clienttest
	$(GO) test -run '^$$' -bench 'BenchmarkSignP256' -benchtime 2s ./reference-impl/device
	$(GO) test -run '^$$' -bench 'RoundTrip' ./spec/wire

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
