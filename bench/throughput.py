"""Extraction throughput and peak memory, and the cost over a bare spaCy pass.

    python bench/throughput.py [--docs 2000] [--processes 2] [--batch-size 16]

Builds N articles of dev-like length by recombining the lines of the dev
set's articles (../shared/eval/dev.jsonl; the bundled samples when it is
absent), with a fixed seed, then times

* Vigile: ``Pipeline.extract`` over them (n processes);
* bare spaCy: ``nlp.pipe`` over the same texts with the same model and
  components, same number of processes;

and prints docs/s with start-up (worker processes loading the model) and
steady (after the first result), words/s, the ratio of the two, and peak RSS of the parent
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
    """N articles whose lengths follow the source set's, made of its lines, each
    under one of its outlets (a claimant when no source is named: fusion counts
    outlets, so a corpus where every article is its own outlet would not be
    dev-like)."""
    src = DEV if DEV.exists() else SAMPLES
    docs = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [ln for d in docs for ln in d["text"].split("\n") if ln.strip()]
    lengths = [len(d["text"]) for d in docs]
    outlets = [d.get("source") for d in docs]
    rng, outlet = random.Random(seed), random.Random(seed + 1).choice
    out = []
    for i in range(n):
        target, text = rng.choice(lengths), []
        while sum(map(len, text)) < target:
            text.append(rng.choice(lines))
        published = rng.choice([None, "2016-12-14", "2017-02-24", "2018-04-30"])
        out.append({"id": f"bench-{i}", "text": "\n".join(text), "published": published, "source": outlet(outlets)})
    return out


def timed(results, n: int, count) -> tuple[float, float, int]:
    """Wall time of draining ``results`` (start-up included), the steady rate
    after the first result (start-up excluded), and the sum of ``count``."""
    t0 = time.perf_counter()
    it = iter(results)
    total = count(next(it))
    t_first = time.perf_counter()
    seen = 1
    for r in it:
        total += count(r)
        seen += 1
    end = time.perf_counter()
    return end - t0, (seen - 1) / max(end - t_first, 1e-9), total


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
    elapsed, steady, n_events = timed(pipeline.extract(articles), len(docs), lambda r: len(r.events))
    own, kids = peak_rss_mb()
    workers = args.processes if args.processes > 1 else 0
    print(f"vigile        {len(docs) / elapsed:7.1f} docs/s with start-up ({elapsed:.1f} s), "
          f"{steady:7.1f} docs/s steady, {words / elapsed:8,.0f} words/s  {n_events} events", flush=True)
    print(f"peak RSS: parent {own:,.0f} MB, largest worker {kids:,.0f} MB, "
          f"all processes ≤ {own + kids * workers:,.0f} MB", flush=True)

    if not args.skip_bare:
        nlp = load("fr")
        texts = [d["text"] for d in docs]
        bare, bare_steady, _ = timed(nlp.pipe(texts, batch_size=args.batch_size, n_process=args.processes),
                                     len(docs), lambda d: 0)
        print(f"bare nlp.pipe {len(docs) / bare:7.1f} docs/s with start-up ({bare:.1f} s), "
              f"{bare_steady:7.1f} docs/s steady  (components {nlp.pipe_names})")
        print(f"ratio vigile / bare nlp.pipe: {elapsed / bare:.2f}x with start-up, "
              f"{bare_steady / steady:.2f}x steady")


if __name__ == "__main__":
    sys.exit(main())
