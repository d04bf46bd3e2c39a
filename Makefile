# Keel's entry points. Every target installs missing Debian packages first
# (scripts/install-deps.sh), so each works on a fresh Debian 12 machine.
#
#   make quickstart     install, build, run the main job on bundled example data
#   make test           install, build, run every test
#   make bench          build and run the benchmarks beside their peers
#   make test-sanitize  the whole suite under AddressSanitizer + UBSan
#   make format         clang-format every C++ file

BUILD       ?= build
SAN_BUILD   ?= build-sanitize
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build quickstart test bench test-sanitize format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

quickstart: build
	@scripts/quickstart.sh $(BUILD)/keel

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	@bench/run.sh $(BUILD)

$(SAN_BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEEL_SANITIZE=ON -DKEEL_BUILD_BENCH=OFF

test-sanitize: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)

format: deps
	git ls-files -z '*.h' '*.cc' | xargs -0 clang-format -i

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
