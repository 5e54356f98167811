#!/usr/bin/env bash
# bench-serve.sh: the Go model server (components/serve) against a Flask +
# scikit-learn peer of the same API (hack/flask-peer), both on 127.0.0.1,
# measured with the same wrk script and durations in the same run.
#
#   hack/bench-serve.sh [MODEL_DIR]
#
# MODEL_DIR defaults to the newest trained demo model
# ($ROOT/.tweetflow/runs/*/export-onnx/onnx, from `make demo`), copied to a
# temporary folder first; without one it trains a Go model with
# hack/flask-peer/mkmodel. The peer trains TF-IDF + logistic regression on
# the same SemEval files. Request bodies are tweets of
# twitter-2016test-A.txt: single texts, and batches of 100 and 1000.
#
# Every wrk run prints req/s, tweets/s, p50/p90/p99 (wrk's closed loop:
# CONNS connections back to back, so latency is queueing-dominated), the
# 1-minute load average, and the CPU time per request of the server (from
# /proc/<pid>/stat of it and its child processes, before and after) and of
# wrk itself (it runs on the same cores). CPU per request barely depends
# on the other work on a shared machine: "2-core capacity" is the rate that
# 2 quiet cores would sustain, 2 s / (server + wrk CPU per request). The
# open-loop run (hack/flask-peer/loadgen: RATE req/s whatever the latency,
# measured from each request's scheduled send time) gives the p99 at a
# fixed rate for both servers (the peer at PEER_RATE, it cannot do RATE).
#
# Knobs (env): DURATION (10s per run), THREADS (2), CONNS (64 for single
# texts), BATCH_CONNS (8 for batches: 64 connections of 1000 tweets queue
# for seconds and hit wrk's timeout), RATE (5000 req/s open loop), PEER_RATE
# (500), DATA (SemEval folder), GO_PORT (18080), PEER_PORT (18091),
# PEER_WORKERS (2), GO_ENV (extra environment of the Go server, e.g.
# "GOGC=400 GOMAXPROCS=1"; default none), SKIP_PEER (1: Go only), RT (1:
# the servers, wrk and the load generator run at real-time priority, chrt
# -f 10, so that other work on a shared machine does not preempt them; the
# build runs before, at normal priority: do not wrap the whole script in
# chrt, a real-time `go build` can starve the machine). Needs wrk, gunicorn, python3-flask, python3-sklearn and
# /usr/bin/time (Debian packages; hack/install-test-deps.sh). Every load run
# is bounded by DURATION and targets 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
BATCH_CONNS=${BATCH_CONNS:-8}
RATE=${RATE:-5000}
PEER_RATE=${PEER_RATE:-500}
DATA=${DATA:-/work/shared/data/semeval2017-task4a}
GO_PORT=${GO_PORT:-18080}
PEER_PORT=${PEER_PORT:-18091}
PEER_WORKERS=${PEER_WORKERS:-2}
GO_ENV=${GO_ENV:-}
SKIP_PEER=${SKIP_PEER:-}
PY=/usr/bin/python3
TIME=/usr/bin/time
HZ=$(getconf CLK_TCK)

PRIO=() # prefix of the measured processes
if [[ ${RT:-0} == 1 ]]; then
	chrt -f 10 true 2>/dev/null || { echo "bench-serve: RT=1 needs chrt and permission for real-time priority" >&2; exit 2; }
	PRIO=(chrt -f 10)
fi
for tool in wrk gunicorn "$PY" "$TIME"; do
	command -v "$tool" >/dev/null || { echo "bench-serve: $tool is missing (hack/install-test-deps.sh)" >&2; exit 2; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building the server (CGO_ENABLED=0) and the load generator"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$WORK/serve" ./components/serve && go build -o "$WORK/loadgen" ./hack/flask-peer/loadgen)

MODEL=${1:-}
if [[ -z "$MODEL" ]]; then
	# shellcheck disable=SC2012
	demo=$(ls -td "$ROOT"/.tweetflow/runs/*/export-onnx/onnx 2>/dev/null | head -1 || true)
	if [[ -n "$demo" && -s "$demo/model.onnx" ]]; then
		echo "== using the demo model $demo"
		cp -r "$demo" "$WORK/model"
	else
		echo "== training the Go model (no demo model; run 'make demo' for the real one)"
		(cd "$ROOT" && go run ./hack/flask-peer/mkmodel --data "$DATA" --out "$WORK/model")
	fi
	MODEL=$WORK/model
fi
echo "model: $MODEL ($(du -sh "$MODEL" | cut -f1))"
if [[ -z "$SKIP_PEER" ]]; then
	echo "== training the Flask peer's model"
	(cd "$WORK" && TWEETFLOW_DATA=$DATA "$PY" "$ROOT/hack/flask-peer/app.py" train --out "$WORK/peer.pkl")
fi

echo "== request bodies from twitter-2016test-A.txt"
"$PY" - "$DATA/twitter-2016test-A.txt" "$WORK" <<'EOF'
import json, re, sys
src, out = sys.argv[1], sys.argv[2]
esc = re.compile(r"\\u([0-9a-fA-F]{4})")
texts = []
with open(src, encoding="utf-8") as f:
    for line in f:
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3:
            t = esc.sub(lambda m: chr(int(m.group(1), 16)), p[2]).strip('"')
            if t.strip():
                texts.append(t)
with open(f"{out}/single.txt", "w") as f:
    for t in texts[:4000]:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
for batch in (100, 1000):
    with open(f"{out}/batch{batch}.txt", "w") as f:
        for i in range(0, min(len(texts), 20 * batch) - batch + 1, batch):
            f.write(json.dumps({"texts": texts[i:i + batch]}, ensure_ascii=False) + "\n")
EOF

cat >"$WORK/bodies.lua" <<'EOF'
-- Cycles through request bodies (one JSON per line of BODIES) as POSTs.
local bodies, i = {}, 0
local path = os.getenv("BODIES")
for line in io.lines(path) do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, wrk.path, nil, bodies[i])
end
EOF

# Another run of this script (or anything else) on the same ports would be
# measured instead of ours: refuse to start.
for port in "$GO_PORT" $([[ -z "$SKIP_PEER" ]] && echo "$PEER_PORT"); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "bench-serve: 127.0.0.1:$port is in use (another benchmark?); set GO_PORT / PEER_PORT" >&2
		exit 1
	fi
done
echo "== starting the servers on 127.0.0.1"
# shellcheck disable=SC2086
"${PRIO[@]}" env $GO_ENV "$WORK/serve" --model "$MODEL" --addr "127.0.0.1:$GO_PORT" --log-requests=false --reload-interval 0 >"$WORK/serve.log" 2>&1 &
GO_PID=$!
PIDS+=("$GO_PID")
urls=("http://127.0.0.1:$GO_PORT/readyz")
if [[ -z "$SKIP_PEER" ]]; then
	(cd "$ROOT/hack/flask-peer" && FLASK_PEER_MODEL="$WORK/peer.pkl" exec "${PRIO[@]}" gunicorn -w "$PEER_WORKERS" -k gthread --threads 8 \
		-b "127.0.0.1:$PEER_PORT" --log-level warning app:app >"$WORK/peer.log" 2>&1) &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	urls+=("http://127.0.0.1:$PEER_PORT/readyz")
fi
for url in "${urls[@]}"; do
	for _ in $(seq 1 300); do
		curl -fs "$url" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fs "$url" >/dev/null || { echo "bench-serve: $url not ready"; cat "$WORK"/*.log; exit 1; }
done
for p in "$GO_PID" ${PEER_PID:-}; do
	kill -0 "$p" 2>/dev/null || { echo "bench-serve: server $p exited"; cat "$WORK"/*.log; exit 1; }
done
echo "Go server: $GO_ENV; GOMAXPROCS default ($(nproc) cores); peer: gunicorn $PEER_WORKERS workers x 8 threads"

# ticks PID: CPU clock ticks (user + system) of PID and its children.
ticks() {
	local t=0 p
	for p in "$1" $(pgrep -P "$1" || true); do
		[[ -r /proc/$p/stat ]] || continue
		# Fields after the ")" of the command: utime is the 12th, stime the 13th.
		t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo "$t"
}

declare -A RPS CPU
fmt='%-15s %9s %10s %8s %8s %8s %9s %9s %10s %6s %s\n'
# shellcheck disable=SC2059
header() { printf "$fmt" run req/s tweets/s p50 p90 p99 srv-us/rq wrk-us/rq 2core-cap load1 errors; }

# run NAME PID PORT BODIES TEXTS_PER_REQUEST CONNECTIONS: one wrk run.
run() {
	local name=$1 pid=$2 port=$3 bodies=$4 per=$5 conns=$6
	BODIES=$bodies wrk -t1 -c4 -d2s -s "$WORK/bodies.lua" "http://127.0.0.1:$port/predict" >/dev/null # warm-up
	local l1 t0 t1
	l1=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(ticks "$pid")
	BODIES=$bodies "${PRIO[@]}" "$TIME" -f '%U %S' -o "$WORK/$name.time" wrk -t"$THREADS" -c"$conns" -d"$DURATION" --timeout 10s --latency \
		-s "$WORK/bodies.lua" "http://127.0.0.1:$port/predict" >"$WORK/$name.wrk"
	t1=$(ticks "$pid")
	local rps reqs p50 p90 p99 errs srv wrkcpu
	rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$name.wrk")
	reqs=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
	p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.wrk")
	p90=$(awk '$1=="90%" {print $2}' "$WORK/$name.wrk")
	p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.wrk")
	errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$WORK/$name.wrk")
	srv=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
	wrkcpu=$(awk -v n="$reqs" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$WORK/$name.time")
	RPS[$name]=$rps
	CPU[$name]=$(awk -v a="$srv" -v b="$wrkcpu" 'BEGIN { print a + b }')
	# shellcheck disable=SC2059
	printf "$fmt" "$name" "$rps" "$(awk -v r="$rps" -v b="$per" 'BEGIN { printf "%.0f", r * b }')" "$p50" "$p90" "$p99" \
		"$srv" "$wrkcpu" "$(awk -v c="${CPU[$name]}" -v b="$per" 'BEGIN { printf "%.0f/s", 2e6 / c * b }')" "$l1" "$errs"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

echo "== wrk: $THREADS threads, $CONNS connections (batches: $BATCH_CONNS), $DURATION per run (wrk shares the $(nproc) cores with the server)"
echo "   srv-us/rq and wrk-us/rq: CPU microseconds per request; 2core-cap: tweets/s of 2 quiet cores at that CPU cost"
header
run go-single "$GO_PID" "$GO_PORT" "$WORK/single.txt" 1 "$CONNS"
[[ -z "$SKIP_PEER" ]] && run flask-single "$PEER_PID" "$PEER_PORT" "$WORK/single.txt" 1 "$CONNS"
run go-batch100 "$GO_PID" "$GO_PORT" "$WORK/batch100.txt" 100 "$BATCH_CONNS"
[[ -z "$SKIP_PEER" ]] && run flask-batch100 "$PEER_PID" "$PEER_PORT" "$WORK/batch100.txt" 100 "$BATCH_CONNS"
run go-batch1000 "$GO_PID" "$GO_PORT" "$WORK/batch1000.txt" 1000 "$BATCH_CONNS"
[[ -z "$SKIP_PEER" ]] && run flask-batch1000 "$PEER_PID" "$PEER_PORT" "$WORK/batch1000.txt" 1000 "$BATCH_CONNS"

# openloop NAME PID PORT RATE: the open-loop p99 at a fixed rate.
openloop() {
	local name=$1 pid=$2 port=$3 rate=$4 l1 t0 t1
	l1=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(ticks "$pid")
	"${PRIO[@]}" "$TIME" -f '%U %S' -o "$WORK/$name.time" "$WORK/loadgen" -url "http://127.0.0.1:$port/predict" \
		-bodies "$WORK/single.txt" -rate "$rate" -duration "$DURATION" >"$WORK/$name.out"
	t1=$(ticks "$pid")
	local done
	done=$(sed -n 's/.*completed \([0-9]*\).*/\1/p' "$WORK/$name.out")
	echo "$name (load1 $l1):"
	sed 's/^/    /' "$WORK/$name.out"
	awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$done" '{ if (n > 0) printf "    CPU per request: server %.1f us, loadgen %.1f us\n", d / hz * 1e6 / n, ($1 + $2) * 1e6 / n }' "$WORK/$name.time"
}

echo
echo "== open loop (hack/flask-peer/loadgen): single texts at a fixed rate for $DURATION, latency from the scheduled send time"
openloop go-open "$GO_PID" "$GO_PORT" "$RATE"
[[ -z "$SKIP_PEER" ]] && openloop flask-open "$PEER_PID" "$PEER_PORT" "$PEER_RATE"

echo
echo "== summary (same run)"
echo "single text: Go ${RPS[go-single]} req/s$([[ -z "$SKIP_PEER" ]] && echo ", Flask ${RPS[flask-single]} req/s, Go/Flask = $(ratio "${RPS[go-single]}" "${RPS[flask-single]}")x")"
for b in 100 1000; do
	g=$(awk -v r="${RPS[go-batch$b]}" -v b="$b" 'BEGIN { printf "%.0f", r * b }')
	line="batch of $b: Go $g tweets/s"
	if [[ -z "$SKIP_PEER" ]]; then
		f=$(awk -v r="${RPS[flask-batch$b]}" -v b="$b" 'BEGIN { printf "%.0f", r * b }')
		line+=", Flask $f tweets/s, Go/Flask = $(ratio "$g" "$f")x"
	fi
	echo "$line"
done
if [[ -z "$SKIP_PEER" ]]; then
	echo "CPU per request (server + wrk), Flask/Go: single $(ratio "${CPU[flask-single]}" "${CPU[go-single]}")x, batch100 $(ratio "${CPU[flask-batch100]}" "${CPU[go-batch100]}")x, batch1000 $(ratio "${CPU[flask-batch1000]}" "${CPU[go-batch1000]}")x"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on this machine slows every wall-clock figure; CPU per request depends on it much less, though shared caches still inflate it)"
