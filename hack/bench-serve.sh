#!/usr/bin/env bash
# bench-serve.sh: the Go model server (components/serve) against a Flask +
# scikit-learn peer of the same API (hack/flask-peer), both on 127.0.0.1,
# measured with the same wrk script and durations.
#
#   hack/bench-serve.sh [MODEL_DIR]
#
# Without MODEL_DIR it trains the Go demo model (hack/flask-peer/mkmodel)
# and the peer's TF-IDF + logistic regression on the same SemEval files.
# Knobs (env): DURATION (10s per wrk run), THREADS (2), CONNS (64),
# RATE (5000 req/s for the open-loop p99 run), BATCH (100 texts per batch
# request), DATA (SemEval folder), GO_PORT (18080), PEER_PORT (18091),
# PEER_WORKERS (2). Needs wrk, gunicorn, python3-flask and python3-sklearn
# (Debian packages; hack/install-test-deps.sh). Every load run is bounded
# by DURATION and targets 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
RATE=${RATE:-5000}
BATCH=${BATCH:-100}
DATA=${DATA:-/work/shared/data/semeval2017-task4a}
GO_PORT=${GO_PORT:-18080}
PEER_PORT=${PEER_PORT:-18091}
PEER_WORKERS=${PEER_WORKERS:-2}
PY=/usr/bin/python3

for tool in wrk gunicorn "$PY"; do
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
	echo "== training the Go demo model"
	(cd "$ROOT" && go run ./hack/flask-peer/mkmodel --data "$DATA" --out "$WORK/model")
	MODEL=$WORK/model
fi
echo "== training the Flask peer's model"
(cd "$WORK" && TWEETFLOW_DATA=$DATA "$PY" "$ROOT/hack/flask-peer/app.py" train --out "$WORK/peer.pkl")

echo "== request bodies from twitter-2016test-A.txt"
"$PY" - "$DATA/twitter-2016test-A.txt" "$WORK" "$BATCH" <<'EOF'
import json, re, sys
src, out, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
esc = re.compile(r"\\u([0-9a-fA-F]{4})")
texts = []
with open(src, encoding="utf-8") as f:
    for line in f:
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3:
            t = esc.sub(lambda m: chr(int(m.group(1), 16)), p[2]).strip('"')
            if t.strip():
                texts.append(t)
texts = texts[:4000]
with open(f"{out}/single.txt", "w") as f:
    for t in texts:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
with open(f"{out}/batch.txt", "w") as f:
    for i in range(0, len(texts) - batch + 1, batch):
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

echo "== starting both servers on 127.0.0.1"
"$WORK/serve" --model "$MODEL" --addr "127.0.0.1:$GO_PORT" --log-requests=false --reload-interval 0 >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
(cd "$ROOT/hack/flask-peer" && FLASK_PEER_MODEL="$WORK/peer.pkl" exec gunicorn -w "$PEER_WORKERS" -k gthread --threads 8 \
	-b "127.0.0.1:$PEER_PORT" --log-level warning app:app >"$WORK/peer.log" 2>&1) &
PIDS+=($!)
for url in "http://127.0.0.1:$GO_PORT/readyz" "http://127.0.0.1:$PEER_PORT/readyz"; do
	for _ in $(seq 1 200); do
		curl -fs "$url" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fs "$url" >/dev/null || { echo "bench-serve: $url not ready"; cat "$WORK"/*.log; exit 1; }
done

# run NAME PORT BODIES: one wrk run; prints req/s and latency percentiles.
declare -A RPS
run() {
	local name=$1 port=$2 bodies=$3
	BODIES=$bodies wrk -t1 -c4 -d2s -s "$WORK/bodies.lua" "http://127.0.0.1:$port/predict" >/dev/null # warm-up
	BODIES=$bodies wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/bodies.lua" \
		"http://127.0.0.1:$port/predict" >"$WORK/$name.wrk"
	local rps p50 p90 p99 errs
	rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$name.wrk")
	p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.wrk")
	p90=$(awk '$1=="90%" {print $2}' "$WORK/$name.wrk")
	p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.wrk")
	errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$WORK/$name.wrk")
	RPS[$name]=$rps
	printf "%-14s %12s req/s   p50 %-9s p90 %-9s p99 %-9s %s\n" "$name" "$rps" "$p50" "$p90" "$p99" "$errs"
}

echo "== wrk: $THREADS threads, $CONNS connections, $DURATION per run (wrk shares the 2 cores with the server)"
run go-single "$GO_PORT" "$WORK/single.txt"
run flask-single "$PEER_PORT" "$WORK/single.txt"
run go-batch "$GO_PORT" "$WORK/batch.txt"
run flask-batch "$PEER_PORT" "$WORK/batch.txt"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
tweets() { awk -v r="$1" -v b="$BATCH" 'BEGIN { printf "%.0f", r * b }'; }
echo
echo "single text: Go/Flask = $(ratio "${RPS[go-single]}" "${RPS[flask-single]}")x"
echo "batch of $BATCH: Go $(tweets "${RPS[go-batch]}") tweets/s, Flask $(tweets "${RPS[flask-batch]}") tweets/s, Go/Flask = $(ratio "${RPS[go-batch]}" "${RPS[flask-batch]}")x"
echo
echo "== open loop: $RATE req/s for $DURATION against the Go server (latency from the scheduled send time)"
"$WORK/loadgen" -url "http://127.0.0.1:$GO_PORT/predict" -bodies "$WORK/single.txt" -rate "$RATE" -duration "$DURATION"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews every figure)"
