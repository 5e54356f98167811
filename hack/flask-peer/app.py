"""Flask + scikit-learn peer of tweetflow's model server, for benchmarks.

Same API as POST /predict of internal/serving: {"text": ...} ->
{"label", "score", "probabilities", "model_version"}; {"texts": [...]} or
{"instances": [...]} -> {"predictions": [...], "model_version"}. Plus
/healthz and /readyz.

    /usr/bin/python3 app.py train --out model.pkl      # TF-IDF + logistic regression
    FLASK_PEER_MODEL=model.pkl gunicorn -w 2 -k gthread --threads 8 -b 127.0.0.1:8091 app:app

Uses Debian's python3-flask, python3-sklearn and gunicorn (run with
/usr/bin/python3, not another python3 on PATH).
"""
import os
import pickle
import re
import sys

from flask import Flask, jsonify, request

TRAIN_FILES = [
    "twitter-2013train-A.txt", "twitter-2013dev-A.txt", "twitter-2013test-A.txt",
    "twitter-2014test-A.txt", "twitter-2015train-A.txt", "twitter-2015test-A.txt",
    "twitter-2016train-A.txt", "twitter-2016dev-A.txt", "twitter-2016devtest-A.txt",
]
LABELS = ["negative", "neutral", "positive"]
_ESC = re.compile(r"\\u([0-9a-fA-F]{4})")


def read_semeval(path):
    """Yields (text, label) from a SemEval task 4A file (id, label, text)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[1] not in LABELS:
                continue
            text = _ESC.sub(lambda m: chr(int(m.group(1), 16)), parts[2])
            if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
                text = text[1:-1]
            yield text, parts[1]


def train(data_dir, out):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = [], []
    for name in TRAIN_FILES:
        for t, l in read_semeval(os.path.join(data_dir, name)):
            texts.append(t)
            labels.append(l)
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True),
        LogisticRegression(max_iter=1000, class_weight="balanced"),
    )
    pipe.fit(texts, labels)
    with open(out, "wb") as f:
        pickle.dump({"pipeline": pipe, "version": "sklearn-tfidf-lr"}, f)
    print(f"trained on {len(texts)} tweets -> {out}")


app = Flask(__name__)
_model = None


def model():
    global _model
    if _model is None:
        with open(os.environ.get("FLASK_PEER_MODEL", "model.pkl"), "rb") as f:
            _model = pickle.load(f)
    return _model


def error(msg, field="", code=400):
    body = {"error": msg}
    if field:
        body["field"] = field
    return jsonify(body), code


def prediction(classes, row):
    best = max(range(len(row)), key=lambda j: row[j])
    return {"label": classes[best], "score": float(row[best]),
            "probabilities": {c: float(p) for c, p in zip(classes, row)}}


@app.post("/predict")
def predict():
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return error("request body must be a JSON object")
    m = model()
    pipe = m["pipeline"]
    classes = list(pipe.classes_)
    if "text" in body:
        t = body["text"]
        if not isinstance(t, str) or not t.strip():
            return error("text must be a non-empty string", "text")
        row = pipe.predict_proba([t])[0]
        out = prediction(classes, row)
        out["model_version"] = m["version"]
        return jsonify(out)
    items = body.get("texts", body.get("instances"))
    if not isinstance(items, list) or not items:
        return error("send one of text, texts or instances", "text")
    texts = [it.get("text") if isinstance(it, dict) else it for it in items]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        return error("every text must be a non-empty string", "texts")
    probs = pipe.predict_proba(texts)
    return jsonify({"predictions": [prediction(classes, r) for r in probs], "model_version": m["version"]})


@app.get("/healthz")
def healthz():
    return jsonify({"status": "live"})


@app.get("/readyz")
def readyz():
    model()
    return jsonify({"status": "ready"})


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "train":
        out = "model.pkl"
        if "--out" in sys.argv:
            out = sys.argv[sys.argv.index("--out") + 1]
        data = os.environ.get("TWEETFLOW_DATA", "/work/shared/data/semeval2017-task4a")
        train(data, out)
    else:
        app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8091")))
