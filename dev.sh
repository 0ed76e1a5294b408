#!/usr/bin/env bash
# smmusim developer entry point: the README's two commands.
#   ./dev.sh main   install missing Debian packages, build, run the main job
#                   (the bundled scenario campaign, scenarios/library)
#   ./dev.sh test   install missing Debian packages, build, run every test
#                   (gcc build, clang with AddressSanitizer+UBSan, clang with
#                   ThreadSanitizer for the threaded tests, and the kernel
#                   patch checked against Debian's real 6.1 tree)
# Other targets: ./dev.sh coverage (lcov HTML report), ./dev.sh bench.
set -euo pipefail
cd "$(dirname "$0")"

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libcmocka-dev libelf-dev libjansson-dev uthash-dev lcov valgrind)

deps() {
	local missing=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "dev.sh: installing ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake args...]
	local dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j "$JOBS" -- --no-print-directory >/dev/null
}

case "${1:-}" in
main)
	deps
	build build
	# The main job: the bundled scenario campaign, one worker per core.
	./build/smmusim campaign -j "$JOBS" --junit build/campaign-junit.xml \
		--report build/campaign-report scenarios/library
	echo "report: build/campaign-report/index.html  JUnit: build/campaign-junit.xml"
	;;
test)
	deps
	echo "== gcc build, full test suite"
	CC=gcc build build-gcc
	ctest --test-dir build-gcc -j "$JOBS" --output-on-failure
	echo "== clang build with AddressSanitizer + UndefinedBehaviorSanitizer"
	CC=clang build build-asan -DSMMUSIM_SANITIZE=address -DSMMUSIM_BUILD_BENCH=OFF
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan -j "$JOBS" --output-on-failure
	echo "== clang build with ThreadSanitizer, threaded tests"
	CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMMUSIM_SANITIZE=thread \
		-DSMMUSIM_BUILD_BENCH=OFF >/dev/null
	cmake --build build-tsan -j "$JOBS" --target threaded_tests -- --no-print-directory >/dev/null
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest --test-dir build-tsan -j "$JOBS" --output-on-failure -L threads
	echo "== libFuzzer harnesses, ${FUZZ_SECONDS:-15} s each"
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMMUSIM_FUZZ=ON \
		-DSMMUSIM_BUILD_TESTS=OFF -DSMMUSIM_BUILD_BENCH=OFF >/dev/null
	cmake --build build-fuzz -j "$JOBS" -- --no-print-directory >/dev/null
	for f in build-fuzz/fuzz/fuzz_*; do
		name=$(basename "$f")
		mkdir -p "build-fuzz/corpus/$name"
		"$f" -max_total_time="${FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=4096 \
			-artifact_prefix="build-fuzz/$name-" "build-fuzz/corpus/$name" \
			"fuzz/corpus/${name#fuzz_}" 2>"build-fuzz/$name.log" ||
			{ tail -40 "build-fuzz/$name.log"; echo "$name: FAILED" >&2; exit 1; }
		tail -1 "build-fuzz/$name.log"
	done
	echo "== kernel patch against Debian's linux-source-6.1 and 6.1 headers"
	kernel-patch/check-real-tree.sh "$PWD/build-kernel"
	;;
coverage)
	deps
	CC=gcc build build-cov -DSMMUSIM_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug -DSMMUSIM_BUILD_BENCH=OFF
	cmake --build build-cov --target coverage
	;;
bench)
	deps
	build build
	for b in build/bench/bench_*; do "$b"; done
	;;
*)
	echo "usage: ./dev.sh main | test | coverage | bench" >&2
	exit 2
	;;
esac
