#!/usr/bin/env python3
"""Compares `stratactl parse` with answers recorded from real InfluxDB 1.6.

Usage: test_lineproto_influxdb.py STRATACTL [CASES.jsonl]

tests/conformance/influxdb16_lineproto.jsonl holds what InfluxDB 1.6.7 (Debian's
influxdb package) answered to ~330 tricky line-protocol bodies, and what it
stored (re-record with probe_influxdb_lineproto.py). For every case this
runs stratactl parse on the same body and checks that
  * the bad lines give the same error text, joined by newlines, as InfluxDB's
    error (without its "partial write: " prefix and " dropped=N" suffix);
  * the good points, merged per series and time (last write wins per field,
    as InfluxDB stores them), equal what InfluxDB read back: measurement,
    tags, field names, types and values, time;
  * the canonical series keys equal InfluxDB's SHOW SERIES keys.
Deliberate differences are listed in DELIBERATE with the reason and checked
against our own expected answer; behaviour that belongs to the storage layer
(field type conflicts, fields or tags named "time") is listed in STORAGE and
only checked to parse. Python 3 standard library only.
"""

import json
import os
import subprocess
import sys

# name -> (reason, expected errors or None, expected points or None)
# points: list of (measurement, tags, {field: (type, value)}, time)
DELIBERATE = {
    "num_uint_1u": ("unsigned integers are accepted (InfluxDB OSS 1.x refuses them)",
                    [], [("m", {}, {"v": ("unsigned", 1)}, None)]),
    "num_uint_max": ("unsigned integers are accepted",
                     [], [("m", {}, {"v": ("unsigned", 18446744073709551615)}, None)]),
    "num_uint_over": ("unsigned integers are accepted; overflow is refused like int64's",
                      ["unable to parse 'm v=18446744073709551616u': unable to parse unsigned "
                       "18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": "
                       "value out of range"], []),
    "ws_crlf_no_ts": ("CRLF line ends are accepted", [],
                      [("cpu", {}, {"f": ("float", 1.0), "g": ("float", 2.0)}, None)]),
    "ws_crlf_ts": ("CRLF line ends are accepted", [],
                   [("cpu", {}, {"f": ("float", 1.0)}, 1000),
                    ("cpu", {}, {"f": ("float", 2.0)}, 2000)]),
    "ws_crlf_int_no_ts": ("CRLF line ends are accepted", [],
                          [("cpu", {}, {"f": ("integer", 1)}, None)]),
    "ws_crlf_bool_no_ts": ("CRLF line ends are accepted", [],
                           [("cpu", {}, {"f": ("boolean", True)}, None)]),
    "ws_crlf_str_no_ts": ("CRLF line ends are accepted (InfluxDB stores 'x\"')", [],
                          [("cpu", {}, {"f": ("string", "x")}, None)]),
    "ws_crlf_str_ts": ("CRLF line ends are accepted", [],
                       [("cpu", {}, {"f": ("string", "x")}, 1000)]),
    "ws_crlf_only_line": ("CRLF line ends are accepted: a lone CR is a blank line", [],
                          [("cpu", {}, {"f": ("float", 1.0)}, 1000)]),
    "ws_space_then_crlf": ("CRLF line ends are accepted", [],
                           [("cpu", {}, {"f": ("float", 1.0)}, 1000)]),
    "batch_bad_then_crlf": ("CRLF line ends are accepted",
                            ["unable to parse 'bad': missing fields"],
                            [("a", {}, {"f": ("float", 1.0)}, 1000)]),
    "ts_prec_us": ("precision=us means microseconds (InfluxDB 1.6 silently uses ns)", [],
                   [("cpu", {}, {"f": ("float", 1.0)}, 1000),
                    ("cpu", {}, {"f": ("float", 2.0)}, 1600000000000)]),
    "fkey_dbl_bs": ("same error; with more fields after it InfluxDB stores a mangled "
                    "field key instead", None, None),
    "meas_dbl_bs_comma": ("InfluxDB 1.6 accepts the point but cannot read it back; "
                          "strata keeps it", [],
                          [("a\\,b", {}, {"v": ("float", 1.0)}, 1000)]),
    "meas_dbl_bs_comma_tag": ("InfluxDB 1.6 accepts the point but cannot read it back; "
                              "strata keeps it", [],
                              [("a\\,b=c", {}, {"v": ("float", 1.0)}, 1000)]),
}
UNKNOWN_PRECISION = "refused: InfluxDB 1.6 silently reads an unknown precision as ns"

STORAGE = {
    "st_dup_field_diff_type", "st_dup_field_str", "st_field_time",
    "st_field_time_and_other", "st_tag_time", "st_tag_time_and_other",
    "st_type_conflict_in_batch", "st_type_conflict_plus_parse_error",
    "st_type_conflict_two_requests", "st_type_conflict_other_shards",
    "batch_good_plus_time_tag", "batch_parse_error_plus_time_tag",
    "batch_parse_error_plus_time_field", "batch_two_time_fields",
    "batch_type_conflict_other_series",
}

PRECISION_NS = {"": 1, "n": 1, "ns": 1, "u": 1000, "us": 1000, "ms": 10**6,
                "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def strip_influx_error(err):
    if err is None:
        return ""
    if err.startswith("partial write: "):
        err = err[len("partial write: "):]
        cut = err.rfind(" dropped=")
        if cut >= 0:
            err = err[:cut]
    return err


def run_parse(stratactl, body, precision, now):
    args = [stratactl, "parse", "--now", str(now)]
    if precision:
        args += ["--precision", precision]
    p = subprocess.run(args, input=body.encode("utf-8", "surrogateescape"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    objs = [json.loads(l) for l in p.stdout.decode("utf-8", "surrogateescape").splitlines() if l]
    return p.returncode, objs, p.stderr.decode("utf-8", "replace")


def merge(points):
    """Last write wins per field, per (series key, time), like InfluxDB."""
    out = {}
    for p in points:
        k = (p["series_key"], p["time"])
        if k not in out:
            out[k] = {"measurement": p["measurement"], "tags": dict(p["tags"]),
                      "fields": {}, "time": p["time"], "series_key": p["series_key"]}
        for name, fv in p["fields"].items():
            out[k]["fields"][name] = (fv["type"], fv["value"])
    return list(out.values())


def norm_ours(p):
    return (p["measurement"], tuple(sorted(p["tags"].items())),
            tuple(sorted((k, v[0], v[1]) for k, v in p["fields"].items())))


def norm_theirs(p):
    tags = {k: v for k, v in p["tags"].items() if v != ""}
    fields = tuple(sorted((k, p["field_types"][k], v) for k, v in p["fields"].items()))
    return (p["measurement"], tuple(sorted(tags.items())), fields)


def time_ok(ours, theirs, case, mult):
    if theirs is None:
        return True
    lo = case["t_before_ns"] - case["t_before_ns"] % mult
    if theirs == ours:
        return True
    # A point without timestamp: InfluxDB used its own receive time.
    return lo <= theirs <= case["t_after_ns"] and ours == lo


def check_case(stratactl, case):
    """Returns None when strata agrees, else a description of the difference."""
    name = case["name"]
    precision = case.get("precision", "")
    bodies = case.get("bodies", [case["body"]])
    now = case["t_before_ns"]
    if name in STORAGE:
        for b in bodies:
            rc, objs, err = run_parse(stratactl, b, precision, now)
            if rc not in (0, 1):
                return "stratactl failed: %s" % err
        return None
    if precision not in PRECISION_NS:
        rc, objs, err = run_parse(stratactl, bodies[0], precision, now)
        if rc != 2 or "unknown precision" not in err:
            return "unknown precision %r should be refused, got rc=%d" % (precision, rc)
        return None

    errors, points = [], []
    for b in bodies:
        rc, objs, err = run_parse(stratactl, b, precision, now)
        if rc not in (0, 1):
            return "stratactl failed: %s" % err
        errs = [o["error"] for o in objs if "error" in o]
        if (rc == 1) != bool(errs):
            return "exit status %d does not match %d errors" % (rc, len(errs))
        errors.append("\n".join(errs))
        points += [o for o in objs if "error" not in o]
    merged = merge(points)
    mult = PRECISION_NS[precision]

    if name in DELIBERATE:
        reason, want_errs, want_pts = DELIBERATE[name]
        if want_errs is None:
            want_errs = [strip_influx_error(case["error"])]
            want_pts = []
        got_errs = [e for e in errors if e]
        if got_errs != ["\n".join(want_errs)] and not (got_errs == [] and want_errs == []):
            return "deliberate (%s): errors %r, want %r" % (reason, got_errs, want_errs)
        got = sorted((norm_ours(p), p["time"]) for p in merged)
        want = []
        for m, tags, fields, t in want_pts:
            want.append(((m, tuple(sorted(tags.items())),
                          tuple(sorted((k, v[0], v[1]) for k, v in fields.items()))),
                         t if t is not None else now - now % mult))
        if got != sorted(want):
            return "deliberate (%s): points %r, want %r" % (reason, got, sorted(want))
        return None

    want_errors = [strip_influx_error(e) for e in case.get("errors", [case["error"]])]
    if errors != want_errors:
        return "errors differ:\n  strata:   %r\n  influxdb: %r" % (errors, want_errors)
    theirs = sorted(case["points"], key=lambda p: (repr(norm_theirs(p)), p["time"]))
    ours = sorted(merged, key=lambda p: (repr(norm_ours(p)), p["time"]))
    if [norm_ours(p) for p in ours] != [norm_theirs(p) for p in theirs]:
        return "points differ:\n  strata:   %r\n  influxdb: %r" % (
            [norm_ours(p) for p in ours], [norm_theirs(p) for p in theirs])
    for a, b in zip(ours, theirs):
        if not time_ok(a["time"], b["time"], case, mult):
            return "time differs: strata %d, influxdb %d" % (a["time"], b["time"])
    if case["points"]:
        keys = sorted(set(p["series_key"] for p in merged))
        if keys != sorted(case["series_keys"]):
            return "series keys differ: strata %r, influxdb %r" % (keys, case["series_keys"])
    return None


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    stratactl = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "influxdb16_lineproto.jsonl")
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        cases = [json.loads(l) for l in f if l.strip()]
    failed = 0
    for case in cases:
        diff = check_case(stratactl, case)
        if diff:
            failed += 1
            print("FAIL %s: %r\n  %s" % (case["name"], case["body"][:200], diff))
    passed = len(cases) - failed
    print("lineproto vs InfluxDB 1.6: %d cases, %d deliberate differences, %d storage-level"
          % (len(cases), len(DELIBERATE), len(STORAGE)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
