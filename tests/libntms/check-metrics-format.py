#!/usr/bin/env python3
"""Checks a text in Prometheus' text exposition format (version 0.0.4), as ntmsctl metrics prints
it, and the project's naming rules. Exits 1 listing every problem.

    check-metrics-format.py [--require FAMILY]... FILE|-
    check-metrics-format.py --self-test

Format rules: every line is a HELP, a TYPE, another comment or a sample; names and label names
are well formed (no label name starting with __); label values are quoted, with only the
escapes \\\\, \\" and \\n; values are floats (or +Inf, -Inf, NaN); a family has at most one HELP and
one TYPE, its TYPE comes before its samples, and its samples are together (one family per name);
every sample belongs to a declared family (its name, or for a histogram NAME_bucket, NAME_sum
and NAME_count; for a summary NAME_sum and NAME_count); no series twice. Histograms: per series,
the le values parse, ascend, end at +Inf, the buckets are cumulative, NAME_count equals the +Inf
bucket and NAME_sum is there. Project rules: every name starts with ntms_, has a HELP text, a
counter's name ends in _total and its values are not negative.

--self-test runs the checker on a valid text and on copies broken one way each, and fails unless
it accepts the first and finds the fault of every other. Uses only the Python standard library.
"""
import argparse
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def parse_float(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def parse_labels(text, pos, errors, where):
    """Labels from text[pos] == '{'; returns (dict, position after '}') or (None, _)."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL.match(text, pos)
        if not m:
            errors.append(f"{where}: bad label name at column {pos + 1}")
            return None, pos
        key = m.group(0)
        if key.startswith("__"):
            errors.append(f"{where}: label name {key} is reserved")
        if key in labels:
            errors.append(f"{where}: label {key} twice")
        pos = m.end()
        if text[pos:pos + 2] != '="':
            errors.append(f"{where}: label {key} without =\"value\"")
            return None, pos
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                errors.append(f"{where}: label {key}: value not closed")
                return None, pos
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    errors.append(f"{where}: label {key}: bad escape \\{nxt}")
                    return None, pos
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                errors.append(f"{where}: label {key}: raw newline in value")
                return None, pos
            else:
                value.append(c)
                pos += 1
        labels[key] = "".join(value)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "}":
            errors.append(f"{where}: expected , or }} after label {key}")
            return None, pos


def family_of(sample, types):
    if sample in types:
        return sample
    for fam, typ in types.items():
        for suffix in SUFFIXES.get(typ, ()):
            if sample == fam + suffix:
                return fam
    return None


def check(text, require=()):
    errors = []
    helps, types = {}, {}
    order = []        # families in the order of their first sample
    closed = set()    # families whose samples are over
    current = None
    seen_series = set()
    samples = []      # (family, name, labels, value, line)
    for n, line in enumerate(text.split("\n"), 1):
        where = f"line {n}"
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    errors.append(f"{where}: bad metric name {name!r}")
                    continue
                table = helps if parts[1] == "HELP" else types
                if name in table:
                    errors.append(f"{where}: second {parts[1]} for {name}")
                if parts[1] == "TYPE":
                    typ = parts[3] if len(parts) > 3 else ""
                    if typ not in TYPES:
                        errors.append(f"{where}: unknown type {typ!r} for {name}")
                    if name in order:
                        errors.append(f"{where}: TYPE of {name} after its samples")
                    types[name] = typ
                else:
                    body = parts[3] if len(parts) > 3 else ""
                    if not re.fullmatch(r"([^\\]|\\[\\n])*", body):
                        errors.append(f"{where}: HELP of {name}: bad escape")
                    helps[name] = body
            continue
        m = NAME.match(line)
        if not m:
            errors.append(f"{where}: not a sample: {line!r}")
            continue
        name, pos = m.group(0), m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, errors, where)
            if labels is None:
                continue
        rest = line[pos:]
        fields = rest.split(" ")
        if not rest.startswith(" ") or len(fields) not in (2, 3) or fields[1] == "":
            errors.append(f"{where}: expected one space, a value and maybe a timestamp: {rest!r}")
            continue
        try:
            value = parse_float(fields[1])
            if len(fields) == 3:
                int(fields[2])
        except ValueError as e:
            errors.append(f"{where}: {e}")
            continue
        fam = family_of(name, types)
        if fam is None:
            errors.append(f"{where}: sample {name} of no declared family (TYPE first)")
            continue
        if fam != current:
            if fam in closed:
                errors.append(f"{where}: samples of {fam} are not together")
            if current is not None:
                closed.add(current)
            current = fam
            if fam not in order:
                order.append(fam)
        if types[fam] == "histogram" and name == fam + "_bucket" and "le" not in labels:
            errors.append(f"{where}: bucket of {fam} without le")
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            errors.append(f"{where}: series {name}{dict(labels)} twice")
        seen_series.add(series)
        samples.append((fam, name, labels, value, n))

    for fam, typ in types.items():
        if not fam.startswith("ntms_"):
            errors.append(f"{fam}: name does not start with ntms_")
        if not helps.get(fam):
            errors.append(f"{fam}: no HELP text")
        if typ == "counter":
            if not fam.endswith("_total"):
                errors.append(f"{fam}: a counter's name must end in _total")
            for f, name, labels, value, n in samples:
                if f == fam and (math.isnan(value) or value < 0):
                    errors.append(f"line {n}: counter {fam} has value {value}")
        if typ == "histogram":
            check_histogram(fam, [s for s in samples if s[0] == fam], errors)
    for fam in helps:
        if fam not in types:
            errors.append(f"{fam}: HELP without TYPE")
    for fam in require:
        if fam not in types:
            errors.append(f"{fam}: required family missing")
        elif not any(s[0] == fam for s in samples):
            errors.append(f"{fam}: required family has no sample")
    return errors


def check_histogram(fam, samples, errors):
    series = {}
    for _, name, labels, value, n in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            try:
                le = parse_float(labels["le"])
            except (KeyError, ValueError):
                errors.append(f"line {n}: {fam}: bad le {labels.get('le')!r}")
                continue
            s["buckets"].append((le, value, n))
        elif name == fam + "_sum":
            s["sum"] = value
        else:
            s["count"] = (value, n)
    for key, s in series.items():
        what = f"{fam}{dict(key)}"
        b = s["buckets"]
        if not b or b[-1][0] != math.inf:
            errors.append(f"{what}: no +Inf bucket last")
        for (le0, v0, _), (le1, v1, n1) in zip(b, b[1:]):
            if not le0 < le1:
                errors.append(f"line {n1}: {what}: le values do not ascend")
            if v1 < v0:
                errors.append(f"line {n1}: {what}: buckets not cumulative")
        if s["sum"] is None:
            errors.append(f"{what}: no _sum")
        if s["count"] is None:
            errors.append(f"{what}: no _count")
        elif b and b[-1][0] == math.inf and s["count"][0] != b[-1][1]:
            errors.append(f"line {s['count'][1]}: {what}: _count {s['count'][0]} is not the "
                          f"+Inf bucket {b[-1][1]}")


GOOD = """# HELP ntms_things_total Things, with a \\\\ and a \\n in the help.
# TYPE ntms_things_total counter
ntms_things_total{kind="a \\"quoted\\" \\\\ word\\nnext"} 3
ntms_things_total{kind="b"} 0
# HELP ntms_size_bytes Size.
# TYPE ntms_size_bytes gauge
ntms_size_bytes 1.5e+06
# HELP ntms_wait_seconds Waits.
# TYPE ntms_wait_seconds histogram
ntms_wait_seconds_bucket{kind="x",le="0.5"} 1
ntms_wait_seconds_bucket{kind="x",le="1"} 2
ntms_wait_seconds_bucket{kind="x",le="+Inf"} 3
ntms_wait_seconds_sum{kind="x"} 4.25
ntms_wait_seconds_count{kind="x"} 3
"""

BROKEN = {
    "sample before its TYPE": lambda t: t.replace(
        "# TYPE ntms_size_bytes gauge\nntms_size_bytes 1.5e+06",
        "ntms_size_bytes 1.5e+06\n# TYPE ntms_size_bytes gauge"),
    "sample of no family": lambda t: t + "ntms_other 1\n",
    "unescaped quote": lambda t: t.replace('kind="b"', 'kind="b"c"'),
    "bad escape": lambda t: t.replace('kind="b"', 'kind="b\\t"'),
    "buckets not cumulative": lambda t: t.replace('le="1"} 2', 'le="1"} 0'),
    "count is not +Inf": lambda t: t.replace('_count{kind="x"} 3', '_count{kind="x"} 4'),
    "no +Inf bucket": lambda t: t.replace('ntms_wait_seconds_bucket{kind="x",le="+Inf"} 3\n', ""),
    "le not ascending": lambda t: t.replace('le="1"', 'le="0.25"'),
    "no _sum": lambda t: t.replace('ntms_wait_seconds_sum{kind="x"} 4.25\n', ""),
    "second TYPE": lambda t: t + "# TYPE ntms_size_bytes gauge\n",
    "family split": lambda t: t + 'ntms_things_total{kind="c"} 1\n',
    "bad value": lambda t: t.replace("1.5e+06", "1,5"),
    "counter without _total": lambda t: t.replace("ntms_things_total", "ntms_things"),
    "negative counter": lambda t: t.replace('kind="b"} 0', 'kind="b"} -1'),
    "series twice": lambda t: t.replace('ntms_things_total{kind="b"} 0',
                                        'ntms_things_total{kind="b"} 0\nntms_things_total{kind="b"} 1'),
    "reserved label": lambda t: t.replace('kind="b"', '__kind="b"'),
    "no prefix": lambda t: t.replace("ntms_size_bytes", "size_bytes"),
    "no HELP": lambda t: t.replace("# HELP ntms_size_bytes Size.\n", ""),
    "two spaces": lambda t: t.replace("ntms_size_bytes 1.5e+06", "ntms_size_bytes  1.5e+06"),
    "bad escape in HELP": lambda t: t.replace("Size.", "Size\\t."),
    "bucket without le": lambda t: t.replace('{kind="x",le="0.5"}', '{kind="x"}'),
}


def self_test():
    failed = 0
    errors = check(GOOD)
    if errors:
        print("self-test: the valid text was refused:", *errors, sep="\n  ")
        failed += 1
    for what, breaker in BROKEN.items():
        text = breaker(GOOD)
        if text == GOOD:
            print(f"self-test: the {what!r} change did not apply")
            failed += 1
        elif not check(text):
            print(f"self-test: {what} was not found")
            failed += 1
    if not check(GOOD, require=["ntms_absent"]):
        print("self-test: a missing required family was not found")
        failed += 1
    print(f"self-test: {len(BROKEN) + 2 - failed} of {len(BROKEN) + 2} cases right")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--require", action="append", default=[])
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("file", nargs="?")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.file:
        ap.error("a FILE or - is needed")
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    if not text.endswith("\n"):
        print("the text does not end with a newline")
        return 1
    errors = check(text, args.require)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
