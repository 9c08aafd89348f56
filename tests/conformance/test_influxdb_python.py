#!/usr/bin/env python3
"""Drives a router with Debian's python3-influxdb (InfluxDBClient 5.3).

Usage: test_influxdb_python.py URL [--user U --password P]

Uses the client the way applications do: ping, create_database,
get_list_database, create/alter/get_list/drop retention policies,
write_points (dicts with tags and time; batch_size; time_precision='s'; a
retention policy; a missing database: InfluxDBClientError 404),
drop_database. What was written is read back with client.query(SELECT ...)
and with DataFrameClient.query() into pandas DataFrames (python3-pandas);
while the router answers SELECT with an error saying "not implemented"
those checks are SKIPPED, not passed. Every answer expected here is what
InfluxDB 1.6.7 gives (checked against it). Each run uses its own database
(py<time><pid>), so the cluster may be shared. Note: the client sends
Accept: application/x-msgpack and InfluxDB 1.6 answers /query and errors in
MessagePack; it falls back to JSON when the Content-Type is JSON, so the
checks compare decoded values (times as epochs), not texts. Talks to URL only; the
session ignores proxy variables. Prints one line per check and
"N passed, N failed, N skipped"; exits 1 on any failure.

Needs python3-influxdb (deploy/setup installs it); when the python3 running
this is not Debian's, Debian's dist-packages is added to sys.path.
"""

import json
import os
import sys
import time
import traceback
import urllib.parse

try:
    import influxdb  # noqa: F401
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import influxdb  # noqa: F401
import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError


class Skip(Exception):
    pass


def select(client, q, **kw):
    """client.query for a SELECT; Skip while the router has no SELECT."""
    try:
        return client.query(q, **kw)
    except (InfluxDBClientError, InfluxDBServerError) as e:
        if "not implemented" in str(e).lower():
            raise Skip("SELECT: %s" % str(e)[:200])
        raise


def err_json(e):
    """The error body as JSON. The client asks for MessagePack (Accept:
    application/x-msgpack, which InfluxDB 1.6 honours, errors included) and
    re-serializes it without the trailing newline; a JSON answer is kept
    as is."""
    c = e.content if isinstance(e, InfluxDBClientError) else e.args[0]
    if isinstance(c, bytes):
        c = c.decode("utf-8", "replace")
    return json.loads(c)


def expect_eq(got, want, what):
    if got != want:
        raise AssertionError("%s:\n    got:  %r\n    want: %r" % (what, got, want))


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    url = urllib.parse.urlsplit(args[0] if "//" in args[0] else "http://" + args[0])
    user = password = None
    if "--user" in args:
        user = args[args.index("--user") + 1]
    if "--password" in args:
        password = args[args.index("--password") + 1]

    session = requests.Session()
    session.trust_env = False  # never a proxy: loopback only
    kw = {"host": url.hostname, "port": url.port or 8086, "timeout": 60, "retries": 1,
          "session": session}
    if user is not None:
        kw["username"], kw["password"] = user, password
    else:
        kw["username"] = kw["password"] = None  # no Authorization header at all
    client = InfluxDBClient(**kw)
    db = "py%d%d" % (int(time.time() * 1000) % 10**10, os.getpid() % 1000)
    nodb = db + "_missing"
    now_s = int(time.time())
    results = []

    def check(name, fn):
        try:
            fn()
            results.append((name, "ok", ""))
        except Skip as e:
            results.append((name, "SKIPPED", str(e)))
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            detail = "%s: %s" % (type(e).__name__, e)
            if not isinstance(e, (AssertionError, InfluxDBClientError, InfluxDBServerError)):
                detail += "\n" + traceback.format_exc(limit=3)
            results.append((name, "FAIL", detail))

    def ping():
        v = client.ping()
        if not v:
            raise AssertionError("ping returned no X-Influxdb-Version: %r" % (v,))

    def create_database():
        client.create_database(db)
        expect_eq(client.create_database(db), None, "create_database again (no error)")
        dbs = client.get_list_database()
        if {"name": db} not in dbs:
            raise AssertionError("%r not in get_list_database() %r" % (db, dbs))

    def retention_policies():
        client.create_retention_policy("rp1", "1d", 1, database=db, default=False,
                                       shard_duration="1h")
        expect_eq(client.get_list_retention_policies(db), [
            {"name": "autogen", "duration": "0s", "shardGroupDuration": "168h0m0s",
             "replicaN": 1, "default": True},
            {"name": "rp1", "duration": "24h0m0s", "shardGroupDuration": "1h0m0s",
             "replicaN": 1, "default": False}], "get_list_retention_policies")
        client.create_retention_policy("rp2", "2h", 1, database=db)
        client.alter_retention_policy("rp2", database=db, duration="3h", default=True)
        client.drop_retention_policy("rp1", database=db)
        expect_eq(client.get_list_retention_policies(db), [
            {"name": "autogen", "duration": "0s", "shardGroupDuration": "168h0m0s",
             "replicaN": 1, "default": False},
            {"name": "rp2", "duration": "3h0m0s", "shardGroupDuration": "1h0m0s",
             "replicaN": 1, "default": True}], "after alter and drop")
        client.alter_retention_policy("autogen", database=db, default=True)

    def rp_conflict():
        try:
            client.create_retention_policy("rp2", "5h", 1, database=db)
        except InfluxDBClientError as e:
            expect_eq(str(e), "retention policy already exists", "error text")
            return
        raise AssertionError("no error for a conflicting retention policy")

    points = [
        {"measurement": "cpu", "tags": {"host": "a", "region": "eu"},
         "time": "2020-09-13T12:26:40Z", "fields": {"value": 0.5, "n": 3, "ok": True}},
        {"measurement": "cpu", "tags": {"host": "b", "region": "eu"},
         "time": 1600000001000000000, "fields": {"value": 1.5, "n": 4, "ok": False}},
        {"measurement": "mem", "tags": {"host": "a"}, "time": "2020-09-13T12:26:42.5Z",
         "fields": {"free": 1024, "note": 'quoted "text", with comma'}},
    ]

    def write_points():
        expect_eq(client.write_points(points, database=db), True, "write_points")

    def read_points():
        rs = select(client, "select * from cpu", database=db, epoch="ns")
        expect_eq(list(rs.get_points()), [
            {"time": 1600000000000000000, "host": "a", "n": 3, "ok": True, "region": "eu",
             "value": 0.5},
            {"time": 1600000001000000000, "host": "b", "n": 4, "ok": False, "region": "eu",
             "value": 1.5}], "select * from cpu")
        rs = select(client, "select * from mem", database=db, epoch="ms")
        expect_eq(list(rs.get_points()), [
            {"time": 1600000002500, "free": 1024, "host": "a",
             "note": 'quoted "text", with comma'}], "select * from mem")

    def read_dataframe():
        # pandas (python3-pandas) through the client's DataFrameClient, as
        # notebooks load results: a DataFrame per series, indexed by time.
        import pandas  # noqa: F401  (an ImportError fails the check)
        from influxdb import DataFrameClient
        dkw = dict(kw)
        dkw.pop("session", None)
        dfc = DataFrameClient(**dkw)
        res = dfc.query("select * from cpu", database=db)
        expect_eq(sorted(res.keys()), ["cpu"], "DataFrame keys")
        df = res["cpu"]
        expect_eq(list(df.columns), ["host", "n", "ok", "region", "value"], "DataFrame columns")
        expect_eq(str(df.index.tz), "UTC", "DataFrame index time zone")
        expect_eq([t.value for t in df.index], [1600000000000000000, 1600000001000000000],
                  "DataFrame index (ns)")
        expect_eq(df["value"].tolist(), [0.5, 1.5], "DataFrame value column")
        expect_eq(df["n"].tolist(), [3, 4], "DataFrame n column")
        expect_eq(df["host"].tolist(), ["a", "b"], "DataFrame host column")
        res = dfc.query("select max(value) from cpu group by host", database=db)
        expect_eq(sorted(res.keys()), [("cpu", (("host", "a"),)), ("cpu", (("host", "b"),))],
                  "DataFrame keys of GROUP BY host")
        expect_eq(res[("cpu", (("host", "b"),))]["max"].tolist(), [1.5], "max of host b")
        dfc.close()

    def write_batches():
        pts = [{"measurement": "batch", "tags": {"k": str(i % 2)}, "time": 1600000000 + i,
                "fields": {"v": i}} for i in range(7)]
        expect_eq(client.write_points(pts, database=db, batch_size=2, time_precision="s"),
                  True, "write_points(batch_size=2)")

    def read_batches():
        rs = select(client, "select count(v) from batch", database=db, epoch="s")
        expect_eq(list(rs.get_points()), [{"time": 0, "count": 7}],
                  "count after batches")

    def write_precision_s():
        pts = [{"measurement": "prec", "time": 1600000000, "fields": {"v": 1.0}}]
        expect_eq(client.write_points(pts, database=db, time_precision="s"), True,
                  "write_points(time_precision='s')")

    def read_precision_s():
        rs = select(client, "select * from prec", database=db, epoch="ns")
        expect_eq(list(rs.get_points()), [{"time": 1600000000000000000, "v": 1.0}],
                  "time written with precision s")

    def write_rp():
        pts = [{"measurement": "rpm", "time": now_s, "fields": {"v": 2}}]
        expect_eq(client.write_points(pts, database=db, retention_policy="rp2",
                                      time_precision="s"), True, "write_points(rp2)")

    def read_rp():
        rs = select(client, 'select v from "%s"."rp2"."rpm"' % db, database=db, epoch="s")
        expect_eq(list(rs.get_points()), [{"time": now_s, "v": 2}], "read from rp2")

    def write_errors():
        try:
            client.write_points(points, database=nodb)
            raise AssertionError("no error writing to a missing database")
        except InfluxDBClientError as e:
            expect_eq(e.code, 404, "status")
            expect_eq(err_json(e), {"error": 'database not found: "%s"' % nodb}, "error body")
        try:
            client.write_points(points, database=db, retention_policy="nope")
            raise AssertionError("no error writing to a missing retention policy")
        except InfluxDBServerError as e:
            expect_eq(err_json(e), {"error": "retention policy not found: nope"}, "error body")

    def type_conflict():
        try:
            client.write_points([{"measurement": "cpu", "time": 1600000002000000000,
                                  "fields": {"value": "text"}}], database=db)
            raise AssertionError("no error for a field type conflict")
        except InfluxDBClientError as e:
            expect_eq(e.code, 400, "status")
            expect_eq(err_json(e), {"error": 'partial write: field type conflict: input field '
                      '"value" on measurement "cpu" is type string, already exists '
                      'as type float dropped=1'}, "error body")

    def query_error():
        try:
            client.query("SHOW RETENTION POLICIES ON %s" % nodb)
            raise AssertionError("no error for a missing database")
        except InfluxDBClientError as e:
            expect_eq(str(e), "database not found: %s" % nodb, "error text")

    def drop_database():
        client.drop_database(db)
        dbs = client.get_list_database()
        if {"name": db} in dbs:
            raise AssertionError("%r still in get_list_database() %r" % (db, dbs))

    check("ping", ping)
    check("create_database + get_list_database", create_database)
    check("retention policies: create, get_list, alter, drop", retention_policies)
    check("create_retention_policy conflict", rp_conflict)
    check("write_points (tags, time as RFC3339 and ns)", write_points)
    check("query select * (points written)", read_points)
    check("DataFrameClient.query into pandas DataFrames", read_dataframe)
    check("write_points batch_size=2", write_batches)
    check("query select count (batches)", read_batches)
    check("write_points time_precision='s'", write_precision_s)
    check("query select (precision s)", read_precision_s)
    check("write_points retention_policy", write_rp)
    check("query select (retention policy)", read_rp)
    check("write_points errors (404 database, 500 retention policy)", write_errors)
    check("write_points field type conflict", type_conflict)
    check("query error (database not found)", query_error)
    check("drop_database", drop_database)
    client.close()

    counts = {"ok": 0, "FAIL": 0, "SKIPPED": 0}
    for name, st, detail in results:
        counts[st] += 1
        print("%-7s %s%s" % (st, name, ("\n    " + detail.replace("\n", "\n    "))
                             if detail else ""))
    print("influxdb-python %s against %s" % (influxdb.__version__, args[0]))
    print("%d passed, %d failed, %d skipped" % (counts["ok"], counts["FAIL"],
                                                counts["SKIPPED"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
