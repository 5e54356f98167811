#!/usr/bin/env bash
# Compare training speed of gensim 4 Word2Vec and tweetflow's Go word2vec on
# the same tweet corpus and settings, in the same run.
#
#   hack/gensim-compare/compare.sh [ROUNDS]
#
# Env: DATA (default /work/shared/data), MIN_COUNT (5), WORKERS (2),
# EPOCHS (5), SG (1), AGREE=1 to also compare nearest neighbours.
# Both figures are raw corpus words x epochs / wall time of training only
# (vocabulary building excluded), so they are comparable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-3}
data=${DATA:-/work/shared/data}
py=/usr/bin/python3
args=(--dim 100 --window 5 --negative 5 --min-count "${MIN_COUNT:-5}" --sample 1e-3
      --epochs "${EPOCHS:-5}" --sg "${SG:-1}" --workers "${WORKERS:-2}" --seed 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$root" && go build -o "$tmp/w2v-go" ./hack/gensim-compare)
"$py" "$here/compare.py" prep "$data" "$tmp/corpus.txt" >&2
echo "settings: ${args[*]}" >&2

out=()
for r in $(seq "$rounds"); do
  extra_g=() extra_o=()
  if [[ "${AGREE:-0}" == 1 && $r == 1 ]]; then
    extra_g=(--out "$tmp/gensim.txt") extra_o=(-out "$tmp/go.txt")
  fi
  g=$("$py" "$here/compare.py" train "$tmp/corpus.txt" "${args[@]}" "${extra_g[@]}")
  o=$("$tmp/w2v-go" --corpus "$tmp/corpus.txt" "${args[@]}" "${extra_o[@]}")
  echo "round $r gensim: $g" >&2
  echo "round $r go:     $o" >&2
  out+=("$g" "$o")
done

printf '%s\n' "${out[@]}" | "$py" "$here/compare.py" summary
if [[ "${AGREE:-0}" == 1 ]]; then
  "$py" "$here/compare.py" agree "$tmp/gensim.txt" "$tmp/go.txt"
fi
