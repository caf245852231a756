"""mining_more.py: the two measurements of issue 3 beyond the main table (run by mining_bench.py).

Per-segment mining.  "Per-segment mining (GROUP BY segment) costs about the sum of the
segments, not segments x whole table."  The baskets of a data set are split into S segments
(basket number mod S) in a table partitioned by segment, and at one min_support (relative to
each segment's own baskets) it times side by side:
  whole table        assoc.frequent_itemsets once over every basket (source and basket_agg forms)
  GROUP BY segment   SELECT ... FROM (SELECT seg, assoc.basket_agg(basket, item) b FROM t GROUP BY seg) s,
                     LATERAL assoc.frequent_itemsets(s.b, min_support): one pass over the table
  S segments alone   S statements, each mining one segment (its partition only), timed together
  S full scans       LATERAL assoc.frequent_itemsets(format('SELECT ... WHERE seg + 0 = %s', seg), ...):
                     a source query per segment that cannot prune, so each reads the whole table
                     (the "segments x whole table" shape the issue warns against)
Every form's itemset count equals the sum over segments of the independent oracle
(oracle_eclat.py run on each segment's own file), and the GROUP BY form's count per segment
equals the oracle's.

statement_timeout latency.  For long mining statements (reading rows, the aggregate's
transitions, Eclat, rule generation, writing millions of result rows) it runs each once to
time it, then with statement_timeout at 10, 30, 50, 70 and 90 % of that time inside a DO block
that catches query_canceled, and reports clock_timestamp() - statement_timestamp() - timeout:
the time from the deadline to the error (an upper bound: the timer starts a little after the
statement's timestamp).
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_data  # noqa: E402

# (data set, segments, min_support)
SEGMENT_CASES = [("retail", 10, "0.005"), ("retail", 100, "0.005")]

SERIAL = ["SET max_parallel_workers_per_gather = 0"]
PARALLEL = ["SET max_parallel_workers_per_gather = 2", "SET parallel_setup_cost = 0",
            "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0"]

# (label, what the deadlines fall into, tables needed, query returning n)
TIMEOUT_CASES = [
    ("retail x10 0.001, source form", "reading 9.1 M rows (first half), then Eclat", ["minebench.retail_x10"],
     "SELECT count(*) AS n FROM assoc.frequent_itemsets('SELECT basket, item FROM minebench.retail_x10', 0.001)"),
    ("retail x10 0.001, basket_agg form", "the aggregate's transitions, then flattening and Eclat",
     ["minebench.retail_x10"],
     "SELECT count(*) AS n FROM assoc.frequent_itemsets("
     "(SELECT assoc.basket_agg(basket, item) FROM minebench.retail_x10), 0.001)"),
    ("chess 0.45 (2.8 M itemsets)", "Eclat, then writing 2.8 M result rows", ["minebench.chess"],
     "SELECT count(*) AS n FROM assoc.frequent_itemsets('SELECT basket, item FROM minebench.chess', 0.45)"),
    ("T10I4D100K 0.0002 (130 k itemsets)", "reading, then Eclat on sparse data", ["minebench.t10i4d100k"],
     "SELECT count(*) AS n FROM assoc.frequent_itemsets('SELECT basket, item FROM minebench.t10i4d100k', 0.0002)"),
    ("mushroom rules 0.1 / 0.9 (3.9 M rules)", "Eclat, rule generation, writing the rules", ["minebench.mushroom"],
     "SELECT count(*) AS n FROM assoc.rules('SELECT basket, item FROM minebench.mushroom', 0.1, 0.9)"),
]
TIMEOUT_FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)
TIMEOUT_SETTINGS = SERIAL + ["SET assoc.mining_mem = '1GB'"]


def lit(s):
    return "'" + s.replace("'", "''") + "'"


# ---------- per-segment mining ----------

def load_segments(r, info, segs):
    """minebench.<name>_seg<S>: (seg, basket, item), seg = basket mod S, one list partition per segment."""
    t = f"minebench.{info['name'].lower()}_seg{segs}"
    parts = "\n".join(f"CREATE TABLE {t}_p{k} PARTITION OF {t} FOR VALUES IN ({k});" for k in range(segs))
    script = f"""
SET client_min_messages = warning;
DROP TABLE IF EXISTS {t};
CREATE TABLE {t} (seg int NOT NULL, basket int NOT NULL, item {info['item_type']} NOT NULL) PARTITION BY LIST (seg);
{parts}
INSERT INTO {t} SELECT basket % {segs}, basket, item FROM {info['table']} ORDER BY basket % {segs}, basket;
VACUUM ANALYZE {t};
SELECT count(*) FROM {t};
"""
    rc, out, err = r.psql(script)
    if rc != 0:
        sys.exit(f"making {t} failed:\n{err}")
    print(f"  {t}: {out.strip().splitlines()[-1]} rows in {segs} partitions", flush=True)
    return t


def segment_oracle(r, info, segs, sup):
    """{segment: itemsets} from oracle_eclat.py on each segment's own file (basket number =
    1-based line number of the data set, as in the loaded tables), or None if it timed out."""
    baskets = bench_data.read_baskets(info["source"], info["format"])
    files = {}
    for k in range(segs):
        path = os.path.join(r.args.work, f"{info['name']}_seg{segs}_{k}.dat")
        files[k] = path
    handles = {k: open(p, "w", encoding="utf-8") for k, p in files.items()}
    for i, b in enumerate(baskets, 1):
        handles[i % segs].write(" ".join(b) + "\n")
    for h in handles.values():
        h.close()
    out = {}
    for k, path in files.items():
        cmd = ["/usr/bin/python3", os.path.join(HERE, "oracle_eclat.py"), path, sup, "--format", "dat", "--json"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=r.args.oracle_timeout)
        except subprocess.TimeoutExpired:
            return None
        if p.returncode != 0:
            sys.exit("oracle failed: " + p.stderr)
        out[k] = json.loads(p.stdout)["itemsets"]
    return out


def run_segments(r, info, segs, sup):
    """Rows (same shape as the main table's) and a summary of one segment case."""
    whole = info["table"]
    t = load_segments(r, info, segs)
    label = f"{info['name']} in {segs} segments {sup}"
    print(f"\n== {label}: {info['baskets']} baskets, about {info['baskets'] // segs} per segment", flush=True)
    oracle = segment_oracle(r, info, segs, sup)
    total = None
    if oracle is None:
        print("  oracle: did not finish in time; counts are not checked", flush=True)
    else:
        total = sum(oracle.values())
        print(f"  oracle: {total} itemsets over {segs} segments "
              f"(per segment {min(oracle.values())} .. {max(oracle.values())})", flush=True)

    groupby = (f"SELECT count(*) AS n FROM (SELECT seg, assoc.basket_agg(basket, item) AS b FROM {t} GROUP BY seg) s, "
               f"LATERAL assoc.frequent_itemsets(s.b, {sup}) f")
    # untimed: the GROUP BY form per segment against the oracle
    rc, out, err = r.psql(";\n".join(list(r.args.set) + SERIAL) + ";\n" +
                          f"SELECT seg, count(*) FROM (SELECT seg, assoc.basket_agg(basket, item) AS b FROM {t} "
                          f"GROUP BY seg) s, LATERAL assoc.frequent_itemsets(s.b, {sup}) f GROUP BY seg ORDER BY seg;\n")
    if rc != 0:
        r.fail(f"{label}: per-segment verification failed: {err.strip()}")
    elif oracle is not None:
        got = {int(a): int(b) for a, b in (x.split("|") for x in out.strip().splitlines() if x)}
        want = {k: v for k, v in oracle.items() if v}
        if got != want:
            bad = [k for k in range(segs) if got.get(k, 0) != oracle[k]][:5]
            r.fail(f"{label}: GROUP BY itemsets per segment differ from the oracle on segments {bad}")
        else:
            print(f"  GROUP BY form per segment = oracle on all {segs} segments", flush=True)

    specs = []

    def add(method, query, settings=(), check=True, note=""):
        specs.append({"method": method, "query": query, "settings": list(settings),
                      "check": check, "note": note})

    add("floor (whole table): array_agg GROUP BY basket",
        f"SELECT count(*) AS n FROM (SELECT basket, array_agg(item) FROM {whole} GROUP BY basket) s",
        check=False, note="counts baskets")
    add("whole table: assoc.frequent_itemsets(source)",
        f"SELECT count(*) AS n FROM assoc.frequent_itemsets({lit('SELECT basket, item FROM ' + whole)}, {sup})",
        check=False, note="all baskets at once (other itemsets)")
    add("whole table: assoc.frequent_itemsets(basket_agg)",
        f"SELECT count(*) AS n FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(basket, item) FROM {whole}), {sup})",
        SERIAL, check=False, note="all baskets at once (other itemsets)")
    add("GROUP BY segment: basket_agg + LATERAL frequent_itemsets", groupby, SERIAL,
        note="one pass, serial; default work_mem")
    add("GROUP BY segment, work_mem 64MB", groupby, SERIAL + ["SET work_mem = '64MB'"],
        note="the hash table of the groups' states stays in memory")
    add("GROUP BY segment, 2 workers", groupby, PARALLEL, note="partial aggregates in workers")
    add(f"{segs} segments alone: {segs} statements, basket_agg form",
        [f"SELECT count(*) AS n FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(basket, item) FROM {t} "
         f"WHERE seg = {k}), {sup})" for k in range(segs)], SERIAL, note="each reads its partition only")
    add(f"{segs} segments alone: {segs} statements, source form",
        [f"SELECT count(*) AS n FROM assoc.frequent_itemsets({lit(f'SELECT basket, item FROM {t} WHERE seg = {k}')}, {sup})"
         for k in range(segs)], SERIAL, note="each reads its partition only")
    add(f"{segs} full scans: LATERAL source query per segment",
        f"SELECT count(*) AS n FROM generate_series(0, {segs - 1}) k, LATERAL assoc.frequent_itemsets("
        f"format('SELECT basket, item FROM {t} WHERE seg + 0 = %s', k), {sup}) f",
        SERIAL, note="each segment's query reads the whole table")
    r.measure(specs)

    rows = []
    for sp in specs:
        row = {"case": label, "method": sp["method"], "seconds": sp["best"], "peak_kb": sp["peak"],
               "note": sp["note"], "found": sp["result"] or "-", "check": "-"}
        if sp["error"]:
            row.update(seconds=None, peak_kb=None, found="-", note=sp["error"])
            r.fail(f"{label}: {sp['method']} failed: {sp['error']}")
        elif sp["check"] and total is not None:
            if int(sp["result"]) == total:
                row["check"] = "= oracle (sum of segments)"
            else:
                row["check"] = "MISMATCH"
                r.fail(f"{label}: {sp['method']} gives {sp['result']}, oracle {total}")
        rows.append(row)
        print(f"  {row['method']:58s} {row['found']:>8} "
              f"{'%.3f' % row['seconds'] if row['seconds'] is not None else '-':>8} {row['check']}", flush=True)
    floor = rows[0]["seconds"]
    for row in rows:
        row["ratio"] = row["seconds"] / floor if row["seconds"] is not None and floor else None

    by = {row["method"]: row["seconds"] for row in rows}
    g = by.get("GROUP BY segment: basket_agg + LATERAL frequent_itemsets")
    g64 = by.get("GROUP BY segment, work_mem 64MB")
    alone = by.get(f"{segs} segments alone: {segs} statements, basket_agg form")
    w = by.get("whole table: assoc.frequent_itemsets(basket_agg)")
    scans = by.get(f"{segs} full scans: LATERAL source query per segment")
    summary = {"case": label, "segments": segs, "groupby": g, "groupby64": g64, "alone": alone, "whole": w,
               "scans": scans}
    return rows, summary


def fmt_segment_summary(sums, markdown):
    head = ["case", "GROUP BY s", "GROUP BY, work_mem 64MB s", "sum of segments alone s", "GROUP BY / sum alone",
            "whole table s", "GROUP BY / whole", "segments x whole s", "full scans per segment s"]
    body = []
    for x in sums:
        def f(v, d=3):
            return f"{v:.{d}f}" if v is not None else "-"
        body.append([x["case"], f(x["groupby"]), f(x["groupby64"]), f(x["alone"]),
                     f(x["groupby"] / x["alone"], 2) if x["groupby"] and x["alone"] else "-",
                     f(x["whole"]), f(x["groupby"] / x["whole"], 2) if x["groupby"] and x["whole"] else "-",
                     f(x["whole"] * x["segments"]) if x["whole"] else "-", f(x["scans"])])
    return table(head, body, markdown)


# ---------- statement_timeout latency ----------

def run_timeouts(r):
    """Rows: label, phase, full seconds, deadlines (ms) and latencies (ms)."""
    out = []
    print("\n== statement_timeout: time from the deadline to the error", flush=True)
    for label, phase, tables, query in TIMEOUT_CASES:
        row = {"case": label, "phase": phase, "full": None, "deadlines": [], "latencies": [], "note": ""}
        missing = [x for x in tables if r.sql_value(f"SELECT to_regclass({lit(x)}) IS NULL") == "t"]
        if missing:
            row["note"] = "skipped: table " + ", ".join(missing) + " not loaded (run its case too)"
            out.append(row)
            print(f"  {label}: {row['note']}", flush=True)
            continue
        secs, res, _ = r.timed(query, TIMEOUT_SETTINGS, timeout_s=120)
        if secs is None:
            row["note"] = "failed: " + res
            r.fail(f"timeout case {label}: {res}")
            out.append(row)
            continue
        row["full"] = secs
        body = query.split(" AS n ", 1)
        inner = "SELECT count(*) " + body[1] if len(body) == 2 else query
        for frac in TIMEOUT_FRACTIONS:
            ms = max(10, int(round(frac * secs * 1000)))
            script = ";\n".join(["SET client_min_messages = notice"] + list(r.args.set) + TIMEOUT_SETTINGS +
                                [f"SET statement_timeout = '{ms}ms'"]) + ";\n"
            script += ("DO $bench$ BEGIN PERFORM * FROM (" + inner + ") q; "
                       "RAISE NOTICE 'assoc-timeout: finished'; "
                       "EXCEPTION WHEN query_canceled THEN RAISE NOTICE 'assoc-timeout: %', "
                       "round((1000 * extract(epoch FROM clock_timestamp() - statement_timestamp()))::numeric, 3); "
                       "END $bench$;\n")
            rc, so, err = r.psql(script, timeout=200)
            m = re.search(r"assoc-timeout: (\S+)", err)
            if rc != 0 or not m:
                r.fail(f"timeout case {label} at {ms} ms: {err.strip()[-200:]}")
                continue
            row["deadlines"].append(ms)
            row["latencies"].append(None if m.group(1) == "finished" else float(m.group(1)) - ms)
        lat = [x for x in row["latencies"] if x is not None]
        print(f"  {label}: full run {secs:.3f} s; deadlines {row['deadlines']} ms -> latency "
              f"{['finished' if x is None else round(x, 1) for x in row['latencies']]} ms", flush=True)
        if len(lat) < len(row["latencies"]):
            row["note"] = "a run finished before its deadline (load changed)"
        out.append(row)
    return out


def fmt_timeouts(rows, markdown):
    head = ["case", "deadlines fall into", "full run s", "deadlines ms", "latency ms (each)", "median ms", "max ms"]
    body = []
    for x in rows:
        lat = sorted(v for v in x["latencies"] if v is not None)
        body.append([x["case"], x["phase"], f"{x['full']:.3f}" if x["full"] else "-",
                     " ".join(str(d) for d in x["deadlines"]) or "-",
                     " ".join("fin" if v is None else f"{v:.1f}" for v in x["latencies"]) or x["note"] or "-",
                     f"{lat[len(lat) // 2]:.1f}" if lat else "-", f"{lat[-1]:.1f}" if lat else "-"])
    return table(head, body, markdown)


def table(head, body, markdown):
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(out)
    w = [max(len(str(r[i])) for r in body + [head]) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip()
                     for r in [head, ["-" * x for x in w]] + body)
