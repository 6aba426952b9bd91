# Thin entry points (DESIGN §2): deps, build, run, test, fuzz. The real build is CMake.
JOBS ?= 2
CONFIG ?= conf/hikyaku.toml
RELEASE_DIR := build/release
TEST_DIR := build/test
FUZZ_DIR := build/fuzz

.PHONY: deps build run test test-heavy soak bench fuzz image image-test clean

deps:
	@bash deploy/install-deps.sh

build: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHIKYAKU_TESTS=OFF
	cmake --build $(RELEASE_DIR) -j$(JOBS) --target hikyaku

# Serves conf/hikyaku.toml in the foreground on 127.0.0.1:2525 and [::1]:2525.
run: build
	$(RELEASE_DIR)/app/hikyaku serve -c $(CONFIG)

# The whole suite (unit, integration with real peers, fuzz seed replay) but the "heavy" label,
# built with AddressSanitizer + UndefinedBehaviorSanitizer and warnings as errors.
test: deps
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DHIKYAKU_SANITIZE=ON -DHIKYAKU_WERROR=ON
	cmake --build $(TEST_DIR) -j$(JOBS)
	cd $(TEST_DIR) && ctest --output-on-failure -j$(JOBS) -LE heavy

# The tests labelled "heavy" (minutes each: 200 sessions x 20 MiB against the memory budget).
test-heavy: deps
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DHIKYAKU_SANITIZE=ON -DHIKYAKU_WERROR=ON
	cmake --build $(TEST_DIR) -j$(JOBS) --target hikyaku
	cd $(TEST_DIR) && ctest --output-on-failure -L heavy

# Soak (tests/soak/soak.py, not part of `make test`): SOAK_MESSAGES messages over SOAK_SESSIONS
# sessions through the release binary while destinations, DNS and SPF helpers fail and the relay
# is killed with SIGKILL SOAK_KILLS times; prints the outcome table, fails if any 250 was lost.
# A quick run: make soak SOAK_MESSAGES=2000 SOAK_KILLS=3
SOAK_MESSAGES ?= 30000
SOAK_SESSIONS ?= 30
SOAK_KILLS ?= 20
soak: build
	HIKYAKU_BIN=$(abspath $(RELEASE_DIR))/app/hikyaku PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 \
	  tests/soak/soak.py --messages $(SOAK_MESSAGES) --sessions $(SOAK_SESSIONS) --kills $(SOAK_KILLS)

# The benchmark of issue 13 (bench/run-bench.sh, as root): Hikyaku plain, full, Ed25519-only and on
# one core, beside Postfix plain, Postfix + postsrsd + OpenDKIM + OpenDMARC and Postfix + postsrsd +
# rspamd, with the same load in a private network namespace; idle-session and large-message memory.
# bench/deps.sh installs the stacks it compares against. Prints the table and the ratios and
# writes them to $(BENCH_OUT) (default /tmp/hikyaku-bench/DATE). A quick run: make bench COUNT=300
# (SLOW_COUNT, for the configurations near 200 msg/s, defaults to COUNT but at most 2000.)
COUNT ?= 5000
SLOW_COUNT ?=
PERF ?= 0
PERF_CONFIGS ?= full
bench: build
	COUNT=$(COUNT) SLOW_COUNT=$(SLOW_COUNT) PERF=$(PERF) PERF_CONFIGS="$(PERF_CONFIGS)" bash bench/run-bench.sh

# libFuzzer binaries (clang) for every parser; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S tests/fuzz/libfuzzer -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_DIR) -j$(JOBS)
	bash tests/fuzz/run-all.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The container image (deploy/Dockerfile) with podman, or buildah where podman is missing. No
# registry image is pulled: deploy/image/base.sh makes the Debian 12 bases with mmdebstrap from
# Debian's packages and tags them $(IMAGE_BASE):bookworm and :bookworm-slim.
IMAGE ?= localhost/hikyaku:latest
IMAGE_BASE ?= localhost/debian
IMAGE_TOOL ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo buildah)
# Extra build flags, e.g. IMAGE_BUILD_FLAGS=--isolation=chroot where no OCI runtime can start a
# container (the RUN steps then run in a chroot).
IMAGE_BUILD_FLAGS ?=
image:
	@bash deploy/image-deps.sh
	bash deploy/image/base.sh $(IMAGE_TOOL) $(IMAGE_BASE)
	$(IMAGE_TOOL) build $(IMAGE_BUILD_FLAGS) -f deploy/Dockerfile -t $(IMAGE) --build-arg JOBS=$(JOBS) \
	  --build-arg BUILD_BASE=$(IMAGE_BASE):bookworm --build-arg RUNTIME_BASE=$(IMAGE_BASE):bookworm-slim .

# Runs the image (podman run, or buildah run --isolation chroot where podman's OCI runtime cannot
# start a container; host network) and sends a message through it on loopback to a sink, with
# NSD for DNS (tests/integration/test_image.py, deploy/image/test.sh).
image-test: deps image
	IMAGE=$(IMAGE) bash deploy/image/test.sh

clean:
	rm -rf build
