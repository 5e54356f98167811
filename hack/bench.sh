#!/usr/bin/env bash
# bench.sh: tweetflow's benchmarks (`make bench`).
#
#   hack/bench.sh [SECTION...]     sections: ingest-clean train-1600k gensim serve train stream rules
#                                  (default: all, in that order)
#
# 1. ingest-clean: the real stage binaries on a large corpus. The corpus is
#    made once by hack/gencorpus (1.6M and 400k rows resampled from the real
#    tweets of $DATA with seed 1 and token perturbation 0.1; see its doc) and
#    kept in $TWEETFLOW_CACHE/corpus/. Each round runs
#    `ingest --sources corpus.csv` then `clean` on its output in a fresh FS
#    store under /usr/bin/time and prints, per stage, wall seconds, tweets/s,
#    peak RSS, user+sys CPU seconds and the 1-minute load average before the
#    run; the ingest+clean line is rows / (ingest wall + clean wall), the
#    figure of the target (>= 200k tweets/s on 2 cores, peak RSS < 300 MiB).
#    The machine may be shared: compare CPU seconds, and the load average;
#    RT=1 runs the measured stages at real-time priority (chrt -f 10, needs
#    root or CAP_SYS_NICE) so that other work does not preempt them: about
#    the wall time of an idle machine with the same cores (this section and
#    serve, whose script reads RT too; train and gensim are long and would
#    starve the rest of the machine).
# 2. train-1600k: balance-split and train (--epochs $TRAIN_EPOCHS, default 1,
#    no word vectors) on the cleaned 1.6M-row output of the last
#    ingest-clean round, with wall time, CPU and peak RSS (needs section 1).
# 3. gensim: hack/gensim-compare/compare.sh (embed words/s vs gensim).
# 4. serve: hack/bench-serve.sh (model server vs a Flask peer).
# 5. train: go test -bench . -benchtime 3x ./internal/model/classifier/
#    (BenchmarkTrain1600k too with TWEETFLOW_BENCH_LARGE=1: ~1 min)
#    (BenchmarkTrain50k: train time and peak memory on 50k tweets).
# 6. stream: go test -bench 'BenchmarkStream/postgres|BenchmarkKafka' -benchtime 3x
#    ./internal/scoring/ in one run: 20k real tweets scored in process
#    into a local PostgreSQL (fsync off) from a JSONL file, and from an
#    in-process kfake Kafka cluster (3 partitions, a fresh consumer group
#    per iteration: join, poll, decode, score, store, commit), scoring in
#    process (BenchmarkKafka/inprocess; inprocess-rules: the same model
#    with the 24 example rules as rule features) and through the model server's
#    POST /predict over loopback HTTP (BenchmarkKafka/server, as score
#    --predict-url does), tweets/s end to end (target >= 50,000 on the
#    Kafka path) and tweets/cpu-s.
# 7. rules: go test -bench BenchmarkRuleFeatures ./internal/weak/: the
#    example rules (24 labeling functions) on the raw text of 5,000 demo
#    tweets, ns/tweet, against the featurizer's ids of their clean text as
#    the peer in the same run (x-ids = rules / ids): what a model with rule
#    features adds to every tweet it scores, and the label stage's cost.
# A missing script or package prints "skipped: <what> not found"; each
# section is bounded by $SECTION_TIMEOUT (default 600 s), so the whole run
# stays under about 15 minutes.
#
#    Clean runs once per --state in STATES (default "disk memory": the
#    bounded-memory default, then the in-memory hash tables as its peer, on
#    the same ingest output); the kept output is the last one's.
# Env: ROUNDS (1: ingest+clean rounds per size), SIZES ("400000 1600000"), RT (0), STATES,
# DATA (/work/shared/data; testdata/demo when missing), TWEETFLOW_CACHE
# (~/.cache/tweetflow), GENSIM_ROUNDS (1), SECTION_TIMEOUT (600).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}
CORPUS_DIR=$CACHE/corpus
ROUNDS=${ROUNDS:-1}
SIZES=${SIZES:-400000 1600000}
STATES=${STATES:-disk memory}
DATA=${DATA:-/work/shared/data}
SECTION_TIMEOUT=${SECTION_TIMEOUT:-600}
SEED=1
PERTURB=0.1
TIME=/usr/bin/time
PRIO=() # prefix of the measured commands
if [[ ${RT:-0} == 1 ]]; then
	chrt -f 10 true 2>/dev/null || { echo "bench: RT=1 needs chrt and permission for real-time priority" >&2; exit 2; }
	PRIO=(chrt -f 10)
fi
sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(ingest-clean train-1600k gensim serve train stream rules)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LARGE_STORE=$WORK/large-store # the store of the last ingest-clean round, kept for train-1600k

want() { local s; for s in "${sections[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
hr() { printf '\n== %s\n' "$*"; }

ingest_clean() {
	[[ -x $TIME ]] || { echo "skipped: $TIME not found (apt-get install time)"; return 0; }
	hr "building ingest, clean and gencorpus (CGO off)"
	(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/" ./components/ingest ./components/clean \
		./components/balance-split ./components/train ./hack/gencorpus)
	mkdir -p "$CORPUS_DIR"
	for n in $SIZES; do
		local f="$CORPUS_DIR/tweets-$n-seed$SEED-p$PERTURB.csv"
		if [[ -s $f ]]; then
			echo "corpus: $f (cached)"
		else
			(cd "$ROOT" && "$WORK/bin/gencorpus" --rows "$n" --seed "$SEED" --perturb "$PERTURB" --data "$DATA" --out "$f")
		fi
	done

	hr "ingest + clean (nproc $(nproc); default parameters; --conflicts majority reads the input twice${PRIO[*]:+; under ${PRIO[*]}})"
	local fmt='%-20s %9s %5s %8s %10s %9s %8s %6s\n'
	# shellcheck disable=SC2059
	printf "$fmt" stage rows round seconds tweets/s rss-MiB cpu-s load1
	for n in $SIZES; do
		local f="$CORPUS_DIR/tweets-$n-seed$SEED-p$PERTURB.csv"
		for r in $(seq "$ROUNDS"); do
			local store="$WORK/store-$n-$r" l1 l2
			local common=(--store "$store" --run-id bench --progress none --log-format json --termination-log '')
			l1=$(load1)
			"${PRIO[@]}" "$TIME" -f '%e %M %U %S' -o "$WORK/ingest.time" "$WORK/bin/ingest" "${common[@]}" --sources "$f" \
				>"$WORK/ingest.out" 2>"$WORK/ingest.err" || { cat "$WORK/ingest.err"; return 1; }
			for state in $STATES; do
				l2=$(load1)
				"${PRIO[@]}" "$TIME" -f '%e %M %U %S' -o "$WORK/clean.time" "$WORK/bin/clean" "${common[@]}" --state "$state" \
					>"$WORK/clean.out" 2>"$WORK/clean.err" || { cat "$WORK/clean.err"; return 1; }
				awk -v n="$n" -v r="$r" -v l1="$l1" -v l2="$l2" -v fmt="$fmt" -v st="$state" '
					FNR == 1 && FILENAME ~ /ingest/ { iw = $1; im = $2; ic = $3 + $4 }
					FNR == 1 && FILENAME ~ /clean/  { cw = $1; cm = $2; cc = $3 + $4 }
					END {
						if (st == first) printf fmt, "ingest", n, r, sprintf("%.2f", iw), sprintf("%.0f", n / iw), sprintf("%.0f", im / 1024), sprintf("%.2f", ic), l1
						printf fmt, "clean/" st, n, r, sprintf("%.2f", cw), sprintf("%.0f", n / cw), sprintf("%.0f", cm / 1024), sprintf("%.2f", cc), l2
						printf fmt, "ingest+clean/" st, n, r, sprintf("%.2f", iw + cw), sprintf("%.0f", n / (iw + cw)), sprintf("%.0f", (im > cm ? im : cm) / 1024), sprintf("%.2f", ic + cc), l1
					}' first="${STATES%% *}" "$WORK/ingest.time" "$WORK/clean.time"
				grep -h '^clean:' "$WORK/clean.out" | sed 's/^/    /' || true
			done
			rm -rf "$LARGE_STORE"
			mv "$store" "$LARGE_STORE"
			echo "$n" >"$WORK/large-rows"
		done
	done
	echo "(tweets/s of a stage = rows / its wall seconds; cpu-s = user+sys; rss = peak resident set of the process)"
}

# timed NAME CMD...: runs CMD under /usr/bin/time and prints one table row.
timed() {
	local name=$1 l1
	shift
	l1=$(load1)
	timeout "$SECTION_TIMEOUT" "$TIME" -f '%e %M %U %S' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
		{ echo "$name failed or timed out:"; tail -5 "$WORK/$name.err"; return 1; }
	awk -v name="$name" -v l1="$l1" '{ printf "%-14s %8.2f %9.0f %8.2f %6s\n", name, $1, $2 / 1024, $3 + $4, l1 }' "$WORK/$name.time"
}

train_large() {
	[[ -d $LARGE_STORE ]] || { hr "train-1600k"; echo "skipped: no cleaned corpus (run the ingest-clean section first)"; return 0; }
	hr "train on the cleaned $(cat "$WORK/large-rows")-row corpus: balance-split, then train --epochs ${TRAIN_EPOCHS:-1} (no word vectors)"
	local d=$LARGE_STORE/runs/bench common=(--store "$LARGE_STORE" --progress none --log-format json --termination-log '')
	printf '%-14s %8s %9s %8s %6s\n' stage seconds rss-MiB cpu-s load1
	timed balance-split "$WORK/bin/balance-split" "${common[@]}" --run-id bench || return 0
	timed train "$WORK/bin/train" "${common[@]}" --train "$d/balance-split/train" \
		--validation "$d/balance-split/validation" --epochs "${TRAIN_EPOCHS:-1}" || return 0
	grep -h '"done"' "$WORK/train.err" | sed 's/^/    /' | cut -c1-300 || true
	grep -h '"finished"' "$WORK/train.err" | sed 's/^/    /' | cut -c1-300 || true
}

gensim() {
	local s="$ROOT/hack/gensim-compare/compare.sh"
	hr "embed: Go word2vec vs gensim ($s)"
	[[ -x $s ]] || { echo "skipped: $s not found"; return 0; }
	timeout "$SECTION_TIMEOUT" "$s" "${GENSIM_ROUNDS:-1}" || echo "gensim-compare failed or timed out (exit $?)"
}

serve() {
	local s="$ROOT/hack/bench-serve.sh"
	hr "serving: Go server vs Flask peer ($s)"
	[[ -x $s ]] || { echo "skipped: $s not found"; return 0; }
	timeout "$SECTION_TIMEOUT" "$s" || echo "bench-serve failed or timed out (exit $?)"
}

train() {
	local p="$ROOT/internal/model/classifier"
	hr "train: go test -bench . -benchtime 3x ./internal/model/classifier/"
	if ! grep -qs '^func Benchmark' "$p"/*_test.go; then
		echo "skipped: benchmarks in $p not found"
		return 0
	fi
	(cd "$ROOT" && timeout "$SECTION_TIMEOUT" go test -run '^$' -bench . -benchtime 3x ./internal/model/classifier/) ||
		echo "classifier benchmarks failed or timed out (exit $?)"
}

stream() {
	hr "stream: file -> PostgreSQL vs Kafka (kfake) -> PostgreSQL, in-process scoring vs through the model server"
	(cd "$ROOT" && timeout "$SECTION_TIMEOUT" go test -run '^$' -bench 'BenchmarkStream/postgres|BenchmarkKafka' -benchtime 3x ./internal/scoring/) ||
		echo "stream benchmarks failed or timed out (exit $?)"
}

rules() {
	hr "rules: labeling functions on raw tweets vs the featurizer's ids (peer)"
	(cd "$ROOT" && timeout "$SECTION_TIMEOUT" go test -run '^$' -bench BenchmarkRuleFeatures -benchtime 20000x -count 3 ./internal/weak/) ||
		echo "rule benchmarks failed or timed out (exit $?)"
}

echo "tweetflow bench: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), go $(go env GOVERSION)"
want ingest-clean && ingest_clean
want train-1600k && train_large
want gensim && gensim
want serve && serve
want train && train
want stream && stream
want rules && rules
exit 0
