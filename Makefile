# Distill: the two set-up commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
BIN = .build/release

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

# Tests run optimised (the numerical and end-to-end tests train real models) with @testable imports.
test: deps
	scripts/test.sh

demo: build
	scripts/demo.sh $(BIN)

bench: build
	$(BIN)/distill-coordinator bench kd-step --teacher vgg8-teacher --student seed-student --batch 128

clean:
	rm -rf .build runs
