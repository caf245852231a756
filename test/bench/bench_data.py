"""bench_data.py: the data sets of the mining benchmark and their conversions.

Each data set of ../shared/data becomes
  * a COPY text file of (basket, item) rows for PostgreSQL: basket = line number
    (1-based) of the transaction, item = the integer of the .dat file, or for
    Groceries the label text, byte-exact; a repeated item is written once;
  * a sparse ARFF for Weka's FPGrowth: one {0,1} attribute per item, present = 1;
  * a dense ARFF for Weka's Apriori: one single-valued {t} attribute per item, 't'
    when present and '?' when absent (Weka 3.6's Apriori counts the value 0 of a
    sparse binary attribute as an item, and has no option to treat it as missing,
    so the market-basket encoding of Weka's own supermarket.arff is used).  Its
    size is baskets x items cells: it is written only below DENSE_CELL_LIMIT.
"""
import os

DATA_DIR_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")

# name -> (file, format, item SQL type)
DATASETS = {
    "retail": ("retail.dat", "dat", "int"),
    "T10I4D100K": ("T10I4D100K.dat", "dat", "int"),
    "chess": ("chess.dat", "dat", "int"),
    "mushroom": ("mushroom.dat", "dat", "int"),
    "groceries": ("groceries.csv", "csv", "text"),
}

DENSE_CELL_LIMIT = 100_000_000


def read_baskets(path, fmt):
    """Transactions as lists of distinct items (first occurrence order)."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            parts = line.split(",") if fmt == "csv" else line.split()
            seen = {}
            for p in parts:
                if p != "" and p not in seen:
                    seen[p] = True
            if seen:
                out.append(list(seen))
    return out


def copy_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def arff_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def item_order(baskets, fmt):
    items = {it for b in baskets for it in b}
    if fmt == "dat":
        return sorted(items, key=int)
    return sorted(items)


def write_copy(baskets, path):
    with open(path, "w", encoding="utf-8") as f:
        for i, b in enumerate(baskets, 1):
            for it in b:
                f.write(f"{i}\t{copy_escape(it)}\n")


def write_arff(baskets, items, path, relation, dense):
    """Sparse: {0,1} attributes, rows {index 1, ...}.  Dense: {t} attributes, rows of t / ?."""
    idx = {it: k for k, it in enumerate(items)}
    m = len(items)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"@relation {relation}\n\n")
        for it in items:
            f.write(f"@attribute {arff_quote(it)} {'{t}' if dense else '{0,1}'}\n")
        f.write("\n@data\n")
        for b in baskets:
            if dense:
                row = ["?"] * m
                for it in b:
                    row[idx[it]] = "t"
                f.write(",".join(row) + "\n")
            else:
                f.write("{" + ",".join(f"{k} 1" for k in sorted(idx[it] for it in b)) + "}\n")


def prepare(name, data_dir, work_dir):
    """Write the conversions of one data set (once); returns a dict of facts and paths."""
    fname, fmt, sqltype = DATASETS[name]
    src = os.path.join(data_dir, fname)
    baskets = read_baskets(src, fmt)
    items = item_order(baskets, fmt)
    info = {
        "name": name, "source": src, "format": fmt, "item_type": sqltype,
        "baskets": len(baskets), "items": len(items),
        "rows": sum(len(b) for b in baskets),
        "copy": os.path.join(work_dir, f"{name}.tsv"),
        "sparse_arff": os.path.join(work_dir, f"{name}.sparse.arff"),
        "dense_arff": None,
        "dense_cells": len(baskets) * len(items),
    }
    stamp = os.path.getmtime(src)

    def stale(p):
        return not os.path.exists(p) or os.path.getmtime(p) < stamp

    if stale(info["copy"]):
        write_copy(baskets, info["copy"])
    if stale(info["sparse_arff"]):
        write_arff(baskets, items, info["sparse_arff"], name, dense=False)
    if info["dense_cells"] <= DENSE_CELL_LIMIT:
        info["dense_arff"] = os.path.join(work_dir, f"{name}.dense.arff")
        if stale(info["dense_arff"]):
            write_arff(baskets, items, info["dense_arff"], name, dense=True)
    return info
