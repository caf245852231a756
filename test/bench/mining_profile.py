#!/usr/bin/python3
"""mining_profile.py: where assoc's time goes, case by case (perf, call graphs).

    test/bench/mining_profile.py [--cases chess,retail:0.001] [--repeat 5] [--form source|agg]

Needs the tables of mining_bench.sh (run it once first), perf, root (perf attaches to
the backend), and the PG* environment of the server.  For each case it runs the assoc
call --repeat times in one backend under `perf record -g` (frame pointers: PostgreSQL
and assoc are built with -fno-omit-frame-pointer) and prints
  * the share of samples under each phase (inclusive: callees counted):
      read rows    source_run (executor scan + assoc's per-row work)     [source form]
      aggregate    basket_agg_transfn / basket_agg_combine / flattening   [aggregate form]
      build        builder_finish (pairs -> sorted baskets)
      mine         mine_itemsets, and inside it mine_class (Eclat below the pairs)
      rules        generate_rules
      output       labels_array (labels, text[] arrays), tuplestore_putvalues
      other        the rest of the set-returning function (argument checks, set-up,
                   row loop, freeing)
      page faults  the kernel's first touch of fresh memory
  * the self time of mine_itemsets split by the sections of src/miner.c (found by the
    comments that open them), because the compiler inlines mine_top into it;
  * the top self-time symbols.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mining_bench import CASES, COPIES_SETTINGS, lit, table_name  # noqa: E402

PHASES = [
    ("read rows", ["source_run"]),
    ("  heap scan", ["heap_getnextslot"]),
    ("  assoc per row", ["read_row"]),
    ("  item dictionary", ["dict_add_int", "dict_add_bytes"]),
    ("aggregate transition", ["basket_agg_transfn"]),
    ("aggregate combine", ["basket_agg_combine"]),
    ("flatten state", ["baskets_flatten_into", "flatten_builder"]),
    ("open state", ["baskets_open"]),
    ("build baskets", ["builder_finish"]),
    ("mine", ["mine_itemsets"]),
    ("  Eclat below pairs", ["mine_class"]),
    ("rules", ["generate_rules"]),
    ("output: labels, arrays", ["labels_array"]),
    ("output: tuplestore", ["tuplestore_putvalues"]),
    ("page faults", ["asm_exc_page_fault"]),
]
TOP = ["source_run", "basket_agg_transfn", "basket_agg_combine", "baskets_flatten_into",
       "baskets_open", "builder_finish", "mine_itemsets", "generate_rules", "labels_array",
       "tuplestore_putvalues"]
SRF = ["frequent_itemsets_common", "rules_common"]

# sections of mine_itemsets (mine_top is inlined into it), by the comment opening each
SECTIONS = [
    ("pass 1: count the codes after i", "pair counting (pass 1)"),
    ("the frequent ones, in code order", "select frequent pairs"),
    ("pass 2: materialise the sets", "tid sets of frequent pairs (pass 2)"),
    ("1. frequent items, coded by ascending count", "recode frequent items"),
    ("2. horizontal and vertical layouts", "horizontal/vertical layouts"),
    ("3 and 4 */", "mine_top call, clean-up"),
]


def miner_sections(path):
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError:
        return []
    marks = []
    for needle, name in SECTIONS:
        for i, line in enumerate(lines, 1):
            if needle in line:
                marks.append((i, name))
                break
    # mine_top starts at its definition; everything before the first mark in it is set-up
    for i, line in enumerate(lines, 1):
        if line.startswith("mine_top("):
            marks.append((i, "mine_top set-up"))
    return sorted(marks)


def psql(sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-c", sql], capture_output=True, text=True)


def profile(query, settings, repeat, freq):
    app = f"minebench_profile_{os.getpid()}"
    script = f"SET application_name = '{app}';\n" + "".join(s + ";\n" for s in settings)
    script += "SELECT pg_sleep(0.5);\n" + (query + ";\n") * repeat
    p = subprocess.Popen(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    p.stdin.write(script)
    p.stdin.close()
    pid = None
    for _ in range(100):
        r = psql(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{app}'")
        if r.stdout.strip():
            pid = r.stdout.strip().splitlines()[0]
            break
        time.sleep(0.02)
    if pid is None:
        p.wait()
        sys.exit("could not find the backend: " + p.stderr.read())
    data = tempfile.mktemp(prefix="minebench-perf-", suffix=".data")
    t0 = time.time()
    rec = subprocess.run(["perf", "record", "-g", "-F", str(freq), "-p", pid, "-o", data],
                         capture_output=True, text=True)
    wall = time.time() - t0 - 0.5
    p.wait()
    if p.returncode != 0:
        sys.exit("query failed: " + p.stderr.read())
    if rec.returncode != 0 and not os.path.exists(data):
        sys.exit("perf record failed: " + rec.stderr)
    return data, wall


def report(data, *extra):
    r = subprocess.run(["perf", "report", "-i", data, "--stdio", *extra],
                       capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?(.*?)\s*$", line)
        if m and not line.startswith("#"):
            rows.append((float(m.group(1)), float(m.group(2) or 0), m.group(3)))
    return rows


def main():
    ap = argparse.ArgumentParser(description="where assoc's mining time goes")
    ap.add_argument("--cases", default="all")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--freq", type=int, default=2000)
    ap.add_argument("--form", choices=["source", "agg"], default="source")
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args()
    sections = miner_sections(os.path.join(HERE, "..", "..", "src", "miner.c"))

    for name, sup, conf, copies in CASES:
        want = args.cases.split(",")
        tag = f"{name}x{copies}" if copies > 1 else name
        if args.cases != "all" and tag not in want and \
                (copies > 1 or f"{name}:{sup}" not in want):
            continue
        t = table_name(name, copies)
        settings = list(COPIES_SETTINGS if copies > 1 else [])
        arg0 = lit(f"SELECT basket, item FROM {t}")
        if args.form == "agg":
            arg0 = f"(SELECT assoc.basket_agg(basket, item) FROM {t})"
            settings.append("SET max_parallel_workers_per_gather = 0")
        fn = f"assoc.frequent_itemsets({arg0}, {sup})" if conf is None else \
            f"assoc.rules({arg0}, {sup}, {conf})"
        q = f"SELECT count(*) FROM {fn}"
        data, wall = profile(q, settings, args.repeat, args.freq)
        try:
            incl = report(data, "--children", "--sort", "symbol", "-g", "none")
            selfs = report(data, "--no-children", "--sort", "dso,symbol", "-g", "none")
            lines = report(data, "--no-children", "--symbols=mine_itemsets", "--sort", "srcline", "-g", "none")
        finally:
            os.unlink(data)
        total = {}
        for c, s, sym in incl:
            key = sym.split("]", 1)[-1].strip().split()[0] if "]" in sym else sym
            total[key] = max(total.get(key, 0), c)
        print(f"\n== {tag} {sup}{' / conf ' + conf if conf else ''}, {args.form} form: "
              f"{args.repeat} calls in {wall:.2f} s ({wall / args.repeat:.3f} s each)")
        srf = max(total.get(x, 0) for x in SRF)
        print(f"  {'whole call (SRF)':24s} {srf:5.1f} %   (the rest: planner, count(*) over the result)")
        for label, syms in PHASES:
            v = sum(total.get(s, 0) for s in syms)
            if v >= 0.5:
                print(f"  {label:24s} {v:5.1f} %")
        if args.form == "agg":
            print(f"  {'outside the SRF':24s} {100 - srf:5.1f} %   (scan + basket_agg in the InitPlan)")
        if args.form == "source":
            other = max(0.0, srf - sum(total.get(x, 0) for x in TOP))
            print(f"  {'other, inside the SRF':24s} {other:5.1f} %")
        if sections and any("mine_itemsets" in x[2] for x in selfs):
            parts = {}
            for pct, _, src in lines:
                m = re.match(r"miner\.c:(\d+)", src)
                if not m:
                    continue
                ln = int(m.group(1))
                sec = "before mine_top"
                for start, nm in sections:
                    if ln >= start:
                        sec = nm
                parts[sec] = parts.get(sec, 0) + pct
            print("  self time of mine_itemsets (inlined mine_top) by section of miner.c:")
            for sec, pct in sorted(parts.items(), key=lambda x: -x[1]):
                if pct >= 0.5:
                    print(f"    {sec:36s} {pct:5.1f} %")
        print("  top self time:")
        for pct, _, sym in selfs[:args.top]:
            print(f"    {pct:5.1f} %  {' '.join(sym.split())}")


if __name__ == "__main__":
    sys.exit(main())
