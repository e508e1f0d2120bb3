# Distill: the two set-up commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
BIN = .build/release

.PHONY: deps build test demo bench bench-peers fuzz dist clean

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

# Distill's KD step against PyTorch (eager, channels-last) and TensorFlow/Keras in one run, alternated,
# 3 rounds, medians; last line JSON. PAIR=mlp for hinton-teacher -> hinton-student (28x28x1).
PAIR ?= cnn
bench-peers: build
	scripts/bench-peers.sh --pair $(PAIR) $(if $(STUDENT_ONLY),--student-only) $(BIN)

# libFuzzer (swiftc -sanitize=address plus libFuzzer coverage, checked -O, linked with libFuzzer's
# driver) over the wire decoder (1,000,000 runs) and each file reader (100,000 runs each), from
# Tests/FuzzCorpus; `make fuzz FUZZ_TARGETS=wire` runs one. The suite runs a deterministic slice.
fuzz: deps
	scripts/fuzz.sh $(FUZZ_TARGETS)

# Release binaries with the Swift runtime linked in statically (dist/distill-coordinator,
# dist/distill-worker): a worker host needs only Debian's libzmq5 and libopenblas0.
dist: deps
	scripts/dist.sh

clean:
	rm -rf .build .build-fuzz .build-dist dist runs
