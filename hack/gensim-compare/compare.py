"""gensim side of hack/gensim-compare (run with /usr/bin/python3).

  compare.py prep DATA_DIR OUT       write the tweet corpus, one lowercased,
                                     whitespace-tokenized tweet per line
  compare.py train CORPUS [options]  train gensim Word2Vec, print one JSON line
  compare.py summary < rows.jsonl     medians and the go/gensim ratio
  compare.py agree A.txt B.txt       neighbour agreement of two vector files
"""
import argparse
import csv
import glob
import json
import os
import sys
import time


def prep(data_dir, out):
    texts = []
    for f in sorted(glob.glob(os.path.join(data_dir, "semeval2017-task4a", "twitter-*.txt"))):
        with open(f, encoding="utf-8", newline="\n") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) == 3:
                    texts.append(parts[2])
    for f in sorted(glob.glob(os.path.join(data_dir, "nltk-twitter-samples", "*.txt"))):
        with open(f, encoding="utf-8", newline="\n") as fh:
            for line in fh:
                line = line.rstrip("\n")
                i = line.rfind("\t")
                if i >= 0:
                    texts.append(line[:i])
    for f in sorted(glob.glob(os.path.join(data_dir, "sentiment140", "*.csv"))):
        with open(f, encoding="utf-8", errors="replace", newline="") as fh:
            for rec in csv.reader(fh):
                if rec:
                    texts.append(rec[-1])
    n = words = 0
    with open(out, "w", encoding="utf-8") as fh:
        for t in texts:
            toks = t.lower().split()
            if toks:
                fh.write(" ".join(toks) + "\n")
                n += 1
                words += len(toks)
    print(json.dumps({"sentences": n, "words": words}))


def cpu_seconds():
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def train(a):
    from gensim.models import Word2Vec
    from gensim.models.word2vec_inner import FAST_VERSION

    with open(a.corpus, encoding="utf-8") as fh:
        sents = [line.split(" ") for line in fh.read().split("\n") if line]
    raw = sum(len(s) for s in sents)
    m = Word2Vec(vector_size=a.dim, window=a.window, negative=a.negative, hs=0,
                 min_count=a.min_count, sample=a.sample, sg=a.sg, workers=a.workers,
                 seed=a.seed, epochs=a.epochs)
    t0 = time.perf_counter()
    m.build_vocab(sents)
    t1 = time.perf_counter()
    c1 = cpu_seconds()
    m.train(sents, total_examples=len(sents), epochs=a.epochs, compute_loss=False)
    t2 = time.perf_counter()
    cpu = cpu_seconds() - c1
    if a.out:
        m.wv.save_word2vec_format(a.out, binary=False)
    print(json.dumps({
        "impl": "gensim", "fast_version": FAST_VERSION, "vocab": len(m.wv),
        "raw_words": raw, "epochs": a.epochs, "train_seconds": t2 - t1,
        "vocab_seconds": t1 - t0, "words_per_sec": raw * a.epochs / (t2 - t1),
        "cpu_seconds": cpu, "words_per_cpu_sec": raw * a.epochs / cpu,
    }))


def agree(a, b, k=10, top=1000):
    """Mean overlap of the k nearest neighbours of the `top` most frequent
    words shared by both files (a rough check that both learnt the same)."""
    from gensim.models import KeyedVectors

    ka = KeyedVectors.load_word2vec_format(a, binary=False)
    kb = KeyedVectors.load_word2vec_format(b, binary=False)
    words = [w for w in ka.index_to_key[:top] if w in kb.key_to_index]
    tot = 0.0
    for w in words:
        na = {x for x, _ in ka.most_similar(w, topn=k)}
        nb = {x for x, _ in kb.most_similar(w, topn=k)}
        tot += len(na & nb) / k
    print(json.dumps({"a": a, "b": b, "words": len(words), "k": k,
                      "mean_overlap": tot / max(1, len(words))}))


def summary():
    import statistics

    by = {}
    for line in sys.stdin:
        if line.strip():
            r = json.loads(line)
            by.setdefault(r["impl"], []).append(r)
    med, cmed = {}, {}
    for impl, rs in by.items():
        w = [r["words_per_sec"] for r in rs]
        c = [r["words_per_cpu_sec"] for r in rs]
        med[impl], cmed[impl] = statistics.median(w), statistics.median(c)
        print("%-7s vocab=%d raw_words=%d epochs=%d" % (impl, rs[0]["vocab"], rs[0]["raw_words"], rs[0]["epochs"]))
        print("        words/s (wall)     per round: %s median: %.0f" % ([round(x) for x in w], med[impl]))
        print("        words/CPU-second   per round: %s median: %.0f" % ([round(x) for x in c], cmed[impl]))
    print("ratio go/gensim, words/s (wall, the target):  %.2f" % (med["go"] / med["gensim"]))
    print("ratio go/gensim, words per CPU-second:        %.2f" % (cmed["go"] / cmed["gensim"]))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prep")
    pp.add_argument("data_dir")
    pp.add_argument("out")
    pt = sub.add_parser("train")
    pt.add_argument("corpus")
    pt.add_argument("--dim", type=int, default=100)
    pt.add_argument("--window", type=int, default=5)
    pt.add_argument("--negative", type=int, default=5)
    pt.add_argument("--min-count", type=int, default=5)
    pt.add_argument("--sample", type=float, default=1e-3)
    pt.add_argument("--epochs", type=int, default=5)
    pt.add_argument("--sg", type=int, default=1)
    pt.add_argument("--workers", type=int, default=2)
    pt.add_argument("--seed", type=int, default=1)
    pt.add_argument("--out", default="")
    sub.add_parser("summary")
    pa = sub.add_parser("agree")
    pa.add_argument("a")
    pa.add_argument("b")
    a = p.parse_args()
    if a.cmd == "prep":
        prep(a.data_dir, a.out)
    elif a.cmd == "train":
        train(a)
    elif a.cmd == "summary":
        summary()
    else:
        agree(a.a, a.b)


if __name__ == "__main__":
    sys.exit(main())
