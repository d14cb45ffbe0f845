"""Tables: pandas DataFrames when pandas is importable, lists of dicts otherwise."""
import csv
import io

try:  # optional: Debian's python3-pandas
    import pandas as _pd
except ImportError:  # pragma: no cover - exercised where pandas is absent
    _pd = None


def has_pandas():
    return _pd is not None


def rows_table(rows, columns=None, use_pandas=True):
    """A list of flat dicts as a DataFrame (or the list itself without pandas)."""
    rows = list(rows)
    if _pd is None or not use_pandas:
        return rows
    return _pd.DataFrame.from_records(rows, columns=columns)


def _number(text):
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return text


def csv_table(text, use_pandas=True):
    """CSV text as a DataFrame (or a list of dicts with numbers parsed, empty cells as None)."""
    if _pd is not None and use_pandas:
        return _pd.read_csv(io.StringIO(text))
    return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def flatten(row, prefix=""):
    """A nested dict as one level, nested keys joined by '.' ({"ci": {"p": 1}} -> {"ci.p": 1}); lists kept."""
    out = {}
    for k, v in row.items():
        key = prefix + k
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out
