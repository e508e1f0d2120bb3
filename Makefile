# Distill: the two set-up commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
# Tests run optimised (the numerical and end-to-end tests train real models) with @testable imports.
TEST_FLAGS = -c release -Xswiftc -enable-testing
BIN = .build/release

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests $(TEST_FLAGS)
	$(SWIFT) test --skip-build $(TEST_FLAGS)

demo: build
	scripts/demo.sh $(BIN)

bench: build
	$(BIN)/distill-coordinator bench kd-step --teacher vgg8-teacher --student seed-student --batch 128

clean:
	rm -rf .build runs
