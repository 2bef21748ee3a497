# The Makefile only names plain go commands; see README.md.
GO ?= go
OUT ?= out

.PHONY: demo test bench generate lint fuzz mutants interop ihsm

ihsm:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ihsm ./cmd/ihsm

demo: ihsm
	./scripts/demo.sh $(OUT)

test:
	$(GO) vet ./...
	$(GO) test -race ./...

generate:
	$(GO) generate ./...

lint: ihsm
	./bin/ihsm spec lint spec

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzRoundTrip -fuzztime 60s ./spec/wire
