#!/usr/bin/python3
"""oracle_eclat.py: an independent frequent-itemset counter for the mining benchmark.

It shares no code with assoc (nor with the benchmark's loader): it reads the raw
files of ../shared/data itself and counts with plain Python.

    /usr/bin/python3 test/bench/oracle_eclat.py FILE MIN_SUPPORT [--format dat|csv]
        [--min-confidence C] [--json]
    /usr/bin/python3 test/bench/oracle_eclat.py --selftest   # against brute force

Algorithm (textbook, deliberately unlike assoc's kernel):
  * N = number of transactions (lines with at least one item); an item repeated in
    a line counts once; min_count = ceil(min_support * N), computed exactly with
    fractions.Fraction on the decimal text of MIN_SUPPORT (0.001 * 9835 -> 10).
  * Pairs are counted horizontally: collections.Counter over
    itertools.combinations of each transaction's frequent items.
  * Longer itemsets: Eclat over Python ints used as bit sets (bit t set when
    transaction t holds the itemset); support = int.bit_count().
  * Rules (with --min-confidence): every frequent itemset X (|X| >= 2) and every
    non-empty proper subset A of X give A => X - A when
    count(X) / count(A) >= min_confidence, decided exactly with Fraction.  Reported
    for one-item consequents (the arules shape; also per itemset length) and for
    all splits (mlxtend, Weka Apriori), and for all splits with confidence strictly
    above min_confidence (what Weka 3.6's FPGrowth keeps).

Output: itemset counts per length (and rule counts), as text or one JSON object.
"""
import argparse
import json
import sys
import time
from collections import Counter
from fractions import Fraction
from itertools import combinations


def read_transactions(path, fmt):
    """List of transactions, each a set of item labels (str)."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            if fmt == "csv":
                # Groceries: comma-separated labels, byte-exact (trailing spaces kept)
                items = set(x for x in line.split(",") if x != "")
            else:
                items = set(line.split())
            if items:
                out.append(items)
    return out


def exact_min_count(min_support, n):
    """ceil(min_support * n) with no floating-point slip; min_support is decimal text."""
    f = Fraction(min_support) * n
    c = f.numerator // f.denominator
    if c * f.denominator != f.numerator:
        c += 1
    return max(c, 1)


def bitset_of(tids, nbytes):
    """Python int with bit t set for every t in tids."""
    buf = bytearray(nbytes)
    for t in tids:
        buf[t >> 3] |= 1 << (t & 7)
    return int.from_bytes(buf, "little")


def mine(trans, min_count, keep_sets=False):
    """(count per length, {frozenset: count} when keep_sets)."""
    n = len(trans)
    occ = {}
    for t, items in enumerate(trans):
        for it in items:
            occ.setdefault(it, []).append(t)
    freq = [it for it, tids in occ.items() if len(tids) >= min_count]
    # ascending support, ties by label: the usual Eclat order (smaller classes first)
    freq.sort(key=lambda it: (len(occ[it]), it))
    rank = {it: r for r, it in enumerate(freq)}
    nbytes = (n + 7) // 8
    bits = [bitset_of(occ[it], nbytes) for it in freq]
    by_len = Counter()
    sets = {} if keep_sets else None
    by_len[1] = len(freq)
    if keep_sets:
        for r, it in enumerate(freq):
            sets[frozenset([it])] = len(occ[it])

    # pairs: horizontal counting over ranks
    pairs = Counter()
    for items in trans:
        rs = sorted(rank[it] for it in items if it in rank)
        if len(rs) > 1:
            pairs.update(combinations(rs, 2))
    cls = {}
    for (a, b), c in pairs.items():
        if c >= min_count:
            cls.setdefault(a, []).append(b)
    del pairs

    def eclat(prefix, members):
        # members: list of (rank, bitset, count) extending prefix, ascending rank
        for i, (r, b, c) in enumerate(members):
            items = prefix + (r,)
            by_len[len(items)] += 1
            if keep_sets:
                sets[frozenset(freq[x] for x in items)] = c
            child = []
            for r2, b2, _ in members[i + 1:]:
                x = b & b2
                k = x.bit_count()
                if k >= min_count:
                    child.append((r2, x, k))
            if child:
                eclat(items, child)

    for a in sorted(cls):
        members = []
        for b in sorted(cls[a]):
            x = bits[a] & bits[b]
            members.append((b, x, x.bit_count()))
        eclat((a,), members)
    return by_len, sets


def count_rules(sets, min_conf):
    """(rules with one-item consequents, rules of every split) with confidence >= min_conf."""
    r = rule_counts(sets, min_conf)
    return r["rules_one_consequent"], r["rules_all_splits"]


def rule_counts(sets, min_conf):
    """Rule counts at min_conf: one-item consequents (also per itemset length, and how many
    sit exactly at min_conf), every split, and every split with confidence strictly above
    min_conf (Weka FPGrowth's test)."""
    conf = Fraction(min_conf)
    one = every = strict = one_at = 0
    one_by_len = Counter()
    for x, cx in sets.items():
        k = len(x)
        if k < 2:
            continue
        items = sorted(x)
        for size in range(1, k):
            for ante in combinations(items, size):
                c = Fraction(cx, sets[frozenset(ante)])
                if c >= conf:
                    every += 1
                    strict += c > conf
                    if size == k - 1:
                        one += 1
                        one_by_len[k] += 1
                        one_at += c == conf
    return {"rules_one_consequent": one,
            "rules_one_by_len": {str(k): one_by_len[k] for k in sorted(one_by_len)},
            "rules_one_at_min_confidence": one_at,
            "rules_all_splits": every, "rules_all_splits_strict": strict}


def selftest(rounds=300, seed=7):
    """Eclat and the rule count against brute force (every subset of every basket)."""
    import random
    rnd = random.Random(seed)
    for r in range(rounds):
        nitems = rnd.randint(1, 9)
        trans = []
        for _ in range(rnd.randint(1, 40)):
            t = set(str(rnd.randint(0, nitems - 1)) for _ in range(rnd.randint(1, nitems + 2)))
            trans.append(t)
        if r % 5 == 0:
            for t in trans:
                t.add("everywhere")
        sup = rnd.choice(["0.01", "0.1", "0.25", "0.3", "0.5", "0.07", "1"])
        mc = exact_min_count(sup, len(trans))
        brute = Counter()
        for t in trans:
            items = sorted(t)
            for k in range(1, len(items) + 1):
                brute.update(frozenset(c) for c in combinations(items, k))
        want = {s: c for s, c in brute.items() if c >= mc}
        by_len, sets = mine(trans, mc, keep_sets=True)
        if sets != want or sum(by_len.values()) != len(want):
            print(f"SELFTEST MISMATCH round {r}: support {sup}", file=sys.stderr)
            return 1
        conf = rnd.choice(["0", "0.5", "0.8", "1"])
        one = every = 0
        for x, cx in want.items():
            for k in range(1, len(x)):
                for a in combinations(sorted(x), k):
                    if cx * Fraction(1) / want[frozenset(a)] >= Fraction(conf):
                        every += 1
                        one += (k == len(x) - 1)
        if count_rules(sets, conf) != (one, every):
            print(f"SELFTEST MISMATCH (rules) round {r}", file=sys.stderr)
            return 1
    print(f"selftest: {rounds} random data sets agree with brute force")
    return 0


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("min_support", help="decimal fraction, e.g. 0.001")
    ap.add_argument("--format", choices=["dat", "csv"], default=None)
    ap.add_argument("--min-confidence", default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    fmt = a.format or ("csv" if a.file.endswith(".csv") else "dat")

    t0 = time.time()
    trans = read_transactions(a.file, fmt)
    n = len(trans)
    mc = exact_min_count(a.min_support, n)
    by_len, sets = mine(trans, mc, keep_sets=a.min_confidence is not None)
    res = {
        "file": a.file, "min_support": a.min_support, "baskets": n, "min_count": mc,
        "by_len": {str(k): by_len[k] for k in sorted(by_len) if by_len[k]},
        "itemsets": sum(by_len.values()),
    }
    if a.min_confidence is not None:
        res["min_confidence"] = a.min_confidence
        res.update(rule_counts(sets, a.min_confidence))
    res["seconds"] = round(time.time() - t0, 3)
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
