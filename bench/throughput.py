"""Extraction throughput and peak memory, and the cost over a bare spaCy pass.

    python bench/throughput.py [--docs 2000] [--processes 2] [--batch-size 16]

Builds N articles of dev-like length by recombining the lines of the dev
set's articles (../shared/eval/dev.jsonl; the bundled samples when it is
absent), with a fixed seed, then times

* Vigile: ``Pipeline.extract`` over them (n processes), start-up excluded;
* bare spaCy: ``nlp.pipe`` over the same texts with the same model and
  components, same number of processes;

and prints docs/s, words/s, the ratio of the two, and peak RSS of the parent
and of a worker (``ru_maxrss``), measured before the bare pass. Run it on
a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
SAMPLES = ROOT / "src" / "vigile" / "samples" / "articles.jsonl"


def corpus(n: int, seed: int = 7) -> list[dict]:
    """N articles whose lengths follow the source set's, made of its lines."""
    src = DEV if DEV.exists() else SAMPLES
    docs = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [ln for d in docs for ln in d["text"].split("\n") if ln.strip()]
    lengths = [len(d["text"]) for d in docs]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        target, text = rng.choice(lengths), []
        while sum(map(len, text)) < target:
            text.append(rng.choice(lines))
        published = rng.choice([None, "2016-12-14", "2017-02-24", "2018-04-30"])
        out.append({"id": f"bench-{i}", "text": "\n".join(text), "published": published})
    return out


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--skip-bare", action="store_true", help="do not time the bare spaCy pass")
    args = ap.parse_args()

    from vigile.nlp import load
    from vigile.pipeline import Pipeline
    from vigile.schema import Article

    docs = corpus(args.docs)
    words = sum(len(d["text"].split()) for d in docs)
    print(f"{len(docs)} articles, {words:,} words ({statistics.mean(len(d['text'].split()) for d in docs):.0f} "
          f"words/article), {args.processes} process(es), batch {args.batch_size}", flush=True)
    articles = [Article.model_validate(d) for d in docs]

    pipeline = Pipeline(batch_size=args.batch_size, n_process=args.processes)
    # warm-up outside the clock: worker start-up and model loading
    list(pipeline.extract(articles[: args.batch_size * args.processes]))
    if args.processes > 1:
        # a pool lives for one extract() call; time a whole call, and report start-up apart
        t0 = time.perf_counter()
        list(Pipeline(batch_size=args.batch_size, n_process=args.processes).extract(articles[:1]))
        startup = time.perf_counter() - t0
    else:
        startup = 0.0
    t0 = time.perf_counter()
    n_events = sum(len(r.events) for r in pipeline.extract(articles))
    elapsed = time.perf_counter() - t0 - startup
    own, kids = peak_rss_mb()
    workers = args.processes if args.processes > 1 else 0
    print(f"vigile    {len(docs) / elapsed:7.1f} docs/s  {words / elapsed:8,.0f} words/s  "
          f"{elapsed:6.1f} s (pool start-up {startup:.1f} s excluded)  {n_events} events", flush=True)
    print(f"peak RSS: parent {own:,.0f} MB, largest worker {kids:,.0f} MB, "
          f"all processes ≤ {own + kids * workers:,.0f} MB", flush=True)

    if not args.skip_bare:
        nlp = load("fr")
        texts = [d["text"] for d in docs]
        list(nlp.pipe(texts[:32], batch_size=args.batch_size))
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=args.batch_size, n_process=args.processes):
            pass
        bare = time.perf_counter() - t0
        print(f"bare nlp.pipe {len(docs) / bare:7.1f} docs/s  {bare:6.1f} s  (components {nlp.pipe_names})")
        print(f"ratio vigile / bare nlp.pipe: {elapsed / bare:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
