"""Reference values for mlx data profile: what pandas says of a CSV file (dtypes, nulls, min/max, quantiles, categories)."""
import json
import sys

import pandas as pd

df = pd.read_csv(sys.argv[1])
out = {"rows": len(df), "columns": {}}
for name in df.columns:
    s = df[name]
    c = {"dtype": str(s.dtype), "nulls": int(s.isna().sum()), "nunique": int(s.nunique())}
    if pd.api.types.is_bool_dtype(s):
        c["true_share"] = float(s.mean())
    elif pd.api.types.is_numeric_dtype(s):
        d = s.describe()
        c.update({"min": float(d["min"]), "max": float(d["max"]), "mean": float(d["mean"]), "std": float(d["std"])})
        qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
        c["quantiles"] = {str(q): float(v) for q, v in s.quantile(qs).items()}
        # The values at the ranks on either side, for a sketch's answer (within its relative error of the value at a rank).
        c["quantiles_lower"] = {str(q): float(v) for q, v in s.quantile(qs, interpolation="lower").items()}
        c["quantiles_higher"] = {str(q): float(v) for q, v in s.quantile(qs, interpolation="higher").items()}
    else:
        vc = s.value_counts()
        c["categories"] = {str(k): int(v) for k, v in vc.items()} if len(vc) <= 20 else None
        lengths = s.dropna().astype(str).str.len()
        c["length"] = [int(lengths.min()), int(lengths.max())]
        if name.startswith("date"):
            t = pd.to_datetime(s)
            c["date_min"] = t.min().isoformat()
            c["date_max"] = t.max().isoformat()
    out["columns"][name] = c
print(json.dumps(out))
