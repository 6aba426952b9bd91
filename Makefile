# Thin entry points (DESIGN §2): deps, build, run, test, fuzz. The real build is CMake.
JOBS ?= 2
CONFIG ?= conf/hikyaku.toml
RELEASE_DIR := build/release
TEST_DIR := build/test
FUZZ_DIR := build/fuzz

.PHONY: deps build run test test-heavy soak fuzz clean

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

# libFuzzer binaries (clang) for every parser; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S tests/fuzz/libfuzzer -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_DIR) -j$(JOBS)
	bash tests/fuzz/run-all.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf build
