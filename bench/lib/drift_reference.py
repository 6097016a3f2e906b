"""The baseline of bench/drift.mjs: what the seed did for drift, in the usual Python stack.

pandas.read_csv of both files, then scipy.stats.ks_2samp(method='auto') on every column.
Prints one JSON document: its own timings (read vs tests, from time.perf_counter) and the
statistic and p-value of each column, as repr floats so they round-trip exactly.

Usage: /usr/bin/python3 bench/lib/drift_reference.py REF.csv CUR.csv
"""
import json
import sys
import time

t0 = time.perf_counter()
import pandas as pd  # noqa: E402  (imports are part of what the baseline pays, timed apart)
from scipy import stats  # noqa: E402

t1 = time.perf_counter()
ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
t2 = time.perf_counter()
columns = []
for name in ref.columns:
    r = stats.ks_2samp(ref[name].to_numpy(), cur[name].to_numpy(), alternative="two-sided", method="auto")
    columns.append({"column": name, "statistic": float(r.statistic), "p_value": float(r.pvalue)})
t3 = time.perf_counter()
json.dump(
    {
        "import_ms": (t1 - t0) * 1e3,
        "read_ms": (t2 - t1) * 1e3,
        "tests_ms": (t3 - t2) * 1e3,
        "rows": [len(ref), len(cur)],
        "columns": columns,
        "versions": {"pandas": pd.__version__, "scipy": __import__("scipy").__version__, "numpy": __import__("numpy").__version__},
    },
    sys.stdout,
)
sys.stdout.write("\n")
