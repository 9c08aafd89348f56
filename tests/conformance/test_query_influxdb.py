#!/usr/bin/env python3
"""Differential test of /query: the same data and queries against a real
InfluxDB 1.x and a strata router, answers compared.

Usage:
    test_query_influxdb.py URL [-k SUBSTRING] [-v] [--keep] [--influxd PATH]
    test_query_influxdb.py --influx-only [-k SUBSTRING] [-v] [--keep] [--influxd PATH]
    test_query_influxdb.py --list
    test_query_influxdb.py --show [-k SUBSTRING] [--influxd PATH]

URL is a strata router (http://127.0.0.1:PORT). The script starts its own
InfluxDB (`influxd` from PATH, or --influxd) on free 127.0.0.1 ports with a
temporary config (probe_influxdb_http.py's Server and CONFIG), creates one
database with a name unique to the run in both, writes the same data into
both through /write (gen_data() below: several measurements, every field type,
precisions s/ms/u/ns, points overwritten, gaps, three 7-day shard groups),
then runs every case of CASES against both and compares:

  * the status code and the Content-Type;
  * the body: JSON bodies are parsed and compared structurally. Floats
    compare with a relative tolerance of 1e-9 (absolute 1e-12 near 0);
    integers, strings, booleans and nulls exactly, and types too: a JSON
    integer is not equal to a float (`2` and `2.0` differ, as Go prints a
    float64 2 as `2`). Series and rows keep their order unless the case says
    order="ties" (rows with equal time may come in any order) or "any" (rows
    and series are sorted first). chunked=True cases join the chunks first
    (consecutive partial series are concatenated, "partial" dropped);
    csv=True and pretty=True cases compare the text exactly. rows="count"
    (sample()) compares the number of rows only.

A case whose strata answer contains "not implemented yet" is SKIPPED (not
failed): that is how unimplemented features show. DELIBERATE lists intended
differences (case id -> reason); they are reported and never fail. Anything
else that differs FAILS and prints the query, both answers (first 2 KB) and
the path of the first difference. Exit status: 0 when nothing failed, 1
otherwise, 2 on a usage error or when InfluxDB cannot be started.

--influx-only runs the cases against a second InfluxDB instead of strata (a
self-check of the harness and of the cases' determinism: everything must
pass; DELIBERATE is ignored). --show prints InfluxDB's answers (to review
new cases). --keep keeps the temporary directory (InfluxDB's data and
logs) and the database in strata. -v prints every case.

Writes use consistency=all, so every replica of a strata cluster holds the
data before the first query. Python 3 standard library only; loopback only.
See docs/query-conformance.md.
"""

import calendar
import http.client
import json
import re
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_influxdb_http as P  # noqa: E402

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

T0 = 1704067200  # 2024-01-01T00:00:00Z, a Monday; shard groups start on Thursdays
DAY = 86400
SEED = 20240101
HOSTS = ["server%02d" % i for i in range(1, 7)]
REGION = {"server01": "us-east", "server02": "us-east", "server03": "us-west",
          "server04": "us-west", "server05": "eu-central", "server06": "eu-central"}
CPU_STEP = 1200          # 20 minutes
CPU_DAYS = 12            # 2024-01-01 .. 2024-01-12: shard groups from Dec 28, Jan 4, Jan 11
STATES = ["running", "idle", "stopped", "sleep ing", 'quo"te', "back\\slash", "ünïcode"]
DISK_DEVS = ["sda 1", "nvme,0", "x=y", "back\\slash"]
UNIT_NS = {"s": 10 ** 9, "ms": 10 ** 6, "u": 10 ** 3, "ns": 1, None: 1}


def esc_meas(s):
    return s.replace(",", "\\,").replace(" ", "\\ ")


def esc_tag(s):
    return s.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def esc_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cpu_gap(host, sec):
    """True when (host, time) has no cpu point: windows without points."""
    rel = sec - T0
    if 2 * DAY + 3 * 3600 <= rel < 2 * DAY + 9 * 3600:       # all hosts: 6 hours
        return True
    if host == "server03" and DAY <= rel < DAY + 12 * 3600:    # one host: 12 hours
        return True
    if host == "server06" and rel < 4 * DAY:                   # appears on day 4
        return True
    if host == "server05" and rel >= 10 * DAY:                 # stops on day 10
        return True
    return False


def gen_data():
    """The write batches: list of (label, params, body). Deterministic."""
    rng = random.Random(SEED)
    batches = []
    precs = ["s", "ms", "u", "ns", None]
    # cpu: 6 hosts x 12 days every 20 minutes, one batch per day, precisions vary.
    for day in range(CPU_DAYS):
        prec = precs[day % len(precs)]
        lines = []
        for slot in range(DAY // CPU_STEP):
            sec = T0 + day * DAY + slot * CPU_STEP
            for host in HOSTS:
                if cpu_gap(host, sec):
                    continue
                if rng.random() < 0.05:
                    uu = "%d" % rng.randint(0, 100)        # a float with an integral value
                else:
                    uu = repr(rng.uniform(0, 100))
                fields = ["usage_user=" + uu,
                          "usage_system=%s" % repr(round(rng.uniform(0, 20), 3)),
                          "procs=%di" % rng.randint(50, 300),
                          "on=" + rng.choice(["t", "T", "true", "True", "TRUE"] if
                                             rng.random() < 0.7 else
                                             ["f", "F", "false", "False", "FALSE"])]
                if slot % 3 == 0:
                    fields.append("state=" + esc_str(rng.choice(STATES)))
                ts = sec * 10 ** 9 // UNIT_NS[prec]
                lines.append("cpu,host=%s,region=%s %s %d" % (host, REGION[host],
                                                              ",".join(fields), ts))
        params = {"precision": prec} if prec else {}
        batches.append(("cpu day %d (precision %s)" % (day, prec or "default"), params,
                        "\n".join(lines) + "\n"))
    # Overwrites: the same series and time written again (last write wins),
    # with the tags in another order; only some fields, so the others stay.
    lines = []
    for slot in range(30):
        sec = T0 + slot * CPU_STEP
        lines.append("cpu,region=us-east,host=server01 usage_user=%s,procs=%di %d" % (
            repr(rng.uniform(100, 200)), rng.randint(1000, 2000), sec))
    sec = T0 + 5 * CPU_STEP
    lines.append("cpu,host=server02,region=us-east usage_user=1.5 %d" % sec)
    lines.append("cpu,host=server02,region=us-east usage_user=2.5 %d" % sec)  # wins
    batches.append(("cpu overwrites", {"precision": "s"}, "\n".join(lines)))
    # temp: 3 machines x 2 lines, every 10 minutes with millisecond jitter, 3 days.
    for m in ("m1", "m2", "m3"):
        lines = []
        for slot in range(3 * DAY // 600):
            for ln in ("A", "B"):
                if m == "m2" and ln == "B" and 144 <= slot < 180:
                    continue
                ms = (T0 + slot * 600) * 1000 + rng.randint(0, 999)
                lines.append("temp,machine=%s,line=%s value=%s,count=%di %d" % (
                    m, ln, repr(round(rng.gauss(20, 5), 2)), rng.randint(-50, 50), ms))
        batches.append(("temp %s (precision ms)" % m, {"precision": "ms"}, "\n".join(lines)))
    # "disk io": names that need quotes and escapes; microseconds.
    lines = []
    for hour in range(48):
        for i, dev in enumerate(DISK_DEVS):
            us = (T0 + hour * 3600) * 10 ** 6 + rng.randint(0, 999999)
            lines.append("%s,%s=%s,host=%s %s=%di,%s=%di,%s=%s %d" % (
                esc_meas("disk io"), esc_tag("dev name"), esc_tag(dev),
                "server01" if i < 2 else "server02",
                esc_tag("read bytes"), rng.randint(0, 10 ** 9),
                esc_tag("write bytes"), rng.randint(0, 10 ** 6),
                esc_tag("util %"), repr(rng.uniform(0, 1)), us))
    batches.append(("disk io (precision u)", {"precision": "u"}, "\n".join(lines)))
    # events: nanosecond timestamps, duplicates inside one batch (the later line wins).
    lines = []
    stamps = []
    for i in range(200):
        for kind in ("a", "b"):
            ns = (T0 + i * 60) * 10 ** 9 + rng.randint(0, 10 ** 9 - 1)
            stamps.append((kind, ns))
            lines.append("events,kind=%s value=%di,ok=%s,label=%s %d" % (
                kind, rng.randint(0, 1000), rng.choice(["true", "false"]),
                esc_str("e%d" % rng.randint(0, 9)), ns))
    for kind, ns in rng.sample(stamps, 10):
        lines.append("events,kind=%s value=%di %d" % (kind, rng.randint(5000, 6000), ns))
    batches.append(("events (precision ns)", {"precision": "ns"}, "\n".join(lines)))
    # victim, victim2: what the DROP / DELETE cases (run last) remove. Three
    # hosts over two days, so a DELETE can cut a time range in two shard
    # groups; a copy in rp2, as deletes reach every policy.
    lines = []
    for hour in range(48):
        for host, dc in (("a", "x"), ("b", "x"), ("c", "y")):
            sec = T0 + 2 * DAY + hour * 3600
            lines.append("victim,host=%s,dc=%s v=%di %d" % (host, dc, hour, sec))
            lines.append("victim2,host=%s v=%di %d" % (host, hour, sec))
    batches.append(("victim (precision s)", {"precision": "s"}, "\n".join(lines)))
    # A second retention policy.
    lines = ["victim,host=a,dc=x v=100i %d" % (T0 + 2 * DAY), "victim2,host=a v=1i %d" % T0]
    for hour in range(24):
        for host in ("server01", "server02"):
            lines.append("cpu,host=%s,region=%s usage_user=%s %d" % (
                host, REGION[host], repr(round(rng.uniform(0, 100), 1)), T0 + hour * 3600))
    for i in range(10):
        lines.append("rp2only v=%d %d" % (i, T0 + i * 60))
    batches.append(("rp2 (precision s)", {"precision": "s", "rp": "rp2"}, "\n".join(lines)))
    # tzdst: every 30 minutes around the 2024 DST changes of New York
    # (Mar 10, Nov 3) and London (Mar 31, Oct 27), for tz() windows.
    lines = []
    for start, days in (("2024-03-08", 4), ("2024-03-30", 2), ("2024-10-26", 2),
                        ("2024-11-02", 3)):
        sec0 = calendar.timegm(time.strptime(start, "%Y-%m-%d"))
        for slot in range(days * 48):
            sec = sec0 + slot * 1800
            for host in ("a", "b"):
                if host == "b" and slot % 5 == 0:
                    continue
                lines.append("tzdst,host=%s v=%d,f=%s %d" % (host, slot, repr(slot / 4.0), sec))
    batches.append(("tzdst (precision s)", {"precision": "s"}, "\n".join(lines)))
    return batches


SETUP = ['CREATE DATABASE "{db}"',
         'CREATE RETENTION POLICY rp2 ON "{db}" DURATION INF REPLICATION 1']

# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


class C:
    """One query.

    id       short unique name (-k selects by substring)
    q        the query text; {db} and {nodb} are replaced by this run's
             database and a database that does not exist
    db       the db parameter ("{db}" by default; None: no parameter)
    epoch    the epoch parameter
    order    "exact" (default), "ties" (rows of equal time in any order: a
             raw query over several series without GROUP BY), "any" (rows
             and series sorted before comparing)
    rows     "values" (default) or "count": compare only how many rows each
             series has (sample() picks at random)
    chunked  True or a chunk size: chunked=true[&chunk_size=N]; the chunks
             are joined before comparing
    csv      Accept: application/csv; the text is compared exactly
    pretty   pretty=true; the text is compared exactly
    params   bound parameters (dict, sent as params=JSON)
    method   POST (q in a form body, default) or GET (q in the URL)
    filter_dbs  SHOW DATABASES: keep only this run's database
    """

    def __init__(self, id, q, db="{db}", epoch=None, order="exact", rows="values",
                 chunked=None, csv=False, pretty=False, params=None, method="POST",
                 filter_dbs=False):
        assert order in ("exact", "ties", "any") and rows in ("values", "count")
        self.id, self.q, self.db, self.epoch = id, q, db, epoch
        self.order, self.rows, self.chunked = order, rows, chunked
        self.csv, self.pretty, self.params, self.method = csv, pretty, params, method
        self.filter_dbs = filter_dbs


# Time ranges used below.
W4H = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T04:00:00Z'"
WDAY = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'"
WALL = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-13T00:00:00Z'"
WGAP = "time >= '2024-01-03T00:00:00Z' AND time < '2024-01-03T12:00:00Z'"
W3GAP = "time >= '2024-01-01T20:00:00Z' AND time < '2024-01-02T16:00:00Z'"
WTEMP = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-04T00:00:00Z'"
S1 = "host = 'server01'"

CASES = [
    # ---- SELECT: raw fields, tags, *, casts, arithmetic, aliases ------------
    C("raw_star", "SELECT * FROM cpu WHERE %s" % W4H, order="ties"),
    C("raw_star_one_host", "SELECT * FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_fields", "SELECT usage_user, usage_system FROM cpu WHERE host = 'server02' AND %s"
      % W4H),
    C("raw_field_and_tags", "SELECT usage_user, host, region FROM cpu WHERE %s" % W4H,
      order="ties"),
    C("raw_tag_only", "SELECT host FROM cpu WHERE %s" % W4H),
    C("raw_two_tags_only", "SELECT host, region FROM cpu WHERE %s" % W4H),
    C("raw_time_column", "SELECT time, usage_user FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_only_time", "SELECT time FROM cpu WHERE %s" % W4H),
    C("raw_casts_same_type", 'SELECT usage_user::float, procs::integer, state::string, '
      '"on"::boolean FROM cpu WHERE %s AND %s' % (S1, W4H)),
    C("raw_cast_int_to_float", "SELECT procs::float FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_cast_float_to_int", "SELECT usage_user::integer FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_cast_tag", "SELECT usage_user, host::tag FROM cpu WHERE %s" % W4H, order="ties"),
    C("raw_cast_tag_as_field", "SELECT usage_user, host::field FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_star_field", "SELECT *::field FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_star_tag_plus_field", "SELECT *::tag, usage_user FROM cpu WHERE %s" % W4H,
      order="ties"),
    C("raw_regex_fields", "SELECT /usage/ FROM cpu WHERE host = 'server03' AND %s" % W4H),
    C("raw_regex_tags", "SELECT /o/ FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_regex_group_tag", "SELECT /o/ FROM cpu WHERE %s GROUP BY host" % W4H),
    C("raw_regex_two", "SELECT /^usage_u/, procs, /^reg/ FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_regex_none", "SELECT /nosuch/ FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("raw_regex_measurements", "SELECT /a/ FROM /^(cpu|temp)$/ WHERE "
      "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T00:30:00Z' AND "
      "(host = 'server01' OR machine = 'm1')", order="ties"),
    C("raw_same_field_twice", "SELECT usage_user, usage_user FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_string_field", "SELECT state FROM cpu WHERE host = 'server04' AND %s" % WDAY),
    C("raw_bool_field", 'SELECT "on" FROM cpu WHERE host = \'server04\' AND %s' % W4H),
    C("raw_alias", "SELECT usage_user AS u, procs AS p FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("arith_add", "SELECT usage_user + usage_system FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("arith_alias", "SELECT usage_user + usage_system AS total, usage_user - usage_system "
      "AS d FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("arith_consts", "SELECT usage_user * 2, usage_user / 4, procs * 2, procs / 2, "
      "procs % 7, procs - 300 FROM cpu WHERE host = 'server02' AND " + W4H),
    C("arith_paren_neg", "SELECT (usage_user + 1) * -2, -procs FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("arith_bitwise", "SELECT procs & 15, procs | 1, procs ^ 255 FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("arith_int_float", "SELECT procs + usage_user, procs * 1.5, procs / 3 FROM cpu "
      "WHERE host = 'server05' AND " + W4H),
    C("arith_div_zero", "SELECT usage_user / 0, procs / 0 FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("arith_string", "SELECT state + 'x' FROM cpu WHERE %s AND %s" % (S1, WDAY)),
    C("arith_missing_field", "SELECT usage_user + nosuch FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_unknown_field_with_known", "SELECT usage_user, nosuch FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("raw_unknown_field", "SELECT nosuch FROM cpu WHERE %s" % W4H),
    C("raw_unknown_measurement", "SELECT * FROM nosuch"),
    C("raw_no_where", "SELECT usage_user FROM cpu WHERE host = 'server06' LIMIT 5"),
    # ---- FROM ----------------------------------------------------------------
    C("from_quoted", 'SELECT * FROM "disk io" WHERE time < \'2024-01-01T06:00:00Z\'',
      order="ties"),
    C("from_quoted_fields", 'SELECT "read bytes", "util %" FROM "disk io" '
      'WHERE "dev name" = \'sda 1\''),
    C("from_quoted_tag_comma", 'SELECT "write bytes" FROM "disk io" '
      'WHERE "dev name" = \'nvme,0\' AND time < \'2024-01-01T12:00:00Z\''),
    C("from_quoted_tag_equals", 'SELECT * FROM "disk io" WHERE "dev name" = \'x=y\' '
      'AND time < \'2024-01-01T12:00:00Z\''),
    C("from_quoted_tag_backslash", 'SELECT * FROM "disk io" WHERE "dev name" = '
      "'back\\\\slash' AND time < '2024-01-01T12:00:00Z'"),
    C("from_quoted_group_by_tag", 'SELECT max("read bytes") FROM "disk io" GROUP BY "dev name"'),
    C("from_regex", "SELECT count(*) FROM /^(cpu|temp)$/ WHERE %s" % WALL),
    C("from_regex_raw", "SELECT usage_user, value FROM /^(cpu|temp)$/ WHERE "
      "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T01:00:00Z'", order="ties"),
    C("from_regex_all", "SELECT count(*) FROM /.*/ WHERE %s" % WALL),
    C("from_regex_none", "SELECT * FROM /^nomatch/"),
    C("from_db_rp", 'SELECT usage_user FROM "{db}"."autogen"."cpu" WHERE %s AND %s'
      % (S1, W4H)),
    C("from_db_default_rp", 'SELECT usage_user FROM "{db}".."cpu" WHERE %s AND %s'
      % (S1, W4H)),
    C("from_db_rp2", 'SELECT * FROM "{db}"."rp2"."cpu" WHERE time < \'2024-01-01T03:00:00Z\'',
      order="ties"),
    C("from_rp2", "SELECT * FROM rp2.cpu WHERE %s AND time < '2024-01-01T05:00:00Z'" % S1),
    C("from_rp2_only_in_default_rp", "SELECT * FROM rp2only"),
    C("from_rp2_only", "SELECT * FROM rp2.rp2only"),
    C("from_db_rp_no_db_param", 'SELECT count(usage_user) FROM "{db}"."autogen"."cpu" '
      "WHERE " + WALL, db=None),
    C("from_two", "SELECT usage_user, value FROM cpu, temp WHERE "
      "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T01:00:00Z'", order="ties"),
    C("from_two_count", 'SELECT count(*) FROM cpu, "disk io" WHERE ' + WALL),
    C("from_two_group_by", "SELECT mean(*) FROM cpu, temp WHERE %s GROUP BY time(1d)" % WTEMP),
    # ---- WHERE time ------------------------------------------------------------
    C("time_rfc3339", "SELECT usage_user FROM cpu WHERE %s AND time >= '2024-01-01T01:00:00Z' "
      "AND time <= '2024-01-01T02:00:00Z'" % S1),
    C("time_rfc3339_fraction", "SELECT usage_user FROM cpu WHERE %s AND time > "
      "'2024-01-01T01:00:00.5Z' AND time < '2024-01-01T03:00:00.000000001Z'" % S1),
    C("time_rfc3339_offset", "SELECT usage_user FROM cpu WHERE %s AND time >= "
      "'2024-01-01T03:00:00+02:00' AND time < '2024-01-01T04:00:00+01:00'" % S1),
    C("time_space_format", "SELECT usage_user FROM cpu WHERE %s AND time >= "
      "'2024-01-01 01:00:00' AND time < '2024-01-01 02:30:00'" % S1),
    C("time_date_only", "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-02' "
      "AND time < '2024-01-03'"),
    C("time_epoch_ns", "SELECT usage_user FROM cpu WHERE %s AND time >= 1704070800000000000 "
      "AND time < 1704078000000000000" % S1),
    C("time_epoch_s", "SELECT usage_user FROM cpu WHERE %s AND time >= 1704070800s "
      "AND time < 1704078000s" % S1),
    C("time_epoch_ms", "SELECT usage_user FROM cpu WHERE %s AND time >= 1704070800000ms "
      "AND time < 1704078000000ms" % S1),
    C("time_epoch_u", "SELECT usage_user FROM cpu WHERE %s AND time >= 1704070800000000u "
      "AND time < 1704078000000000u" % S1),
    C("time_epoch_mixed", "SELECT usage_user FROM cpu WHERE %s AND time >= 1704070800s "
      "AND time < '2024-01-01T03:00:00Z'" % S1),
    C("time_arith", "SELECT usage_user FROM cpu WHERE %s AND time >= '2024-01-01T00:00:00Z' "
      "+ 1h AND time < '2024-01-01T04:00:00Z' - 30m" % S1),
    C("time_now_all", "SELECT max(usage_user) FROM cpu WHERE time > now() - 3650d"),
    C("time_now_raw", "SELECT usage_user FROM cpu WHERE %s AND time > now() - 3650d LIMIT 4"
      % S1),
    C("time_now_none", "SELECT count(usage_user) FROM cpu WHERE time > now() - 1d"),
    C("time_now_upper", "SELECT count(usage_user) FROM cpu WHERE time < now() AND "
      "time > '2024-01-12T00:00:00Z'"),
    C("time_eq", "SELECT * FROM cpu WHERE time = '2024-01-01T01:00:00Z'", order="ties"),
    C("time_gt_only", "SELECT usage_user FROM cpu WHERE time > '2024-01-12T22:00:00Z' "
      "GROUP BY host"),
    C("time_lt_only", "SELECT usage_user FROM cpu WHERE time < '2024-01-01T01:00:00Z' "
      "GROUP BY host"),
    C("time_or", "SELECT usage_user FROM cpu WHERE %s AND (time < '2024-01-01T01:00:00Z' "
      "OR time > '2024-01-12T23:00:00Z')" % S1),
    C("time_empty_range", "SELECT * FROM cpu WHERE time > '2024-01-02T00:00:00Z' AND "
      "time < '2024-01-01T00:00:00Z'"),
    C("time_bad_string", "SELECT * FROM cpu WHERE time > 'yesterday'"),
    C("time_ne", "SELECT usage_user FROM cpu WHERE %s AND %s AND "
      "time != '2024-01-01T01:00:00Z'" % (S1, W4H)),
    C("time_shard_boundary", "SELECT usage_user FROM cpu WHERE %s AND "
      "time > '2024-01-03T23:00:00Z' AND time < '2024-01-04T01:00:00Z'" % S1),
    C("time_shard_boundary_agg", "SELECT count(usage_user), sum(procs) FROM cpu WHERE "
      "time >= '2024-01-10T00:00:00Z' AND time < '2024-01-12T00:00:00Z' GROUP BY time(12h)"),
    # ---- WHERE tags --------------------------------------------------------------
    C("tag_eq", "SELECT count(usage_user) FROM cpu WHERE host = 'server03' AND " + WALL),
    C("tag_eq_reversed", "SELECT count(usage_user) FROM cpu WHERE 'server03' = host AND "
      + WALL),
    C("tag_ne", "SELECT count(usage_user) FROM cpu WHERE host != 'server03' AND " + WALL),
    C("tag_ne_angle", "SELECT count(usage_user) FROM cpu WHERE host <> 'server03' AND "
      + WALL),
    C("tag_regex", "SELECT count(usage_user) FROM cpu WHERE host =~ /server0[12]/ AND "
      + WALL + " GROUP BY host"),
    C("tag_not_regex", "SELECT count(usage_user) FROM cpu WHERE host !~ /0[12]$/ AND "
      + WALL + " GROUP BY host"),
    # InfluxDB 1.6 compares strings (tags and fields) for equality only.
    C("tag_gt_string", "SELECT count(usage_user) FROM cpu WHERE host > 'server01' AND " + WALL),
    C("tag_lte_reversed", "SELECT count(usage_user) FROM cpu WHERE 'server02' >= host AND "
      + WALL),
    C("tag_gt_or_field", "SELECT count(usage_user) FROM cpu WHERE (host > 'a' OR "
      "usage_user > 90) AND " + WALL),
    C("field_string_lt", "SELECT state FROM cpu WHERE state < 'zzz' AND %s AND %s"
      % (S1, W4H)),
    C("field_string_ne", "SELECT count(state) FROM cpu WHERE state != 'idle' AND " + WALL),
    C("sub_tag_gt", "SELECT max FROM (SELECT max(usage_user) FROM cpu WHERE %s GROUP BY host) "
      "WHERE host > 'server01'" % WALL),
    C("tag_or", "SELECT count(usage_user) FROM cpu WHERE (region = 'eu-central' OR "
      "host = 'server01') AND %s GROUP BY host" % WALL),
    C("tag_and", "SELECT count(usage_user) FROM cpu WHERE region = 'us-east' AND "
      "host = 'server02' AND " + WALL),
    C("tag_paren", "SELECT count(usage_user) FROM cpu WHERE ((host = 'server01' OR "
      "host = 'server04') AND region = 'us-east') AND " + WALL),
    C("tag_missing_eq_empty", "SELECT count(usage_user) FROM cpu WHERE nosuch = '' AND "
      + WALL),
    C("tag_missing_eq_value", "SELECT count(usage_user) FROM cpu WHERE nosuch = 'x' AND "
      + WALL),
    C("tag_ne_empty", "SELECT count(usage_user) FROM cpu WHERE host != '' AND " + WALL),
    C("tag_regex_anchored", "SELECT count(usage_user) FROM cpu WHERE host =~ "
      "/^server0[135]$/ AND %s GROUP BY host" % WALL),
    C("tag_regex_bad", "SELECT * FROM cpu WHERE host =~ /[/"),
    C("tag_raw_rows", "SELECT usage_user, host FROM cpu WHERE (host = 'server01' OR "
      "host = 'server05') AND " + W4H, order="ties"),
    # ---- WHERE fields ------------------------------------------------------------
    C("field_gt", "SELECT usage_user FROM cpu WHERE usage_user > 90 AND %s AND %s"
      % (S1, WDAY)),
    C("field_int_eq", "SELECT procs, host FROM cpu WHERE procs = 100 AND " + WALL,
      order="ties"),
    C("field_bool", 'SELECT "on" FROM cpu WHERE "on" = false AND %s AND %s' % (S1, WDAY)),
    C("field_bool_true", 'SELECT count("on") FROM cpu WHERE "on" = true AND ' + WALL),
    C("field_string", "SELECT state FROM cpu WHERE state = 'idle' AND %s AND %s"
      % (S1, WALL)),
    C("field_string_regex", "SELECT state FROM cpu WHERE state =~ /ing$/ AND %s AND %s"
      % (S1, WALL)),
    C("field_string_escape", "SELECT state FROM cpu WHERE state = 'quo\"te' AND " + WALL,
      order="ties"),
    C("field_and", "SELECT usage_user, procs FROM cpu WHERE usage_user > 50 AND procs < 100 "
      "AND %s AND %s" % (S1, WALL)),
    C("field_or_paren", "SELECT usage_user FROM cpu WHERE (usage_user > 95 OR usage_user < 5)"
      " AND host = 'server02' AND " + WALL),
    C("field_vs_field", "SELECT usage_user, usage_system FROM cpu WHERE "
      "usage_user < usage_system AND %s AND %s" % (S1, WALL)),
    C("field_arith", "SELECT usage_user FROM cpu WHERE usage_user + usage_system > 115 AND "
      + WALL, order="ties"),
    C("field_int_vs_float_literal", "SELECT procs FROM cpu WHERE procs > 298.5 AND " + WALL,
      order="ties"),
    C("field_or_tag", "SELECT usage_user FROM cpu WHERE (host = 'server01' OR "
      "usage_user > 99.5) AND " + WDAY, order="ties"),
    C("field_in_aggregate", "SELECT count(usage_user) FROM cpu WHERE usage_user > 50 AND "
      "%s GROUP BY host" % WALL),
    C("field_missing_cmp", "SELECT usage_user FROM cpu WHERE nosuch > 1 AND %s" % W4H),
    # ---- aggregates ---------------------------------------------------------------
    C("agg_count", "SELECT count(usage_user) FROM cpu WHERE " + WALL),
    C("agg_count_star", "SELECT count(*) FROM cpu WHERE " + WALL),
    C("agg_count_star_group_host", "SELECT count(*) FROM cpu WHERE %s GROUP BY host" % WALL),
    C("agg_count_no_time", "SELECT count(value) FROM temp"),
    C("agg_sum", "SELECT sum(usage_user), sum(procs) FROM cpu WHERE " + WALL),
    C("agg_mean", "SELECT mean(usage_user), mean(procs) FROM cpu WHERE " + WALL),
    C("agg_mean_star", "SELECT mean(*) FROM cpu WHERE " + WALL),
    C("agg_median", "SELECT median(usage_user), median(procs) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("agg_mode", 'SELECT mode(procs), mode(state), mode("on") FROM cpu WHERE %s GROUP BY host'
      % WALL),
    C("agg_spread", "SELECT spread(usage_user), spread(procs) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("agg_stddev", "SELECT stddev(usage_user), stddev(procs) FROM cpu WHERE %s "
      "GROUP BY host" % WALL),
    C("agg_integral", "SELECT integral(usage_user), integral(usage_user, 1h) FROM cpu WHERE "
      "%s AND %s" % (S1, WDAY)),
    # One series only: with GROUP BY time(...), host InfluxDB 1.6 emits the last window
    # of each series as a separate series, in a random order (a bug of 1.6).
    C("agg_integral_group", "SELECT integral(usage_user, 1m) FROM cpu WHERE %s AND %s "
      "GROUP BY time(6h)" % (S1, WDAY)),
    C("agg_distinct_string", "SELECT distinct(state) FROM cpu WHERE " + WALL, order="ties"),
    C("agg_distinct_int", "SELECT distinct(procs) FROM cpu WHERE %s AND %s" % (S1, W4H),
      order="ties"),
    C("agg_distinct_group", "SELECT distinct(state) FROM cpu WHERE %s GROUP BY time(3d)"
      % WALL, order="ties"),
    C("agg_count_distinct", "SELECT count(distinct(state)), count(distinct(procs)) FROM cpu "
      "WHERE " + WALL),
    C("agg_several", "SELECT count(usage_user), mean(usage_user), sum(procs) FROM cpu WHERE "
      "%s GROUP BY time(1d)" % WALL),
    C("agg_count_bool_string", 'SELECT count("on"), count(state) FROM cpu WHERE ' + WALL),
    C("agg_mean_string", "SELECT mean(state) FROM cpu WHERE " + WALL),
    C("agg_sum_bool", 'SELECT sum("on") FROM cpu WHERE ' + WALL),
    C("agg_math_on_agg", "SELECT mean(usage_user) * 2 + 1 FROM cpu WHERE %s "
      "GROUP BY time(6h)" % WDAY),
    C("agg_agg_arith", "SELECT sum(usage_user) / count(usage_user) FROM cpu WHERE %s "
      "GROUP BY time(6h)" % WDAY),
    C("agg_no_data", "SELECT mean(usage_user) FROM cpu WHERE host = 'nosuch' AND " + WALL),
    C("agg_no_time_range", "SELECT max(usage_user), min(usage_user) FROM cpu"),
    C("agg_ms_data", "SELECT mean(value), max(count), min(count) FROM temp WHERE "
      "%s GROUP BY time(4h), machine, line fill(none)" % WTEMP),
    C("agg_ns_data", "SELECT count(value), sum(value) FROM events GROUP BY time(30m), kind"),
    C("agg_disk_io", 'SELECT sum("read bytes"), mean("util %") FROM "disk io" '
      "GROUP BY time(12h), *"),
    # ---- GROUP BY --------------------------------------------------------------------
    C("gb_time_1h", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h)" % WDAY),
    C("gb_time_offset", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h, 15m)"
      % WDAY),
    C("gb_time_neg_offset", "SELECT count(usage_user) FROM cpu WHERE %s "
      "GROUP BY time(1d, -6h)" % WALL),
    C("gb_time_7d", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(7d)" % WALL),
    C("gb_time_1w_offset", "SELECT count(usage_user) FROM cpu WHERE %s "
      "GROUP BY time(1w, 4d)" % WALL),
    C("gb_time_partial_first", "SELECT count(usage_user) FROM cpu WHERE "
      "time >= '2024-01-01T00:30:00Z' AND time < '2024-01-01T05:10:00Z' GROUP BY time(1h)"),
    C("gb_time_host", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h), host"
      % WDAY),
    C("gb_host_time_order", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY host, time(6h)"
      % WDAY),
    C("gb_time_star", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(1d), *"
      % WALL),
    C("gb_host_region", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY host, region"
      % WALL),
    C("gb_region", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY region" % WALL),
    C("gb_regex", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY /reg/" % WALL),
    C("gb_regex_two", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h), /o/"
      % WDAY),
    C("gb_regex_tag", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY region, /^h/"
      % WALL),
    C("gb_regex_none", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY /nosuch/" % WALL),
    C("gb_regex_star_raw", "SELECT * FROM cpu WHERE %s AND %s GROUP BY /^h/" % (S1, W4H)),
    C("gb_regex_raw", "SELECT usage_user FROM cpu WHERE %s GROUP BY /reg/" % W4H,
      order="ties"),
    C("gb_missing_tag", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY nosuch" % WALL),
    C("gb_star_raw", "SELECT * FROM cpu WHERE %s GROUP BY *" % W4H),
    C("gb_host_raw", "SELECT usage_user FROM cpu WHERE %s GROUP BY host" % W4H),
    C("gb_field", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY procs" % WALL),
    C("gb_no_upper_bound", "SELECT count(usage_user) FROM cpu WHERE "
      "time >= '2024-01-01T00:00:00Z' GROUP BY time(30d)"),
    C("gb_time_tz", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(1d) "
      "tz('America/New_York')" % WALL),
    C("gb_raw_tz", "SELECT usage_user FROM cpu WHERE %s AND %s tz('Asia/Kolkata')"
      % (S1, W4H)),
    # tz(): windows on the zone's wall clock (DST days of 23 and 25 hours),
    # times written in its offset, time literals without a zone read in it.
    C("tz_1d_spring_ny", "SELECT count(v), sum(v) FROM tzdst WHERE time >= '2024-03-08T00:00:00Z' "
      "AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d) tz('America/New_York')"),
    C("tz_1h_spring_ny", "SELECT count(v), first(v) FROM tzdst WHERE "
      "time >= '2024-03-10T03:00:00Z' AND time < '2024-03-10T10:00:00Z' GROUP BY time(1h) "
      "tz('America/New_York')"),
    C("tz_2h_spring_ny", "SELECT count(v) FROM tzdst WHERE time >= '2024-03-10T03:00:00Z' AND "
      "time < '2024-03-10T12:00:00Z' GROUP BY time(2h) fill(null) tz('America/New_York')"),
    C("tz_1d_offset_ny", "SELECT count(v), max(f) FROM tzdst WHERE time >= '2024-03-08T00:00:00Z' "
      "AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d, 2h) tz('America/New_York')"),
    C("tz_1d_fall_ny_fill", "SELECT count(v), mean(f) FROM tzdst WHERE "
      "time >= '2024-11-01T00:00:00Z' AND time < '2024-11-06T00:00:00Z' GROUP BY time(1d), host "
      "fill(null) tz('America/New_York')"),
    C("tz_1d_fall_ny_desc", "SELECT count(v) FROM tzdst WHERE time >= '2024-11-02T00:00:00Z' AND "
      "time < '2024-11-05T00:00:00Z' GROUP BY time(1d) fill(0) ORDER BY time DESC "
      "tz('America/New_York')"),
    C("tz_no_lower_bound", "SELECT count(v) FROM tzdst WHERE time < '2024-03-12T00:00:00Z' "
      "GROUP BY time(1d) fill(none) tz('America/New_York')"),
    C("tz_subquery_raw", "SELECT c FROM (SELECT count(v) AS c FROM tzdst WHERE "
      "time >= '2024-03-08T00:00:00Z' AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d) "
      "tz('America/New_York'))"),
    C("tz_subquery_agg", "SELECT max(c) FROM (SELECT count(v) AS c FROM tzdst WHERE "
      "time >= '2024-03-08T00:00:00Z' AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d) "
      "tz('America/New_York'))"),
    C("tz_outer_of_subquery", "SELECT sum(c) FROM (SELECT count(v) AS c FROM tzdst WHERE "
      "time >= '2024-03-08T00:00:00Z' AND time < '2024-03-12T00:00:00Z' GROUP BY time(6h)) "
      "WHERE time >= '2024-03-08T00:00:00Z' AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d) "
      "tz('America/New_York')"),
    C("tz_12h_london", "SELECT count(v), last(f) FROM tzdst WHERE time >= '2024-03-30T00:00:00Z' "
      "AND time < '2024-04-01T00:00:00Z' GROUP BY time(12h) tz('Europe/London')"),
    C("tz_1d_london_fall", "SELECT sum(v) FROM tzdst WHERE time >= '2024-10-25T00:00:00Z' AND "
      "time < '2024-10-29T00:00:00Z' GROUP BY time(1d) fill(linear) tz('Europe/London')"),
    C("tz_raw_london_change", "SELECT v FROM tzdst WHERE host = 'a' AND "
      "time >= '2024-10-27T00:00:00Z' AND time < '2024-10-27T02:30:00Z' tz('Europe/London')"),
    C("tz_fill_null_gap", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(null) "
      "tz('America/New_York')" % WGAP),
    C("tz_epoch_ms", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(1d) "
      "tz('America/New_York')" % WALL, epoch="ms"),
    C("tz_csv", "SELECT count(v) FROM tzdst WHERE time >= '2024-03-08T00:00:00Z' AND "
      "time < '2024-03-12T00:00:00Z' GROUP BY time(1d) tz('America/New_York')", csv=True),
    C("tz_where_local", "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-02 00:00:00' "
      "AND time < '2024-01-03' GROUP BY time(6h) tz('America/New_York')"),
    C("tz_where_rfc3339", "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-02T00:00:00Z' "
      "AND time < '2024-01-02T12:00:00Z' GROUP BY time(6h) tz('Asia/Kolkata')"),
    C("tz_kolkata_1h", "SELECT max(usage_user) FROM cpu WHERE %s AND %s GROUP BY time(1h) "
      "tz('Asia/Kolkata')" % (S1, W4H)),
    C("tz_utc", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(1d) tz('UTC')" % WALL),
    C("tz_empty", "SELECT usage_user FROM cpu WHERE %s AND %s tz('')" % (S1, W4H)),
    C("tz_points_median", "SELECT median(v), percentile(f, 90) FROM tzdst WHERE "
      "time >= '2024-03-08T00:00:00Z' AND time < '2024-03-12T00:00:00Z' GROUP BY time(1d) "
      "tz('America/New_York')"),
    C("tz_selector_time", "SELECT max(v) FROM tzdst WHERE time >= '2024-03-08T00:00:00Z' AND "
      "time < '2024-03-12T00:00:00Z' tz('America/New_York')"),
    C("tz_pretty", "SELECT count(v) FROM tzdst WHERE time >= '2024-03-09T00:00:00Z' AND "
      "time < '2024-03-11T00:00:00Z' GROUP BY time(1d) tz('America/New_York')", pretty=True),
    C("tz_chunked", "SELECT v FROM tzdst WHERE host = 'b' AND time >= '2024-03-10T05:00:00Z' AND "
      "time < '2024-03-10T09:00:00Z' tz('America/New_York')", chunked=2),
    C("gb_time_without_agg", "SELECT usage_user FROM cpu WHERE %s GROUP BY time(1h)" % WALL),
    C("gb_time_no_where", "SELECT mean(usage_user) FROM cpu GROUP BY time(1h) fill(none) "
      "LIMIT 3"),
    # ---- fill ---------------------------------------------------------------------------
    C("fill_default", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h)" % WGAP),
    C("fill_null", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(null)"
      % WGAP),
    C("fill_none", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(none)"
      % WGAP),
    C("fill_previous", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(previous)" % WGAP),
    C("fill_linear", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(linear)" % WGAP),
    C("fill_zero", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(0)"
      % WGAP),
    C("fill_neg_float", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(-1.5)" % WGAP),
    C("fill_count_default", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY time(1h)"
      % WGAP),
    C("fill_int_value_on_int", "SELECT sum(procs) FROM cpu WHERE %s GROUP BY time(1h) fill(-1)"
      % WGAP),
    C("fill_float_value_on_int", "SELECT sum(procs) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(-1.5)" % WGAP),
    C("fill_linear_int", "SELECT max(procs) FROM cpu WHERE %s GROUP BY time(1h) fill(linear)"
      % WGAP),
    C("fill_previous_per_host", "SELECT last(usage_user) FROM cpu WHERE %s AND host =~ "
      "/server0[234]/ GROUP BY time(2h), host fill(previous)" % W3GAP),
    C("fill_linear_per_host", "SELECT mean(usage_user) FROM cpu WHERE %s AND host =~ "
      "/server0[234]/ GROUP BY time(2h), host fill(linear)" % W3GAP),
    C("fill_several_aggs", "SELECT count(usage_user), mean(usage_user), first(state) FROM cpu "
      "WHERE %s GROUP BY time(1h) fill(0)" % WGAP),
    C("fill_empty_range", "SELECT mean(usage_user) FROM cpu WHERE "
      "time >= '2024-01-03T04:00:00Z' AND time < '2024-01-03T08:00:00Z' GROUP BY time(1h)"),
    C("fill_series_appears", "SELECT count(usage_user) FROM cpu WHERE "
      "time >= '2024-01-04T18:00:00Z' AND time < '2024-01-05T06:00:00Z' AND "
      "region = 'eu-central' GROUP BY time(3h), host"),
    C("fill_temp_gap", "SELECT mean(value) FROM temp WHERE machine = 'm2' AND "
      "time >= '2024-01-01T22:00:00Z' AND time < '2024-01-02T08:00:00Z' "
      "GROUP BY time(1h), line fill(previous)"),
    # ---- ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET --------------------------------------
    C("limit", "SELECT usage_user FROM cpu WHERE %s LIMIT 5" % S1),
    C("limit_offset", "SELECT usage_user FROM cpu WHERE %s LIMIT 5 OFFSET 10" % S1),
    C("offset_only", "SELECT usage_user FROM cpu WHERE %s AND %s OFFSET 8" % (S1, W4H)),
    C("order_desc", "SELECT usage_user FROM cpu WHERE %s AND %s ORDER BY time DESC LIMIT 10"
      % (S1, WDAY)),
    C("order_asc", "SELECT usage_user FROM cpu WHERE %s ORDER BY time ASC LIMIT 3" % S1),
    C("order_desc_multi_series", "SELECT usage_user FROM cpu WHERE %s ORDER BY time DESC "
      "LIMIT 7" % W4H, order="ties"),
    C("order_desc_group_host", "SELECT usage_user FROM cpu WHERE %s GROUP BY host "
      "ORDER BY time DESC LIMIT 2" % WDAY),
    C("order_desc_agg", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h) "
      "ORDER BY time DESC" % WDAY),
    C("order_desc_fill", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(previous) ORDER BY time DESC" % WGAP),
    C("order_by_field", "SELECT usage_user FROM cpu ORDER BY usage_user"),
    C("limit_group_host", "SELECT usage_user FROM cpu WHERE %s GROUP BY host LIMIT 2" % WDAY),
    C("limit_agg", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) LIMIT 3 "
      "OFFSET 2" % WDAY),
    C("slimit", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY host SLIMIT 2" % WALL),
    C("slimit_soffset", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY host SLIMIT 2 "
      "SOFFSET 2" % WALL),
    C("soffset_only", "SELECT count(usage_user) FROM cpu WHERE %s GROUP BY host SOFFSET 4"
      % WALL),
    C("slimit_time", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h), host "
      "SLIMIT 2 SOFFSET 1" % WDAY),
    C("slimit_raw", "SELECT usage_user FROM cpu WHERE %s GROUP BY * LIMIT 2 SLIMIT 3" % WDAY),
    C("limit_zero", "SELECT usage_user FROM cpu WHERE %s AND %s LIMIT 0" % (S1, W4H)),
    C("limit_negative", "SELECT usage_user FROM cpu LIMIT -1"),
    # ---- selectors ------------------------------------------------------------------------
    C("sel_max", "SELECT max(usage_user) FROM cpu WHERE " + WALL),
    C("sel_min_max", "SELECT min(usage_user), max(usage_user) FROM cpu WHERE " + WALL),
    C("sel_max_tag", "SELECT max(usage_user), host FROM cpu WHERE " + WALL),
    C("sel_max_fields", "SELECT max(usage_user), usage_system, procs FROM cpu WHERE " + WALL),
    C("sel_max_int", "SELECT max(procs), min(procs) FROM cpu WHERE %s GROUP BY host" % WALL),
    C("sel_max_bool", 'SELECT max("on") FROM cpu WHERE ' + WALL),
    C("sel_first_last", 'SELECT first(usage_user), last(state), first("on") FROM cpu WHERE '
      + WALL),
    C("sel_first_group_host", "SELECT first(usage_user) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("sel_last_group_time", "SELECT last(usage_user) FROM cpu WHERE %s GROUP BY time(1d), "
      "host" % WALL),
    C("sel_first_string", "SELECT first(state), last(state) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("sel_percentile", "SELECT percentile(usage_user, 90), percentile(usage_user, 50) "
      "FROM cpu WHERE " + WALL),
    C("sel_percentile_one", "SELECT percentile(usage_user, 90) FROM cpu WHERE " + WALL),
    C("sel_percentile_int", "SELECT percentile(procs, 95) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("sel_percentile_edges", "SELECT percentile(usage_user, 0), percentile(usage_user, 100),"
      " percentile(usage_user, 33.3) FROM cpu WHERE %s AND %s" % (S1, WDAY)),
    C("sel_percentile_group", "SELECT percentile(usage_user, 75) FROM cpu WHERE %s "
      "GROUP BY time(1d)" % WALL),
    C("sel_top", "SELECT top(usage_user, 3) FROM cpu WHERE " + WALL, order="ties"),
    C("sel_top_tag", "SELECT top(usage_user, host, 3) FROM cpu WHERE " + WALL),
    C("sel_top_group", "SELECT top(usage_user, 2) FROM cpu WHERE %s GROUP BY time(1d)" % WALL,
      order="ties"),
    C("sel_top_fields", "SELECT top(usage_user, 3), host, procs FROM cpu WHERE " + WALL,
      order="ties"),
    C("sel_top_int", "SELECT top(procs, 4) FROM cpu WHERE %s AND %s" % (S1, WDAY)),
    C("sel_bottom", "SELECT bottom(usage_user, 3) FROM cpu WHERE " + WALL, order="ties"),
    C("sel_bottom_tag", "SELECT bottom(procs, host, 2) FROM cpu WHERE " + WALL),
    C("sel_bottom_group_host", "SELECT bottom(usage_user, 2) FROM cpu WHERE %s GROUP BY host"
      % WALL),
    C("sel_sample", "SELECT sample(usage_user, 5) FROM cpu WHERE " + WALL, rows="count"),
    C("sel_sample_group", "SELECT sample(usage_user, 2) FROM cpu WHERE %s GROUP BY host"
      % WALL, rows="count"),
    C("sel_max_group_desc", "SELECT max(usage_user) FROM cpu WHERE %s GROUP BY time(1d) "
      "ORDER BY time DESC" % WALL),
    C("sel_max_regex_fields", "SELECT max(/usage/) FROM cpu WHERE " + WALL),
    # ---- transformations ------------------------------------------------------------------
    # Transformations inside expressions (Grafana's bits per second:
    # non_negative_derivative(mean(bytes), 1s) * 8).
    C("trx_nnd_mul", "SELECT non_negative_derivative(mean(usage_user), 1s) * 8 FROM cpu "
      "WHERE %s AND %s GROUP BY time(10m)" % (S1, W4H)),
    C("trx_diff_div", "SELECT difference(max(usage_user)) / 2 FROM cpu WHERE %s AND %s "
      "GROUP BY time(30m)" % (S1, W4H)),
    C("trx_mixed", "SELECT mean(usage_user) - derivative(mean(usage_user)) FROM cpu WHERE %s "
      "AND %s GROUP BY time(30m)" % (S1, W4H)),
    C("trx_two", "SELECT derivative(mean(usage_user)) + difference(mean(usage_user)) AS x, "
      "mean(usage_user) FROM cpu WHERE %s AND %s GROUP BY time(30m)" % (S1, W4H)),
    C("trx_raw", "SELECT difference(usage_user) * 2, usage_user FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("trx_math", "SELECT abs(difference(mean(usage_user))) FROM cpu WHERE %s AND %s "
      "GROUP BY time(30m)" % (S1, W4H)),
    C("trx_cumsum_fill", "SELECT cumulative_sum(count(usage_user)) * 10 FROM cpu WHERE %s AND "
      "%s GROUP BY time(30m) fill(0)" % (S1, W4H)),
    C("trx_group_host", "SELECT non_negative_difference(mean(usage_user)) * 100 FROM cpu WHERE "
      "%s GROUP BY time(1h), host LIMIT 3" % W4H),
    C("trx_moving", "SELECT moving_average(mean(usage_user), 2) / 10 FROM cpu WHERE %s AND %s "
      "GROUP BY time(30m)" % (S1, W4H)),
    C("tr_derivative", "SELECT derivative(usage_user) FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("tr_derivative_unit", "SELECT derivative(usage_user, 1m) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_derivative_agg", "SELECT derivative(mean(usage_user), 1h) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_derivative_group_host", "SELECT derivative(usage_user, 1m) FROM cpu WHERE %s "
      "GROUP BY host" % W4H),
    C("tr_derivative_int", "SELECT derivative(procs, 1s) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_nn_derivative", "SELECT non_negative_derivative(procs, 1s) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_nn_derivative_agg", "SELECT non_negative_derivative(max(procs)) FROM cpu WHERE %s "
      "GROUP BY time(2h), host" % WDAY),
    C("tr_difference", "SELECT difference(usage_user), difference(procs) FROM cpu "
      "WHERE %s AND %s" % (S1, W4H)),
    C("tr_nn_difference", "SELECT non_negative_difference(procs) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_difference_agg", "SELECT difference(sum(procs)) FROM cpu WHERE %s GROUP BY time(1h)"
      % WDAY),
    C("tr_moving_average", "SELECT moving_average(usage_user, 3) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_moving_average_agg", "SELECT moving_average(mean(usage_user), 4) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_moving_average_fill", "SELECT moving_average(mean(usage_user), 2) FROM cpu WHERE %s "
      "GROUP BY time(1h) fill(0)" % WGAP),
    C("tr_cumulative_sum", "SELECT cumulative_sum(procs) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_cumulative_sum_agg", "SELECT cumulative_sum(count(usage_user)) FROM cpu WHERE %s "
      "GROUP BY time(6h)" % WALL),
    C("tr_elapsed", "SELECT elapsed(usage_user), elapsed(usage_user, 1m) FROM cpu WHERE %s "
      "AND %s" % (S1, W4H)),
    C("tr_elapsed_ms", "SELECT elapsed(value, 1ms) FROM temp WHERE machine = 'm1' AND "
      "line = 'A' AND time < '2024-01-01T02:00:00Z'"),
    C("tr_elapsed_ns", "SELECT elapsed(value) FROM events WHERE kind = 'a' LIMIT 10"),
    C("tr_derivative_agg_mid", "SELECT derivative(mean(usage_user)), difference(max(procs)), "
      "elapsed(min(procs), 1m) FROM cpu WHERE time >= '2024-01-03T00:00:00Z' AND "
      "time < '2024-01-03T06:00:00Z' GROUP BY time(1h)"),
    C("tr_moving_average_mid", "SELECT moving_average(mean(usage_user), 3) FROM cpu WHERE "
      "time >= '2024-01-03T00:00:00Z' AND time < '2024-01-03T06:00:00Z' GROUP BY time(1h)"),
    C("tr_cumulative_sum_mid", "SELECT cumulative_sum(sum(procs)) FROM cpu WHERE "
      "time >= '2024-01-03T00:00:00Z' AND time < '2024-01-03T06:00:00Z' GROUP BY time(1h)"),
    C("tr_derivative_gap_null", "SELECT derivative(mean(usage_user)) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WGAP),
    C("tr_derivative_gap_fill", "SELECT non_negative_derivative(mean(usage_user), 1m), "
      "mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(previous)" % WGAP),
    C("tr_difference_limit", "SELECT difference(procs) FROM cpu WHERE %s AND %s LIMIT 3 OFFSET 2"
      % (S1, W4H)),
    C("tr_derivative_desc", "SELECT derivative(usage_user, 1m) FROM cpu WHERE %s AND %s "
      "ORDER BY time DESC" % (S1, W4H)),
    C("sel_top_ties_int", "SELECT top(procs, 5) FROM cpu WHERE host = 'server02' AND %s" % WALL),
    C("sel_max_fields_group", "SELECT max(usage_user), usage_system, host FROM cpu WHERE %s "
      "GROUP BY time(6h)" % WDAY),
    C("sel_first_fields", "SELECT first(procs), state FROM cpu WHERE %s GROUP BY host" % WALL),
    C("agg_median_one_point", "SELECT median(procs), percentile(procs, 50), mode(procs) FROM cpu "
      "WHERE host = 'server01' AND time >= '2024-01-02T00:00:00Z' AND "
      "time < '2024-01-02T00:10:00Z'"),
    C("agg_median_group_fill", "SELECT median(usage_user) FROM cpu WHERE %s GROUP BY time(1h)"
      % WGAP),
    C("agg_integral_int", "SELECT integral(procs, 1h) FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("field_cond_mean_group", "SELECT mean(usage_user), max(procs) FROM cpu WHERE usage_user > 50 "
      "AND %s GROUP BY time(1d), host" % WALL),
    C("field_cond_string", "SELECT count(procs) FROM cpu WHERE state = 'idle' AND %s GROUP BY host"
      % WALL),
    C("arith_agg_mixed", "SELECT max(procs) - min(procs), mean(usage_user) / 2, count(procs) %% 7 "
      "FROM cpu WHERE %s GROUP BY time(1d)" % WALL),
    C("arith_selector_time", "SELECT max(usage_user) * 2, abs(min(procs)) FROM cpu WHERE %s"
      % WALL),
    C("arith_selector_alone", "SELECT max(usage_user) * 2 FROM cpu WHERE %s" % WALL),
    C("sel_max_expr_tag", "SELECT max(usage_user) / 2, host FROM cpu WHERE %s" % WALL),
    C("tr_derivative_multi_series", "SELECT derivative(usage_user) FROM cpu WHERE %s" % W4H),
    C("tr_holt_winters", "SELECT holt_winters(mean(usage_user), 4, 4) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_holt_winters_with_fit", "SELECT holt_winters_with_fit(mean(usage_user), 2, 4) "
      "FROM cpu WHERE %s AND %s GROUP BY time(1h)" % (S1, WDAY)),
    C("tr_holt_winters_noseason", "SELECT holt_winters(max(procs), 3, 0) FROM cpu WHERE %s "
      "AND %s GROUP BY time(2h)" % (S1, WDAY)),
    C("tr_holt_winters_gap", "SELECT holt_winters_with_fit(mean(usage_user), 3, 3) FROM cpu "
      "WHERE %s GROUP BY time(1h)" % WGAP),
    C("tr_holt_winters_hosts", "SELECT holt_winters(mean(usage_user), 2, 2) FROM cpu "
      "WHERE %s GROUP BY time(6h), host" % WALL),
    C("tr_holt_winters_season1", "SELECT holt_winters_with_fit(mean(value), 2, 1) FROM temp "
      "WHERE %s GROUP BY time(6h)" % WTEMP),
    C("tr_holt_winters_short", "SELECT holt_winters(mean(usage_user), 2, 4) FROM cpu "
      "WHERE %s AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T02:00:00Z' "
      "GROUP BY time(1h)" % S1),
    C("tr_hw_err_nargs", "SELECT holt_winters(mean(usage_user), 2) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_hw_err_n", "SELECT holt_winters(mean(usage_user), 0, 1) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_hw_err_s", "SELECT holt_winters_with_fit(mean(usage_user), 2, -1) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_hw_err_raw", "SELECT holt_winters(usage_user, 2, 1) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_hw_err_nogroup", "SELECT holt_winters(mean(usage_user), 2, 1) FROM cpu WHERE %s"
      % WDAY),
    C("tr_ema", "SELECT exponential_moving_average(usage_user, 3) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_cmo", "SELECT chande_momentum_oscillator(mean(usage_user), 4) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WDAY),
    C("tr_rsi_kama", "SELECT relative_strength_index(usage_user, 3), "
      "kaufmans_adaptive_moving_average(usage_user, 3) FROM cpu WHERE %s AND %s" % (S1, WDAY)),
    C("tr_ema_warmups", "SELECT exponential_moving_average(usage_user, 4, 2, 'simple'), "
      "exponential_moving_average(usage_user, 4, 0, 'exponential'), "
      "exponential_moving_average(usage_user, 1) FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("tr_ema_int", "SELECT exponential_moving_average(procs, 3) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_dema_tema", "SELECT double_exponential_moving_average(usage_user, 3), "
      "triple_exponential_moving_average(usage_user, 3), "
      "double_exponential_moving_average(usage_user, 3, -1, 'simple'), "
      "triple_exponential_moving_average(usage_user, 2, -1, 'simple') FROM cpu WHERE %s AND %s"
      % (S1, WDAY)),
    C("tr_dema_tema_hold", "SELECT double_exponential_moving_average(usage_user, 4, 0), "
      "triple_exponential_moving_average(procs, 3, 1, 'simple') FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_trix", "SELECT triple_exponential_derivative(usage_user, 3), "
      "triple_exponential_derivative(procs, 2, 1, 'simple') FROM cpu WHERE %s AND %s"
      % (S1, WDAY)),
    C("tr_ker", "SELECT kaufmans_efficiency_ratio(usage_user, 3), "
      "kaufmans_efficiency_ratio(procs, 1, 0) FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("tr_kama_hold", "SELECT kaufmans_adaptive_moving_average(usage_user, 2, 0), "
      "kaufmans_adaptive_moving_average(procs, 5) FROM cpu WHERE %s AND %s" % (S1, WDAY)),
    C("tr_kama_agg_hosts", "SELECT kaufmans_adaptive_moving_average(max(procs), 4) FROM cpu "
      "WHERE %s GROUP BY time(1h), host" % WDAY),
    C("tr_cmo_warmups", "SELECT chande_momentum_oscillator(usage_user, 3, 0, 'none'), "
      "chande_momentum_oscillator(usage_user, 3, -1, 'exponential'), "
      "chande_momentum_oscillator(usage_user, 5, 2, 'simple') FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("tr_rsi_agg_mid", "SELECT relative_strength_index(mean(usage_user), 3, 0, 'simple'), "
      "relative_strength_index(mean(usage_user), 2) FROM cpu WHERE "
      "time >= '2024-01-03T00:00:00Z' AND time < '2024-01-03T06:00:00Z' GROUP BY time(1h)"),
    C("tr_ema_agg_gap", "SELECT exponential_moving_average(mean(usage_user), 2) FROM cpu "
      "WHERE %s GROUP BY time(1h)" % WGAP),
    C("tr_ema_agg_fill0", "SELECT exponential_moving_average(mean(usage_user), 2), "
      "chande_momentum_oscillator(mean(usage_user), 3) FROM cpu WHERE %s GROUP BY time(1h) "
      "fill(0)" % WGAP),
    C("tr_ema_short", "SELECT exponential_moving_average(usage_user, 50) FROM cpu WHERE %s "
      "AND %s" % (S1, W4H)),
    C("tr_ema_desc", "SELECT exponential_moving_average(usage_user, 3), "
      "relative_strength_index(usage_user, 2) FROM cpu WHERE %s AND %s ORDER BY time DESC"
      % (S1, W4H)),
    C("tr_ema_hosts", "SELECT exponential_moving_average(usage_user, 3) FROM cpu WHERE %s "
      "GROUP BY host" % W4H),
    C("tr_ema_limit", "SELECT triple_exponential_moving_average(usage_user, 2) FROM cpu "
      "WHERE %s AND %s LIMIT 3 OFFSET 2" % (S1, WDAY)),
    C("tr_ema_with_mean", "SELECT exponential_moving_average(mean(usage_user), 3), "
      "mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h) fill(previous)" % WGAP),
    C("tr_ta_err_nargs", "SELECT exponential_moving_average(usage_user) FROM cpu"),
    C("tr_ta_err_nargs_kama", "SELECT kaufmans_efficiency_ratio(usage_user, 2, 1, 'simple') "
      "FROM cpu"),
    C("tr_ta_err_period", "SELECT relative_strength_index(usage_user, 0) FROM cpu"),
    C("tr_ta_err_period_type", "SELECT chande_momentum_oscillator(usage_user, 2.5) FROM cpu"),
    C("tr_ta_err_hold", "SELECT double_exponential_moving_average(usage_user, 2, -2) FROM cpu"),
    C("tr_ta_err_hold_trix", "SELECT triple_exponential_derivative(usage_user, 2, 0) FROM cpu"),
    C("tr_ta_err_hold_type", "SELECT kaufmans_adaptive_moving_average(usage_user, 2, 'x') "
      "FROM cpu"),
    C("tr_ta_err_warmup", "SELECT exponential_moving_average(usage_user, 2, 1, 'none') "
      "FROM cpu"),
    C("tr_ta_err_warmup_cmo", "SELECT chande_momentum_oscillator(usage_user, 2, 1, 'x') "
      "FROM cpu"),
    C("tr_ta_err_warmup_type", "SELECT triple_exponential_moving_average(usage_user, 2, 1, 3) "
      "FROM cpu"),
    C("tr_ta_err_raw_group", "SELECT exponential_moving_average(usage_user, 2) FROM cpu "
      "WHERE %s GROUP BY time(1h)" % WDAY),
    C("tr_ta_err_agg_nogroup", "SELECT chande_momentum_oscillator(mean(usage_user), 2) FROM cpu "
      "WHERE %s" % WDAY),
    C("tr_ta_string", "SELECT exponential_moving_average(state, 2) FROM cpu WHERE %s AND %s"
      % (S1, WDAY)),
    # ---- math --------------------------------------------------------------------------------
    C("math_basic", "SELECT abs(usage_user - 50), sqrt(usage_user), pow(usage_user, 2), "
      "floor(usage_user), ceil(usage_user), round(usage_user) FROM cpu WHERE %s AND %s"
      % (S1, W4H)),
    C("math_log", "SELECT ln(usage_user), log(usage_user, 10), log2(usage_user), "
      "log10(usage_user), exp(usage_user / 100) FROM cpu WHERE %s AND %s" % (S1, W4H)),
    C("math_trig", "SELECT sin(usage_user), cos(usage_user), tan(usage_user), "
      "asin(usage_user / 100), acos(usage_user / 100), atan(usage_user), "
      "atan2(usage_user, usage_system) FROM cpu WHERE host = 'server02' AND " + W4H),
    C("math_int", "SELECT abs(procs - 200), floor(procs), round(procs), sqrt(procs) FROM cpu "
      "WHERE %s AND %s" % (S1, W4H)),
    C("math_nan", "SELECT sqrt(usage_user - 100), ln(usage_user - 100) FROM cpu WHERE %s "
      "AND %s" % (S1, W4H)),
    C("math_on_agg", "SELECT round(mean(usage_user)), abs(min(procs)) FROM cpu WHERE %s "
      "GROUP BY time(6h)" % WDAY),
    # ---- subqueries -------------------------------------------------------------------------
    C("sub_basic", "SELECT mean(total) FROM (SELECT usage_user + usage_system AS total FROM cpu "
      "WHERE %s) GROUP BY host" % WALL),
    C("sub_max_of_mean", "SELECT max(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1d), host)" % WALL),
    C("sub_outer_time", "SELECT max(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1h), host) WHERE %s GROUP BY time(1d)" % (WALL, WALL)),
    C("sub_outer_where", "SELECT * FROM (SELECT usage_user, host FROM cpu WHERE %s) "
      "WHERE usage_user > 50" % W4H, order="ties"),
    C("sub_tags_kept", "SELECT count(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1d), host) GROUP BY host" % WALL),
    C("sub_nested", "SELECT max(s) FROM (SELECT sum(m) AS s FROM (SELECT mean(usage_user) AS m "
      "FROM cpu WHERE %s GROUP BY time(6h), host) GROUP BY time(1d))" % WALL),
    C("sub_top", "SELECT top(m, 3) FROM (SELECT max(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1d), host)" % WALL, order="ties"),
    C("sub_outer_tag_filter", "SELECT mean(usage_user) FROM (SELECT usage_user FROM cpu "
      "WHERE %s GROUP BY host) WHERE host = 'server02'" % WALL),
    C("sub_derivative", "SELECT derivative(m, 1h) FROM (SELECT mean(usage_user) AS m FROM cpu "
      "WHERE %s GROUP BY time(1h))" % W4H.replace("04:00", "08:00")),
    C("sub_tag_column_where", "SELECT usage_user FROM (SELECT usage_user, host FROM cpu "
      "WHERE %s) WHERE host = 'server03'" % W4H),
    C("sub_tag_column_group", "SELECT max(usage_user) FROM (SELECT * FROM cpu WHERE %s) "
      "GROUP BY host" % W4H),
    C("sub_group_all", "SELECT count(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1d), *) GROUP BY *" % WALL),
    C("sub_fill", "SELECT mean(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1h), host) WHERE %s GROUP BY time(2h) fill(linear)" % (WGAP, WGAP)),
    C("sub_count_star", "SELECT count(*) FROM (SELECT usage_user, procs FROM cpu WHERE %s)"
      % WDAY),
    C("sub_desc_limit", "SELECT m FROM (SELECT max(usage_user) AS m FROM cpu WHERE %s "
      "GROUP BY time(1h)) ORDER BY time DESC LIMIT 3" % WDAY),
    C("sub_inner_error", "SELECT max(m) FROM (SELECT mean(nosuch) AS m FROM nosuch WHERE %s "
      "GROUP BY time(1h))" % WDAY),
    C("sub_outer_field_cond_agg", "SELECT count(m) FROM (SELECT mean(usage_user) AS m FROM cpu "
      "WHERE %s GROUP BY time(1h), host) WHERE m > 60" % WDAY),
    C("sub_raw_group_by", "SELECT usage_user FROM (SELECT * FROM cpu WHERE %s) GROUP BY host"
      % W4H),
    # ---- SHOW --------------------------------------------------------------------------------
    C("show_databases", "SHOW DATABASES", db=None, filter_dbs=True),
    C("show_retention_policies", "SHOW RETENTION POLICIES"),
    C("show_retention_policies_on", 'SHOW RETENTION POLICIES ON "{db}"', db=None),
    C("show_measurements", "SHOW MEASUREMENTS"),
    C("show_measurements_on", 'SHOW MEASUREMENTS ON "{db}"', db=None),
    C("show_measurements_with_eq", "SHOW MEASUREMENTS WITH MEASUREMENT = cpu"),
    C("show_measurements_with_quoted", 'SHOW MEASUREMENTS WITH MEASUREMENT = "disk io"'),
    C("show_measurements_with_regex", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /^(c|d)/"),
    C("show_measurements_where", "SHOW MEASUREMENTS WHERE host = 'server01'"),
    C("show_measurements_where_regex", 'SHOW MEASUREMENTS WHERE "dev name" =~ /sda/'),
    C("show_measurements_limit", "SHOW MEASUREMENTS LIMIT 2"),
    C("show_measurements_limit_offset", "SHOW MEASUREMENTS LIMIT 2 OFFSET 1"),
    C("show_measurements_unknown_db", "SHOW MEASUREMENTS", db="{nodb}"),
    C("show_tag_keys", "SHOW TAG KEYS"),
    C("show_tag_keys_from", "SHOW TAG KEYS FROM cpu"),
    C("show_tag_keys_from_quoted", 'SHOW TAG KEYS FROM "disk io"'),
    C("show_tag_keys_from_regex", "SHOW TAG KEYS FROM /^(cpu|temp)$/"),
    C("show_tag_keys_where", "SHOW TAG KEYS WHERE host = 'server01'"),
    C("show_tag_keys_limit", "SHOW TAG KEYS LIMIT 1 OFFSET 1"),
    C("show_tag_values_eq", "SHOW TAG VALUES WITH KEY = host"),
    C("show_tag_values_from_in", "SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)"),
    C("show_tag_values_regex", "SHOW TAG VALUES WITH KEY =~ /reg|mach/"),
    C("show_tag_values_ne", "SHOW TAG VALUES FROM cpu WITH KEY != host"),
    C("show_tag_values_where", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE "
      "region = 'eu-central'"),
    C("show_tag_values_quoted", 'SHOW TAG VALUES FROM "disk io" WITH KEY = "dev name"'),
    C("show_tag_values_limit", "SHOW TAG VALUES FROM cpu WITH KEY = host LIMIT 3 OFFSET 1"),
    C("show_tag_values_no_key", "SHOW TAG VALUES"),
    C("show_tag_values_missing_key", "SHOW TAG VALUES WITH KEY = nosuch"),
    C("show_field_keys", "SHOW FIELD KEYS"),
    C("show_field_keys_from", "SHOW FIELD KEYS FROM cpu"),
    C("show_field_keys_from_quoted", 'SHOW FIELD KEYS FROM "disk io"'),
    C("show_field_keys_from_regex", "SHOW FIELD KEYS FROM /^(events|temp)$/"),
    C("show_field_keys_on", 'SHOW FIELD KEYS ON "{db}" FROM temp', db=None),
    C("show_series", "SHOW SERIES"),
    C("show_series_from", "SHOW SERIES FROM cpu"),
    C("show_series_from_quoted", 'SHOW SERIES FROM "disk io"'),
    C("show_series_where", "SHOW SERIES WHERE host = 'server01'"),
    C("show_series_where_regex", "SHOW SERIES FROM cpu WHERE region =~ /^us/"),
    C("show_series_limit", "SHOW SERIES LIMIT 3"),
    C("show_series_limit_offset", "SHOW SERIES FROM cpu LIMIT 2 OFFSET 2"),
    C("show_measurements_no_db", "SHOW MEASUREMENTS", db=None),
    C("show_tag_keys_no_db", "SHOW TAG KEYS", db=None),
    C("show_tag_values_no_db", "SHOW TAG VALUES WITH KEY = host", db=None),
    C("show_field_keys_no_db", "SHOW FIELD KEYS", db=None),
    C("show_series_no_db", "SHOW SERIES", db=None),
    C("show_tag_keys_unknown_db", "SHOW TAG KEYS", db="{nodb}"),
    C("show_tag_values_unknown_db", "SHOW TAG VALUES WITH KEY = host", db="{nodb}"),
    C("show_field_keys_unknown_db", "SHOW FIELD KEYS", db="{nodb}"),
    C("show_series_unknown_db", "SHOW SERIES", db="{nodb}"),
    C("show_series_on_unknown_db", 'SHOW SERIES ON "{nodb}"', db=None),
    C("show_measurements_time", "SHOW MEASUREMENTS WHERE time >= '2024-01-11T00:00:00Z'"),
    C("show_tag_keys_time", "SHOW TAG KEYS WHERE time >= '2024-01-11T00:00:00Z'"),
    C("show_tag_values_time", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE "
      "time >= '2024-01-11T00:00:00Z'"),
    C("show_series_time", "SHOW SERIES FROM cpu WHERE time >= '2024-01-11T00:00:00Z'"),
    C("show_field_keys_rp", "SHOW FIELD KEYS FROM rp2.rp2only"),
    C("show_tag_values_nregex", "SHOW TAG VALUES FROM cpu, temp WITH KEY !~ /host|line/"),
    C("show_tag_values_where_or", "SHOW TAG VALUES WITH KEY = host WHERE region = 'us-west' "
      "OR \"dev name\" = 'x=y'"),
    C("show_tag_keys_slimit", "SHOW TAG KEYS SLIMIT 2 SOFFSET 1"),
    C("show_field_keys_limit", "SHOW FIELD KEYS LIMIT 2 OFFSET 1"),
    C("show_shards", "SHOW SHARDS"),
    C("show_shard_groups", "SHOW SHARD GROUPS"),
    C("show_series_exact_cardinality", "SHOW SERIES EXACT CARDINALITY"),
    C("show_series_exact_cardinality_from", "SHOW SERIES EXACT CARDINALITY FROM temp WHERE "
      "machine = 'm1'"),
    C("show_series_cardinality_from", "SHOW SERIES CARDINALITY FROM temp"),
    C("show_measurement_cardinality", "SHOW MEASUREMENT CARDINALITY"),
    C("show_measurement_exact_cardinality_where", "SHOW MEASUREMENT EXACT CARDINALITY WHERE "
      "host = 'server01'"),
    C("show_tag_key_cardinality", "SHOW TAG KEY CARDINALITY"),
    C("show_tag_key_exact_cardinality_from", "SHOW TAG KEY EXACT CARDINALITY FROM cpu"),
    C("show_tag_values_cardinality", "SHOW TAG VALUES CARDINALITY WITH KEY = region"),
    C("show_field_key_cardinality", "SHOW FIELD KEY CARDINALITY"),
    C("show_measurement_exact_cardinality", "SHOW MEASUREMENT EXACT CARDINALITY"),
    C("show_tag_values_exact_cardinality", "SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host"),
    C("show_field_key_exact_cardinality", "SHOW FIELD KEY EXACT CARDINALITY FROM cpu"),
    C("show_series_cardinality", "SHOW SERIES CARDINALITY"),
    # ---- several statements -------------------------------------------------------------------
    C("multi_two_selects", "SELECT count(usage_user) FROM cpu WHERE %s; SELECT count(value) "
      "FROM temp WHERE %s" % (WALL, WTEMP)),
    C("multi_select_show", "SELECT max(procs) FROM cpu WHERE %s; SHOW MEASUREMENTS" % WALL),
    C("multi_empty_statements", "SHOW MEASUREMENTS;; SHOW FIELD KEYS FROM temp;"),
    C("multi_error_second", "SELECT count(usage_user) FROM cpu WHERE %s; "
      "SELECT foo(usage_user) FROM cpu; SHOW MEASUREMENTS" % WALL),
    C("multi_unknown_measurement", "SELECT * FROM nosuch; SELECT count(value) FROM temp"),
    # ---- epoch ----------------------------------------------------------------------------------
    C("epoch_ns", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T01:00:00Z'", epoch="ns"),
    C("epoch_n", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T01:00:00Z'", epoch="n"),
    C("epoch_u", "SELECT value FROM events WHERE kind = 'b' LIMIT 5", epoch="u"),
    C("epoch_ms", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T01:00:00Z'", epoch="ms"),
    C("epoch_s", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T01:00:00Z'", epoch="s"),
    C("epoch_m", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T01:00:00Z'", epoch="m"),
    C("epoch_h", "SELECT value FROM temp WHERE machine = 'm3' AND line = 'B' AND "
      "time < '2024-01-01T03:00:00Z'", epoch="h"),
    C("epoch_agg", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h)" % WDAY,
      epoch="s"),
    C("epoch_bogus", "SELECT value FROM events WHERE kind = 'a' LIMIT 3", epoch="x"),
    C("epoch_show", "SHOW MEASUREMENTS", epoch="ms"),
    C("rfc3339_ns_times", "SELECT value FROM events WHERE kind = 'a' LIMIT 5"),
    C("rfc3339_us_times", 'SELECT "util %" FROM "disk io" WHERE "dev name" = \'x=y\' LIMIT 4'),
    # ---- data written twice, precisions ---------------------------------------------------------
    C("overwrite_fields", "SELECT usage_user, usage_system, procs, state FROM cpu WHERE %s "
      "AND time < '2024-01-01T11:00:00Z'" % S1),
    C("overwrite_in_batch", "SELECT usage_user FROM cpu WHERE host = 'server02' AND "
      "time = '2024-01-01T01:40:00Z'"),
    C("overwrite_events", "SELECT * FROM events GROUP BY kind"),
    C("precision_days", "SELECT count(usage_user), first(usage_user), last(usage_user) FROM cpu "
      "WHERE %s GROUP BY time(1d), host" % WALL),
    # ---- errors ----------------------------------------------------------------------------------
    C("err_select_from", "SELECT FROM x"),
    C("err_garbage", "SELEKT * FROM cpu"),
    C("err_unterminated_string", "SELECT * FROM cpu WHERE host = 'abc"),
    C("err_undefined_function", "SELECT foo(usage_user) FROM cpu"),
    C("err_mix_agg_field", "SELECT mean(usage_user), usage_system FROM cpu"),
    C("err_mix_agg_tag", "SELECT mean(usage_user), host FROM cpu"),
    C("err_unknown_database", "SELECT * FROM cpu", db="{nodb}"),
    C("err_no_database", "SELECT * FROM cpu", db=None),
    C("err_mean_no_args", "SELECT mean() FROM cpu"),
    C("err_top_one_arg", "SELECT top(usage_user) FROM cpu"),
    C("err_percentile_one_arg", "SELECT percentile(usage_user) FROM cpu"),
    C("err_count_two_args", "SELECT count(usage_user, 2) FROM cpu"),
    C("err_derivative_agg_no_group", "SELECT derivative(mean(usage_user)) FROM cpu WHERE "
      + WALL),
    C("err_derivative_no_agg_group", "SELECT derivative(usage_user) FROM cpu WHERE %s "
      "GROUP BY time(1h)" % WALL),
    C("agg_fill_no_group", "SELECT mean(usage_user) FROM cpu fill(0)"),
    C("gb_time_zero", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(0s)"
      % WALL),
    C("err_two_group_times", "SELECT mean(usage_user) FROM cpu WHERE %s "
      "GROUP BY time(1h), time(2h)" % WALL),
    C("err_star_in_expression", "SELECT * + 1 FROM cpu"),
    C("err_distinct_star", "SELECT distinct(*) FROM cpu WHERE " + WALL),
    C("err_moving_average_arg", "SELECT moving_average(usage_user, 0) FROM cpu"),
    C("err_top_int_arg", "SELECT top(usage_user, 1.5) FROM cpu"),
    C("err_where_only_string", "SELECT usage_user FROM cpu WHERE 'a'"),
    C("err_subquery_unknown_field", "SELECT mean(nosuch) FROM (SELECT usage_user FROM cpu "
      "WHERE %s)" % WALL),
    C("err_tz_bad", "SELECT usage_user FROM cpu WHERE %s tz('Mars/Olympus')" % W4H),
    C("err_integral_string", "SELECT integral(state) FROM cpu WHERE " + WALL),
    # ---- request variants: bound parameters, GET, chunked, CSV, pretty ---------------------------
    C("params_string", "SELECT usage_user FROM cpu WHERE host = $h AND " + W4H,
      params={"h": "server01"}),
    C("params_number", "SELECT usage_user FROM cpu WHERE %s AND usage_user > $min AND %s"
      % (S1, WDAY), params={"min": 80}),
    C("get_method", "SELECT count(usage_user) FROM cpu WHERE " + WALL, method="GET"),
    C("chunked_raw", "SELECT * FROM cpu WHERE %s AND %s" % (S1, WDAY), chunked=20),
    C("chunked_group_host", "SELECT usage_user FROM cpu WHERE %s GROUP BY host" % WDAY,
      chunked=25),
    C("chunked_multi", "SELECT usage_user FROM cpu WHERE %s AND %s; SHOW MEASUREMENTS"
      % (S1, W4H), chunked=5),
    C("chunked_default_size", "SELECT usage_user FROM cpu WHERE %s GROUP BY host" % W4H,
      chunked=True),
    C("chunked_agg", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(1h), host"
      % WDAY, chunked=10),
    C("chunked_show_series", "SHOW SERIES", chunked=4),
    C("chunked_error", "SELECT count(usage_user) FROM cpu WHERE %s; SELECT foo(x) FROM cpu"
      % WALL, chunked=True),
    C("chunked_empty", "SELECT * FROM nosuch", chunked=True),
    C("csv_raw", 'SELECT usage_user, procs, state, "on" FROM cpu WHERE %s AND %s'
      % (S1, W4H), csv=True),
    C("csv_group_by", "SELECT mean(usage_user) FROM cpu WHERE %s GROUP BY time(6h), host"
      % WDAY, csv=True),
    C("csv_show", "SHOW MEASUREMENTS", csv=True),
    C("csv_multi", "SELECT count(value) FROM temp WHERE %s; SHOW TAG KEYS FROM temp" % WTEMP,
      csv=True),
    C("csv_error", "SELECT foo(usage_user) FROM cpu", csv=True),
    C("csv_epoch", "SELECT value FROM temp WHERE machine = 'm1' AND line = 'A' LIMIT 3",
      csv=True, epoch="s"),
    C("csv_escaping", 'SELECT * FROM "disk io" WHERE "dev name" = \'nvme,0\' LIMIT 3',
      csv=True),
    C("csv_strings", "SELECT state FROM cpu WHERE state =~ /[\" ]/ AND %s LIMIT 6" % S1,
      csv=True),
    C("pretty", "SELECT usage_user, state FROM cpu WHERE %s AND %s; SHOW TAG KEYS FROM cpu"
      % (S1, W4H), pretty=True),
    C("pretty_error", "SELECT foo(usage_user) FROM cpu", pretty=True),
    # ---- DROP / DELETE: last, on victim and victim2 only ------------------------------------------
    # GROUP BY * is every tag key of the sources: victim2 has no dc, so its
    # series get "dc":"" (run before the deletes change victim and victim2).
    C("gb_star_union", "SELECT count(v) FROM /^victim2?$/ GROUP BY *"),
    C("gb_star_union_raw", "SELECT * FROM /^victim2?$/ WHERE v > 45 GROUP BY * ORDER BY time "
      "DESC LIMIT 2"),
    C("delete_no_db", "DELETE FROM victim WHERE time < 0", db=None),
    C("delete_unknown_db", "DELETE FROM victim WHERE time < 0", db="{nodb}"),
    # Fields in a delete's WHERE: refused before anything is deleted (the
    # check cases show nothing went).
    C("delete_field_err", "DELETE FROM victim WHERE v = 3"),
    C("delete_field_neq_err", "DELETE FROM victim WHERE v != 3"),
    C("delete_field_or_tag_err", "DELETE FROM victim WHERE host = 'a' OR v > 1"),
    C("delete_field_time_err", "DELETE FROM victim WHERE time > 0 AND v = 1"),
    C("delete_tag_number_err", "DELETE FROM victim WHERE host = 1"),
    C("delete_field_cast_err", "DELETE FROM victim WHERE \"v\"::field = 1"),
    C("drop_series_field_err", "DROP SERIES FROM victim WHERE v = 3"),
    C("drop_series_regex_field_err", "DROP SERIES FROM /^victim/ WHERE v = 3"),
    C("delete_field_unknown_measurement", "DELETE FROM nosuch WHERE v = 3"),
    C("delete_unknown_tag_value", "DELETE WHERE nosuchtag = 'zzz'"),
    C("delete_field_err_check", "SELECT count(v) FROM victim GROUP BY host; "
      "SELECT count(v) FROM victim2"),
    C("delete_time", "DELETE FROM victim WHERE time < '2024-01-03T06:00:00Z'"),
    C("delete_time_check", "SELECT count(v) FROM victim GROUP BY host; "
      "SELECT count(v) FROM rp2.victim"),
    C("delete_tag_time", "DELETE FROM victim WHERE host = 'b' AND "
      "time >= '2024-01-04T12:00:00Z'"),
    C("delete_tag_time_check", "SELECT count(v), max(v) FROM victim GROUP BY host"),
    C("delete_regex_source", "DELETE FROM /^victim$/ WHERE dc = 'y' AND "
      "time >= '2024-01-04T20:00:00Z'"),
    C("delete_regex_source_check", "SELECT count(v), max(v) FROM victim GROUP BY host"),
    C("drop_series_time_err", "DROP SERIES FROM victim WHERE time > 0"),
    C("drop_series_where", "DROP SERIES FROM victim WHERE host = 'c'"),
    C("drop_series_where_check", "SHOW SERIES FROM victim; SELECT count(v) FROM victim "
      "GROUP BY host; SHOW TAG VALUES FROM victim WITH KEY = dc"),
    C("drop_measurement", "DROP MEASUREMENT victim2"),
    C("drop_measurement_check", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /victim/; "
      "SELECT * FROM victim2; SELECT * FROM rp2.victim2; SHOW FIELD KEYS FROM victim2"),
    C("drop_measurement_unknown", "DROP MEASUREMENT nosuch"),
    C("drop_series_all_where", "DROP SERIES WHERE host = 'a'"),
    C("drop_series_all_where_check", "SHOW SERIES WHERE host = 'a'"),
    # SELECT ... INTO: the rows written back as points (last: the targets
    # are new measurements, copies of what the deletes left of victim).
    C("into_raw", "SELECT v INTO victim_raw FROM victim WHERE host = 'a'"),
    C("into_raw_check", "SELECT * FROM victim_raw LIMIT 5; SHOW TAG KEYS FROM victim_raw; "
      "SELECT count(v) FROM victim_raw"),
    C("into_star", "SELECT * INTO victim_star FROM victim WHERE host = 'b'"),
    C("into_star_check", "SHOW TAG KEYS FROM victim_star; SHOW FIELD KEYS FROM victim_star; "
      "SELECT count(*) FROM victim_star"),
    C("into_group_star", "SELECT max(v), mean(v) INTO victim_hourly FROM victim "
      "GROUP BY time(6h), *"),
    C("into_group_star_check", "SELECT * FROM victim_hourly GROUP BY *; "
      "SHOW TAG KEYS FROM victim_hourly"),
    C("into_backref", "SELECT count(v) INTO {db}.rp2.:MEASUREMENT FROM /^victim2?$/ "
      "GROUP BY time(1d), host"),
    # (not SELECT *: the deletes above emptied rp2.victim,dc=x, and strata
    # drops an emptied series from its index where InfluxDB keeps its keys)
    C("into_backref_check", "SELECT count, v FROM rp2./^victim2?$/ GROUP BY host "
      "ORDER BY time DESC LIMIT 3", order="ties"),
    C("into_fill_none_default", "SELECT max(v) INTO victim_fill FROM victim GROUP BY time(1m)"),
    C("into_fill_check", "SELECT count(max) FROM victim_fill"),
    C("into_empty", "SELECT v INTO victim_none FROM victim WHERE time > now()"),
    C("into_no_db", "SELECT v INTO nosuchdb_xyz..victim FROM victim"),
    C("into_get", "SELECT v INTO victim_get FROM victim WHERE host = 'c' AND v > 40",
      method="GET"),
    C("into_epoch", "SELECT v INTO victim_get FROM victim WHERE host = 'c' AND v > 40",
      epoch="ms"),
]

# Intended differences: case id -> reason. Reported, never failed.
# Open differences: not intended, not fixed yet. Each is printed in full
# and counted, but does not fail the run, so that the suite stays a gate for
# everything else; docs/query-conformance.md lists them with the plan. An
# entry that answers as InfluxDB is reported as stale (remove it).
KNOWN = {}

DELIBERATE = {
    "order_desc_multi_series": "rows of several series at one time with ORDER BY time DESC and "
                               "no tag in the columns: InfluxDB 1.6's order comes from its merge "
                               "heap (no tie rule); strata orders them by series key, reversed "
                               "(InfluxDB's order when the tags are selected), so a LIMIT "
                               "that cuts a tie keeps other rows",
    "show_retention_policies": "the cluster's default replication factor (deploy/local/cluster "
                               "--rf 2) is autogen's replicaN; InfluxDB OSS says 1",
    "show_retention_policies_on": "as show_retention_policies",
    "show_series_cardinality": "an estimate (HyperLogLog sketches in InfluxDB); strata "
                               "answers the exact count (equal on this small data set)",
    "show_shards": "ids and owners are the cluster's (owners: data node ids); InfluxDB OSS "
                   "leaves owners empty, and the groups may differ (tests/router checks the shape)",
    "show_shard_groups": "ids are the cluster's (tests/router checks the shape)",
    "show_series_exact_cardinality": "InfluxDB 1.6 adds up the series count of every shard (a "
                                     "series in two shard groups counts twice: cpu 12 for 6 "
                                     "series); strata counts distinct series",
    "sel_percentile_int": "ties of equal values: InfluxDB's point (its time) depends on how its "
                          "merge iterator interleaves shards; strata sorts in time order "
                          "(docs/query-engine.md, known differences)",
    "agg_mode": "as sel_percentile_int: runs of equal length are decided by the point order "
                "of InfluxDB's merge iterator",
    "tr_derivative_multi_series": "points of several series at one time: InfluxDB takes the one "
                                  "its merge iterator yields first; strata the first to arrive",
    "multi_error_second": "1.6 loses the failing statement's error (later 'not executed' "
                          "results reuse its id); strata may report each statement "
                          "(see query_multi_fail_middle in test_http_influxdb.py)",
}

# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------

NOT_IMPLEMENTED = "not implemented yet"


def floats_close(a, b):
    if a == b:
        return True
    return abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


def first_diff(want, got, path="$"):
    """The first difference between two parsed JSON values: (path, text) or None."""
    if type(want) is not type(got):
        return path, "type %s vs %s: want %s, got %s" % (
            type(want).__name__, type(got).__name__, short(want, 200), short(got, 200))
    if isinstance(want, dict):
        for k in want:
            if k not in got:
                return "%s.%s" % (path, k), "missing (want %s)" % short(want[k], 200)
        for k in got:
            if k not in want:
                return "%s.%s" % (path, k), "unexpected (got %s)" % short(got[k], 200)
        for k in want:
            d = first_diff(want[k], got[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(want, list):
        for i, (w, g) in enumerate(zip(want, got)):
            d = first_diff(w, g, "%s[%d]" % (path, i))
            if d:
                return d
        if len(want) != len(got):
            return path, "length: want %d, got %d" % (len(want), len(got))
        return None
    if isinstance(want, float):
        if floats_close(want, got):
            return None
        return path, "want %r, got %r" % (want, got)
    if want != got:
        return path, "want %s, got %s" % (short(want, 200), short(got, 200))
    return None


def short(x, n=2048):
    s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def join_chunks(text):
    """Joins chunked output (one JSON document per line) into one
    {"results": [...]}: results with the same statement_id merge, and a
    series continues the previous one when that was partial with the same
    name, tags and columns. "partial" keys are dropped. None if not JSON."""
    docs = []
    for line in text.split("\n"):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError:
                return None
    if not docs:
        return None
    if len(docs) == 1 and "results" not in docs[0]:
        return docs[0]
    out = []
    for d in docs:
        if not isinstance(d, dict) or "results" not in d:
            return None
        for r in d["results"]:
            r = dict(r)
            series = r.pop("series", None)
            r.pop("partial", None)
            if out and out[-1].get("statement_id") == r.get("statement_id") and \
                    "error" not in r and "error" not in out[-1]:
                cur = out[-1]
                for k, v in r.items():
                    cur.setdefault(k, v)
            else:
                cur = r
                out.append(cur)
            for s in series or []:
                s = dict(s)
                partial = s.pop("partial", False)
                prev = cur.get("series", [])
                if prev and prev[-1].get("_partial") and all(
                        prev[-1].get(k) == s.get(k) for k in ("name", "tags", "columns")):
                    prev[-1]["values"] = prev[-1].get("values", []) + s.get("values", [])
                    prev[-1]["_partial"] = partial
                else:
                    s["_partial"] = partial
                    cur.setdefault("series", []).append(s)
    for r in out:
        for s in r.get("series", []):
            s.pop("_partial", None)
    return {"results": out}


def normalize(case, body, names):
    """Applies the case's ordering/row rules to a parsed body (in place)."""
    if not isinstance(body, dict):
        return body
    for r in body.get("results", []):
        # Shard ids are the deployment's own: "shard 2: fields not supported..."
        if isinstance(r.get("error"), str):
            r["error"] = re.sub(r"^shard \d+: ", "shard N: ", r["error"])
        series = r.get("series", [])
        if case.filter_dbs:
            for s in series:
                if s.get("name") == "databases" and "values" in s:
                    s["values"] = [v for v in s["values"] if v and v[0] in names]
                    if not s["values"]:
                        del s["values"]
        for s in series:
            vals = s.get("values")
            if vals is None:
                continue
            if case.rows == "count":
                s["values"] = "%d rows" % len(vals)
            elif case.order == "any":
                vals.sort(key=lambda v: json.dumps(v, sort_keys=True))
            elif case.order == "ties":
                out, i = [], 0
                while i < len(vals):
                    j = i
                    while j < len(vals) and vals[j][:1] == vals[i][:1]:
                        j += 1
                    out += sorted(vals[i:j], key=lambda v: json.dumps(v, sort_keys=True))
                    i = j
                s["values"] = out
        if case.order == "any":
            series.sort(key=lambda s: json.dumps([s.get("name"), s.get("tags")],
                                                 sort_keys=True))
    return body


# ---------------------------------------------------------------------------
# Talking to the servers
# ---------------------------------------------------------------------------


class Endpoint:
    def __init__(self, name, host, port):
        self.name, self.host, self.port = name, host, port

    @classmethod
    def from_url(cls, name, url):
        u = urllib.parse.urlsplit(url if "//" in url else "http://" + url)
        return cls(name, u.hostname, u.port or 80)

    def url(self):
        return "http://%s:%d" % (self.host, self.port)


class Answer:
    def __init__(self, resp):
        self.status = resp.status
        self.ctype = resp.header("Content-Type")
        self.text = resp.data.decode("utf-8", "replace")


def subst(s, names):
    return s.replace("{db}", names["db"]).replace("{nodb}", names["nodb"])


def query(ep, case, names):
    """Runs a case against one server; returns an Answer."""
    params = []
    if case.db:
        params.append(("db", subst(case.db, names)))
    if case.epoch:
        params.append(("epoch", case.epoch))
    if case.chunked:
        params.append(("chunked", "true"))
        if case.chunked is not True:
            params.append(("chunk_size", str(case.chunked)))
    if case.pretty:
        params.append(("pretty", "true"))
    form = [("q", subst(case.q, names))]
    if case.params is not None:
        form.append(("params", json.dumps(case.params)))
    headers = {}
    if case.csv:
        headers["Accept"] = "application/csv"
    if case.method == "GET":
        path = "/query?" + urllib.parse.urlencode(form + params)
        data = b""
    else:
        path = "/query" + ("?" + urllib.parse.urlencode(params) if params else "")
        data = urllib.parse.urlencode(form).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return Answer(P.http_request(ep.host, ep.port, case.method, path, data, headers,
                                 timeout=300))


def parsed(case, ans, names):
    """The body to compare: parsed JSON (normalized) or the text."""
    if case.csv or case.pretty:
        return ans.text
    if case.chunked:
        body = join_chunks(ans.text)
    else:
        try:
            body = json.loads(ans.text) if ans.text else ""
        except ValueError:
            body = None
    if body is None:
        return ans.text
    return normalize(case, body, names)


def simple_query(ep, q, db=None):
    path = "/query" + ("?" + urllib.parse.urlencode({"db": db}) if db else "")
    r = P.http_request(ep.host, ep.port, "POST", path,
                       urllib.parse.urlencode({"q": q}).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"}, timeout=120)
    return r.status, r.data.decode("utf-8", "replace")


def write(ep, db, params, body):
    p = {"db": db, "consistency": "all"}
    p.update({k: v for k, v in params.items() if v})
    r = P.http_request(ep.host, ep.port, "POST", "/write?" + urllib.parse.urlencode(p),
                       body.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"},
                       timeout=300)
    return r.status, r.data.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


class Run:
    def __init__(self, opts, ref, tgt, names):
        self.opts, self.ref, self.tgt, self.names = opts, ref, tgt, names
        self.passed, self.failed, self.skipped, self.deliberate = [], [], [], []
        self.known, self.stale_known = [], []
        self.dbnames = {names["db"]}

    def setup(self):
        """Creates the database and writes the data into both; each step is a
        check (failed when an answer is not a success or they differ)."""
        ok = True
        for q in SETUP:
            q = subst(q, self.names)
            res = [simple_query(ep, q) for ep in (self.ref, self.tgt)]
            good = all(st == 200 and '"error"' not in t for st, t in res)
            ok &= self.setup_check("setup: " + q, good and res[0] == res[1], res)
        t = time.monotonic()
        npoints = 0
        for label, params, body in gen_data():
            res = [write(ep, self.names["db"], params, body) for ep in (self.ref, self.tgt)]
            good = all(st == 204 for st, _ in res)
            ok &= self.setup_check("write: " + label, good, res)
            npoints += body.count("\n") + 1
        print("wrote %d lines in %.1f s" % (npoints, time.monotonic() - t), flush=True)
        return ok

    def setup_check(self, what, good, res):
        if good:
            self.passed.append(what)
            if self.opts["verbose"]:
                print("ok   %s" % what)
            return True
        self.failed.append(what)
        print("FAIL %s" % what)
        for ep, (st, text) in zip((self.ref, self.tgt), res):
            print("  %s: %d %s" % (ep.name, st, short(text)))
        return False

    def run_case(self, case):
        ref = query(self.ref, case, self.names)
        got = query(self.tgt, case, self.names)
        if self.opts["show"]:
            print("---- %s: %s\n%d %s\n%s" % (case.id, case.q, ref.status, ref.ctype,
                                             short(ref.text, 4000)))
            return
        delib = None if self.opts["influx_only"] else DELIBERATE.get(case.id)
        if NOT_IMPLEMENTED in got.text.lower() and NOT_IMPLEMENTED not in ref.text.lower():
            self.skipped.append((case.id, short(got.text, 160)))
            if self.opts["verbose"]:
                print("skip %s" % case.id)
            return
        diffs = []
        if ref.status != got.status:
            diffs.append("status: want %d, got %d" % (ref.status, got.status))
        if ref.ctype != got.ctype:
            diffs.append("Content-Type: want %r, got %r" % (ref.ctype, got.ctype))
        want_b = parsed(case, ref, self.dbnames)
        got_b = parsed(case, got, self.dbnames)
        if isinstance(want_b, str) or isinstance(got_b, str):
            if want_b != got_b:
                if isinstance(want_b, str) and isinstance(got_b, str):
                    i = next((i for i, (a, b) in enumerate(zip(want_b, got_b)) if a != b),
                             min(len(want_b), len(got_b)))
                    line = want_b.count("\n", 0, i) + 1
                    diffs.append("text differs at character %d (line %d): want %r, got %r"
                                 % (i, line, want_b[max(0, i - 30):i + 30],
                                    got_b[max(0, i - 30):i + 30]))
                else:
                    diffs.append("body: want %s, got %s" % (
                        "text" if isinstance(want_b, str) else "JSON",
                        "text" if isinstance(got_b, str) else "JSON"))
        else:
            d = first_diff(want_b, got_b)
            if d:
                diffs.append("first difference at %s: %s" % d)
        if delib:
            self.deliberate.append((case.id, delib, bool(diffs)))
            if self.opts["verbose"]:
                print("deliberate %s (%s)" % (case.id, "differs" if diffs else "same"))
            return
        known = None if self.opts["influx_only"] else KNOWN.get(case.id)
        if not diffs:
            self.passed.append(case.id)
            if known:
                self.stale_known.append(case.id)
            if self.opts["verbose"]:
                print("ok   %s" % case.id)
            return
        if known:
            self.known.append((case.id, known))
            print("KNOWN %s (%s)" % (case.id, known))
        else:
            self.failed.append(case.id)
            print("FAIL %s" % case.id)
        print("  query:  %s" % subst(case.q, self.names))
        extra = {k: v for k, v in (("db", case.db), ("epoch", case.epoch),
                                   ("chunked", case.chunked), ("csv", case.csv),
                                   ("pretty", case.pretty), ("params", case.params),
                                   ("method", case.method if case.method != "POST" else None),
                                   ("order", case.order if case.order != "exact" else None),
                                   ("rows", case.rows if case.rows != "values" else None))
                 if v}
        print("  options: %s" % extra)
        for d in diffs:
            print("  %s" % d)
        print("  %s (%s): %d %s" % (self.ref.name, ref.ctype, ref.status, short(ref.text)))
        print("  %s (%s): %d %s" % (self.tgt.name, got.ctype, got.status, short(got.text)))

    def summary(self, ncases):
        for cid, why in self.skipped:
            print("SKIPPED %s: %s" % (cid, why))
        for cid, why, differs in self.deliberate:
            print("DELIBERATE %s (%s): %s" % (
                cid, "differs" if differs else "answers as InfluxDB: the entry may be stale",
                why))
        for cid in self.stale_known:
            print("STALE KNOWN %s: answers as InfluxDB now, remove it from KNOWN" % cid)
        print("query conformance, %s vs %s: %d cases; %d passed, %d failed, %d skipped "
              "(not implemented yet), %d deliberate, %d known open differences" % (
                  self.ref.name, self.tgt.name, ncases, len(self.passed), len(self.failed),
                  len(self.skipped), len(self.deliberate), len(self.known)))
        if self.failed:
            print("failed: %s" % " ".join(self.failed))
        return 1 if self.failed else 0


def run_name():
    t = int(time.time() * 1000) % (36 ** 7)
    digits = ""
    while t:
        t, d = divmod(t, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
    return "qc%s%02d" % (digits, os.getpid() % 100)


def check_cases():
    ids = [c.id for c in CASES]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise SystemExit("duplicate case ids: %s" % dup)
    stale = sorted((set(DELIBERATE) | set(KNOWN)) - set(ids))
    if stale:
        raise SystemExit("DELIBERATE or KNOWN names unknown cases: %s" % stale)


def parse_args(argv):
    o = {"url": None, "filter": None, "verbose": False, "keep": False, "influx_only": False,
         "influxd": "influxd", "show": False, "list": False}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-k", "--influxd"):
            if i + 1 >= len(argv):
                return None
            o["filter" if a == "-k" else "influxd"] = argv[i + 1]
            i += 2
            continue
        if a == "-v":
            o["verbose"] = True
        elif a == "--keep":
            o["keep"] = True
        elif a == "--influx-only":
            o["influx_only"] = True
        elif a == "--show":
            o["show"] = True
        elif a == "--list":
            o["list"] = True
        elif a in ("-h", "--help"):
            return None
        elif a.startswith("-") or o["url"]:
            return None
        else:
            o["url"] = a
        i += 1
    if not o["list"] and not o["show"] and bool(o["url"]) == o["influx_only"]:
        return None
    return o


def main(argv):
    o = parse_args(argv)
    if o is None:
        sys.stdout.write(__doc__)
        return 2
    check_cases()
    cases = [c for c in CASES if not o["filter"] or o["filter"] in c.id]
    if o["list"]:
        for c in cases:
            print("%-40s %s" % (c.id, c.q))
        print("%d cases" % len(cases))
        return 0
    if not shutil.which(o["influxd"]) and not os.path.exists(o["influxd"]):
        print("influxd not found (%s): install the influxdb package (deploy/setup does)"
              % o["influxd"])
        return 2
    tmp = tempfile.mkdtemp(prefix="strata-queryconf.")
    servers = []
    rc = 2
    try:
        try:
            ref_srv = P.Server(o["influxd"], os.path.join(tmp, "influxdb"), False)
            servers.append(ref_srv)
            ref_srv.start()
            ref = Endpoint("InfluxDB %s" % ref_srv.version(), P.HOST, ref_srv.port)
            if o["influx_only"] or (o["show"] and not o["url"]):
                tgt_srv = P.Server(o["influxd"], os.path.join(tmp, "influxdb2"), False)
                servers.append(tgt_srv)
                tgt_srv.start()
                tgt = Endpoint("second InfluxDB", P.HOST, tgt_srv.port)
        except (RuntimeError, OSError) as e:
            print("cannot start influxd: %s%s" % (e, "" if o["keep"] else " (--keep keeps it)"))
            return 2
        if not (o["influx_only"] or (o["show"] and not o["url"])):
            tgt = Endpoint.from_url("strata " + o["url"], o["url"])
        name = run_name()
        names = {"db": name, "nodb": name + "_nodb"}
        print("%s at %s, %s; database %s" % (ref.name, ref.url(), tgt.name, name), flush=True)
        run = Run(o, ref, tgt, names)
        try:
            if not run.setup():
                print("setup failed: the cases may fail for that reason")
        except (OSError, http.client.HTTPException) as e:
            print("FAIL setup: %s: %s (is %s running?)" % (type(e).__name__, e, tgt.url()))
            return 1
        t = time.monotonic()
        for case in cases:
            try:
                run.run_case(case)
            except (OSError, ValueError, http.client.HTTPException) as e:
                run.failed.append(case.id)
                print("FAIL %s: %s: %s" % (case.id, type(e).__name__, e))
        print("ran %d cases in %.1f s" % (len(cases), time.monotonic() - t))
        rc = 0 if o["show"] else run.summary(len(cases))
        if not o["keep"] and not o["influx_only"] and not o["show"]:
            try:
                simple_query(tgt, 'DROP DATABASE "%s"' % name)
            except (OSError, http.client.HTTPException):
                pass
    finally:
        for s in servers:
            s.stop()
        if o["keep"]:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
