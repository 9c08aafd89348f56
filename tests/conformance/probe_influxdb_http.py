#!/usr/bin/env python3
"""Record how a real InfluxDB 1.x answers the HTTP API (/ping, /write, /query, auth).

Usage:
    python3 tests/conformance/probe_influxdb_http.py [OUTFILE] [--influxd PATH]
    python3 tests/conformance/probe_influxdb_http.py --serve [--influxd PATH]

Starts two influxd (default `influxd` from PATH) bound to 127.0.0.1 on free
ports, with configs written under a fresh temporary directory: one with
authentication off, one with [http] auth-enabled = true. Both have
[http] max-body-size = MAX_BODY_SIZE (1,000,000 bytes; the router must run
with `strata-router --max-body-bytes 1000000` for the 413 cases). It runs
every case in CASES and writes OUTFILE (default influxdb16_http.jsonl beside
this script), then stops both servers. --serve only starts the two servers,
prints their URLs and waits for Ctrl-C or SIGTERM (to run test_http_influxdb.py against
real InfluxDB). Python 3 standard library only. Talks to 127.0.0.1 only.

OUTFILE is JSON Lines. Line 1 is a header record {"meta": {...}} that says
which InfluxDB answered and how it was configured (max_body_size,
router_args, admin placeholders). Every other line is one case:

  name      unique id
  auth      true: sent to the auth-enabled server
  fresh_auth  true: must run on an auth-enabled server that has no user yet
            (these come first, in file order; the last one creates {admin})
  query_engine  true: the request itself needs SELECT/SHOW-on-data support;
            a replay may skip it when the answer says "not implemented"
  filter_dbs  true: the answer holds SHOW DATABASES output; only rows naming
            this case's own databases ({db}, {db2}, ...) are kept (both here
            and on replay), because the server is shared by all cases
  raw       true: compare the body as text (pretty/chunked output), not as
            parsed JSON
  setup     list of steps run first, each checked to succeed:
            {"q": "...", "db": optional} runs a query (POST /query, form body)
            {"write": "line protocol", "db": "{db}", "rp": optional}
            On the auth server setup and readback run as {admin}.
  request   {method, path (with query string), headers {name: value},
             body (text) | body_b64 | body_gen, basic ("user:pass", sent as
             an Authorization: Basic header), gzip (bool: body is gzipped
             with mtime 0 and sent with Content-Encoding: gzip), chunked
             (bool: Transfer-Encoding: chunked, 65,536-byte chunks)}
            body_gen {"template": "m v={i}i {t}", "count": N, "t0": T,
                      "bad": {"<index>": "line"}} generates N lines joined
            by "\n": line i is bad[str(i)] if present, else the template
            with {i} = i and {t} = t0 + i.
  response  {status, headers {Content-Type, X-Influxdb-Error,
             Www-Authenticate, Allow, X-Influxdb-Build: value or absent;
             X-Influxdb-Version: true when present}, body (parsed JSON, or
             text when the body is not one JSON document, "" when empty),
             body_text (exact text; null when filter_dbs), body_b64 (and
             body and body_text null) when the answer is MessagePack}
  readback  optional list of {q, db, epoch, response {status, body}}: what a
            query answered after the request, to show what was stored
  note      what the case shows

Placeholders: every request, setup step and readback may contain {db},
{db2}, {db3}, {nodb} (a database never created), {rp}, {user}, {user2},
{admin}, {adminpw}. The probe replaces the per-case ones by names unique to
the case (p<N>_<key>) and writes them back as placeholders in everything it
records (longest name first), so a replay can substitute its own unique
names and run against a shared cluster.
"""

import base64
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
MAX_BODY_SIZE = 1000000
ADMIN = "conf_admin"
ADMIN_PW = "conf-admin-pw"
KEYS = ("db", "db2", "db3", "nodb", "rp", "user", "user2")
HEADERS_KEPT = ("Content-Type", "X-Influxdb-Error", "Www-Authenticate", "Allow",
                "X-Influxdb-Build")
PW = "pw1"

# ---------------------------------------------------------------------------
# Case builders
# ---------------------------------------------------------------------------


def qs(params):
    """A query string; placeholders ({db}) stay unencoded so a replay can
    substitute them textually."""
    return urllib.parse.urlencode(params, safe="{}")


def write_req(params, body="", method="POST", **kw):
    req = {"method": method, "path": "/write" + ("?" + qs(params) if params else ""),
           "headers": {"Content-Type": "text/plain; charset=utf-8"}, "body": body}
    req["headers"].update(kw.pop("headers", {}))
    req.update(kw)
    return req


def query_req(q, params=None, method="POST", form=True, **kw):
    """POST /query with q in an application/x-www-form-urlencoded body, or
    (form=False) in the URL."""
    params = dict(params or {})
    headers = {}
    body = ""
    if form and q is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = qs({"q": q})
    elif q is not None:
        params = dict([("q", q)] + list(params.items()))
    headers.update(kw.pop("headers", {}))
    req = {"method": method, "path": "/query" + ("?" + qs(params) if params else ""),
           "headers": headers, "body": body}
    req.update(kw)
    return req


def C(name, request, **kw):
    c = {"name": name, "auth": False, "setup": [], "request": request}
    c.update(kw)
    return c


def Q(q, db=None):
    s = {"q": q}
    if db:
        s["db"] = db
    return s


def RB(q, db="{db}", epoch="ns"):
    r = {"q": q, "epoch": epoch}
    if db:
        r["db"] = db
    return r


MKDB = Q("CREATE DATABASE {db}")
SEL = RB("SELECT * FROM m")
COUNT = RB("SELECT count(v) FROM m")
SHOWDBS = RB("SHOW DATABASES", db=None)

BATCH_BAD = {"10": "bad line one", "2500": "m v=", "4999": 'm v="unterminated 12'}
BIG_LINE = "m,host=server{i} v={i}i {t}"


def prec_case(p, ts, note):
    return C("write_precision_" + p, write_req({"db": "{db}", "precision": p}, "m v=1 %d" % ts),
             setup=[MKDB], readback=[SEL], note=note)


CASES = [
    # ---- /ping, /health, unknown paths ------------------------------------
    C("ping_get", {"method": "GET", "path": "/ping", "headers": {}, "body": ""}),
    C("ping_head", {"method": "HEAD", "path": "/ping", "headers": {}, "body": ""}),
    C("ping_verbose", {"method": "GET", "path": "/ping?verbose=true", "headers": {}, "body": ""},
      note="1.6 ignores verbose (1.7+ answer 200 {\"version\":...})"),
    C("ping_post", {"method": "POST", "path": "/ping", "headers": {}, "body": ""}),
    C("health_get", {"method": "GET", "path": "/health", "headers": {}, "body": ""},
      note="/health appeared in 1.8"),
    C("unknown_path_get", {"method": "GET", "path": "/nope", "headers": {}, "body": ""}),
    C("unknown_path_post", {"method": "POST", "path": "/api/v2/query", "headers": {},
                            "body": "{}"}),
    C("root_get", {"method": "GET", "path": "/", "headers": {}, "body": ""}),
    # ---- /write: routing errors -------------------------------------------
    C("write_no_db", write_req({}, "m v=1 1000")),
    C("write_empty_db_param", write_req({"db": ""}, "m v=1 1000")),
    C("write_db_not_found", write_req({"db": "{nodb}"}, "m v=1 1000")),
    C("write_rp_not_found", write_req({"db": "{db}", "rp": "{rp}"}, "m v=1 1000"),
      setup=[MKDB], note="500, not 404"),
    C("write_db_not_found_bad_body", write_req({"db": "{nodb}"}, "bad"),
      note="which is checked first: database or body"),
    # ---- /write: bodies ------------------------------------------------------
    C("write_ok", write_req({"db": "{db}"}, "m,t=a v=1 1000\nm,t=b v=2 2000\n"),
      setup=[MKDB], readback=[SEL]),
    C("write_ok_rp", write_req({"db": "{db}", "rp": "{rp}"}, "m v=1"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1")],
      readback=[RB('SELECT count(v) FROM "{db}"."{rp}"."m"')],
      note="no timestamp: the server's clock (inside the 1d policy)"),
    C("write_empty_body", write_req({"db": "{db}"}, ""), setup=[MKDB]),
    C("write_blank_and_comment_lines", write_req({"db": "{db}"}, "\n# comment\n   \n"),
      setup=[MKDB]),
    C("write_one_bad_line", write_req({"db": "{db}"}, "m v=1 1000\nbad\nm v=2 2000"),
      setup=[MKDB], readback=[SEL],
      note="the good lines are written; dropped=0 (parse errors are not counted)"),
    C("write_batch_5000_3_bad",
      write_req({"db": "{db}"}, None,
                body_gen={"template": BIG_LINE, "count": 5000, "t0": 1000000000,
                          "bad": BATCH_BAD}),
      setup=[MKDB], readback=[COUNT], note="4,997 points written, dropped=0"),
    C("write_all_bad", write_req({"db": "{db}"}, "bad\nm v=\nm"),
      setup=[MKDB], readback=[SEL], note="no 'partial write:' prefix"),
    C("write_unsigned", write_req({"db": "{db}"}, "m v=1u 1000"), setup=[MKDB],
      readback=[SEL], note="1.6 OSS has no unsigned integers"),
    C("write_bad_precision", write_req({"db": "{db}", "precision": "x"}, "m v=1 1000"),
      setup=[MKDB], readback=[SEL], note="1.6 silently reads an unknown precision as ns"),
    prec_case("n", 1600000000123456789, "ns"),
    prec_case("u", 1600000000123456, "microseconds"),
    prec_case("ms", 1600000000123, "milliseconds"),
    prec_case("s", 1600000000, "seconds"),
    prec_case("m", 26666666, "minutes"),
    prec_case("h", 444444, "hours"),
    C("write_beyond_retention", write_req({"db": "{db}", "rp": "{rp}"}, "m v=1 1000\nm v=2"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1h REPLICATION 1")],
      readback=[RB('SELECT count(v) FROM "{db}"."{rp}"."m"')],
      note="a point older than the policy's duration is dropped (dropped=1)"),
    # ---- /write: field type conflicts ---------------------------------------
    C("write_type_conflict_in_batch", write_req({"db": "{db}"}, 'm v=1 1000\nm v="s" 2000'),
      setup=[MKDB], readback=[SEL]),
    C("write_type_conflict_in_batch_int", write_req({"db": "{db}"}, "m v=1 1000\nm v=2i 2000"),
      setup=[MKDB], readback=[SEL]),
    C("write_type_conflict_in_batch_two_series",
      write_req({"db": "{db}"}, "m,t=a v=1 1000\nm,t=b v=2i 2000"), setup=[MKDB], readback=[SEL]),
    C("write_type_conflict_across_batches", write_req({"db": "{db}"}, "m v=1i 2000"),
      setup=[MKDB, {"write": "m v=1 1000", "db": "{db}"}], readback=[SEL]),
    C("write_type_conflict_across_batches_mixed",
      write_req({"db": "{db}"}, 'm v=2i 2000\nm v=3 3000\nm v="x" 4000'),
      setup=[MKDB, {"write": "m v=1 1000", "db": "{db}"}], readback=[SEL],
      note="dropped counts the points the storage refused"),
    C("write_type_conflict_plus_parse_error",
      write_req({"db": "{db}"}, 'm v=1 1000\nbad\nm v="s" 2000'),
      setup=[MKDB], readback=[SEL]),
    C("write_type_conflict_two_measurements",
      write_req({"db": "{db}"}, 'a v=1i 2000\nb v="s" 2000'),
      setup=[MKDB, {"write": "a v=1 1000\nb v=1 1000", "db": "{db}"}],
      readback=[RB("SELECT * FROM a, b")], note="only the first conflict is named"),
    # ---- /write: encodings and sizes ----------------------------------------
    C("write_gzip", write_req({"db": "{db}"}, "m v=1 1000\nm v=2 2000", gzip=True),
      setup=[MKDB], readback=[SEL]),
    C("write_gzip_chunked", write_req({"db": "{db}"}, "m v=1 1000", gzip=True, chunked=True),
      setup=[MKDB], readback=[SEL]),
    C("write_bad_gzip_short",
      write_req({"db": "{db}"}, "notgzip", headers={"Content-Encoding": "gzip"}),
      setup=[MKDB]),
    C("write_bad_gzip_header",
      write_req({"db": "{db}"}, "this is not gzip data at all, m v=1 1000",
                headers={"Content-Encoding": "gzip"}),
      setup=[MKDB]),
    C("write_truncated_gzip",
      write_req({"db": "{db}"}, None,
                body_b64=base64.b64encode(
                    gzip.compress(b"m v=1 1000\nm v=2 2000\n" * 50, mtime=0)[:40]).decode(),
                headers={"Content-Encoding": "gzip"}),
      setup=[MKDB], readback=[SEL]),
    C("write_chunked", write_req({"db": "{db}"}, "m v=1 1000\nm v=2 2000", chunked=True),
      setup=[MKDB], readback=[SEL]),
    C("write_under_max_body",
      write_req({"db": "{db}"}, None,
                body_gen={"template": "m v={i}i {t}", "count": 40000, "t0": 1000000000}),
      setup=[MKDB], readback=[COUNT], note="~0.82 MB with max-body-size 1,000,000"),
    C("write_over_max_body",
      write_req({"db": "{db}"}, None,
                body_gen={"template": "m v={i}i {t}", "count": 60000, "t0": 1000000000}),
      setup=[MKDB], readback=[COUNT],
      note="~1.25 MB with Content-Length: refused before the body is read"),
    C("write_chunked_over_max_body",
      write_req({"db": "{db}"}, None, chunked=True,
                body_gen={"template": "m v={i}i {t}", "count": 60000, "t0": 1000000000}),
      setup=[MKDB], readback=[COUNT]),
    C("write_gzip_inflated_over_max_body",
      write_req({"db": "{db}"}, None, gzip=True,
                body_gen={"template": "m v={i}i {t}", "count": 60000, "t0": 1000000000}),
      setup=[MKDB], readback=[COUNT],
      note="1.6 applies max-body-size to the compressed bytes only"),
    # ---- /write: parameters, methods ----------------------------------------
    C("write_consistency_one", write_req({"db": "{db}", "consistency": "one"}, "m v=1 1000"),
      setup=[MKDB]),
    C("write_consistency_any", write_req({"db": "{db}", "consistency": "any"}, "m v=1 1000"),
      setup=[MKDB]),
    C("write_consistency_quorum",
      write_req({"db": "{db}", "consistency": "quorum"}, "m v=1 1000"), setup=[MKDB]),
    C("write_consistency_all", write_req({"db": "{db}", "consistency": "all"}, "m v=1 1000"),
      setup=[MKDB]),
    C("write_consistency_bogus",
      write_req({"db": "{db}", "consistency": "bogus"}, "m v=1 1000"),
      setup=[MKDB], readback=[SEL]),
    C("write_u_p_params_without_auth",
      write_req({"db": "{db}", "u": "nobody", "p": "nothing"}, "m v=1 1000"), setup=[MKDB],
      note="credentials are ignored when authentication is off"),
    C("write_method_get", write_req({"db": "{db}"}, "", method="GET"), setup=[MKDB]),
    C("write_method_put", write_req({"db": "{db}"}, "m v=1 1000", method="PUT"),
      setup=[MKDB]),
    C("write_method_options", write_req({"db": "{db}"}, "", method="OPTIONS"), setup=[MKDB]),
    C("api_v2_write",
      {"method": "POST", "path": "/api/v2/write?" + qs({"bucket": "{db}/autogen",
                                                         "precision": "s"}),
       "headers": {"Content-Type": "text/plain; charset=utf-8"}, "body": "m v=1 1600000000"},
      setup=[MKDB], readback=[SEL], note="/api/v2/write appeared in 1.8"),
    # ---- /query: parameters, methods ----------------------------------------
    C("query_missing_q", query_req(None)),
    C("query_missing_q_get", query_req(None, method="GET")),
    C("query_empty_q", query_req("")),
    C("query_method_put", query_req("SHOW DATABASES", method="PUT", form=False)),
    C("query_method_options", query_req("SHOW DATABASES", method="OPTIONS", form=False)),
    C("query_get_show_databases", query_req("SHOW DATABASES", method="GET", form=False),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")], filter_dbs=True),
    C("query_post_form_show_databases", query_req("SHOW DATABASES"),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")], filter_dbs=True),
    C("query_post_url_show_databases", query_req("SHOW DATABASES", form=False),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")], filter_dbs=True),
    C("query_show_databases_epoch_pretty",
      query_req("SHOW DATABASES", {"epoch": "s", "pretty": "true"}, method="GET", form=False),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")], filter_dbs=True,
      note="compared as JSON after filtering; see query_show_rp_pretty for the text"),
    C("query_q_in_url_and_form",
      {"method": "POST", "path": "/query?" + qs({"q": "SHOW RETENTION POLICIES ON {db}"}),
       "headers": {"Content-Type": "application/x-www-form-urlencoded"},
       "body": qs({"q": "CREATE DATABASE {db2}"})},
      setup=[MKDB], readback=[RB("SHOW DATABASES", db=None)], filter_dbs=True,
      note="which q wins: the form body's (Go's Request.FormValue)"),
    C("query_accept_msgpack",
      query_req("SHOW RETENTION POLICIES ON {db}", headers={"Accept": "application/x-msgpack"}),
      setup=[MKDB], note="1.6 answers MessagePack when asked (python3-influxdb asks); "
                         "recorded as body_b64"),
    C("write_error_accept_msgpack",
      write_req({}, "m v=1 1000", headers={"Accept": "application/x-msgpack"}),
      note="errors too are MessagePack"),
    C("query_chunked_param",
      query_req("SHOW RETENTION POLICIES ON {db}; SHOW RETENTION POLICIES ON {nodb}",
                {"chunked": "true"}),
      setup=[MKDB], raw=True, note="one JSON document per line"),
    # ---- /query: databases ---------------------------------------------------
    C("query_create_database", query_req("CREATE DATABASE {db}"), readback=[SHOWDBS],
      filter_dbs=True),
    C("query_create_database_get", query_req("CREATE DATABASE {db}", method="GET", form=False),
      readback=[SHOWDBS], filter_dbs=True, note="1.6 runs writes sent with GET"),
    C("query_create_database_exists", query_req("CREATE DATABASE {db}"), setup=[MKDB]),
    C("query_create_database_empty_name", query_req('CREATE DATABASE ""')),
    C("query_create_database_with_rp",
      query_req("CREATE DATABASE {db} WITH DURATION 2d REPLICATION 1 "
                "SHARD DURATION 1h NAME {rp}"),
      readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_show_databases_two", query_req("SHOW DATABASES"),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")], filter_dbs=True),
    C("query_drop_database", query_req("DROP DATABASE {db}"),
      setup=[Q("CREATE DATABASE {db}"), Q("CREATE DATABASE {db2}")],
      readback=[SHOWDBS], filter_dbs=True),
    C("query_drop_database_not_found", query_req("DROP DATABASE {nodb}")),
    # ---- /query: retention policies -----------------------------------------
    C("query_create_rp", query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d "
                                   "REPLICATION 1"),
      setup=[MKDB], readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_create_rp_default",
      query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 2h REPLICATION 1 "
                "SHARD DURATION 30m DEFAULT"),
      setup=[MKDB], readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_create_rp_inf", query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION INF "
                                       "REPLICATION 1"),
      setup=[MKDB], readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_create_rp_exists_same",
      query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1")]),
    C("query_create_rp_exists_different",
      query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 2d REPLICATION 1"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1")]),
    C("query_create_rp_too_short",
      query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 30m REPLICATION 1"),
      setup=[MKDB]),
    C("query_create_rp_db_not_found",
      query_req("CREATE RETENTION POLICY {rp} ON {nodb} DURATION 1d REPLICATION 1")),
    C("query_alter_rp",
      query_req("ALTER RETENTION POLICY {rp} ON {db} DURATION 2d SHARD DURATION 2h DEFAULT"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1")],
      readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_alter_rp_not_found",
      query_req("ALTER RETENTION POLICY {rp} ON {db} DURATION 2d"), setup=[MKDB]),
    C("query_drop_rp", query_req("DROP RETENTION POLICY {rp} ON {db}"),
      setup=[MKDB, Q("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1")],
      readback=[RB("SHOW RETENTION POLICIES ON {db}", db=None)]),
    C("query_drop_rp_not_found", query_req("DROP RETENTION POLICY {rp} ON {db}"),
      setup=[MKDB]),
    C("query_show_rp_on", query_req("SHOW RETENTION POLICIES ON {db}"), setup=[MKDB]),
    C("query_show_rp_db_param", query_req("SHOW RETENTION POLICIES", {"db": "{db}"}),
      setup=[MKDB]),
    C("query_show_rp_no_db", query_req("SHOW RETENTION POLICIES")),
    C("query_show_rp_db_not_found", query_req("SHOW RETENTION POLICIES ON {nodb}")),
    C("query_show_rp_pretty",
      query_req("SHOW RETENTION POLICIES ON {db}", {"pretty": "true"}),
      setup=[MKDB], raw=True, note="the exact pretty text"),
    # ---- /query: errors and several statements ------------------------------
    C("query_syntax_error", query_req("SELEKT x")),
    C("query_syntax_error_second_statement",
      query_req("SHOW DATABASES; SHOW BOGUS; CREATE DATABASE {db}"),
      readback=[SHOWDBS], filter_dbs=True, note="a parse error runs nothing"),
    C("query_multi_ok", query_req("CREATE DATABASE {db}; SHOW RETENTION POLICIES ON {db}")),
    C("query_multi_fail_middle",
      query_req("CREATE DATABASE {db}; CREATE RETENTION POLICY {rp} ON {nodb} DURATION 1d "
                "REPLICATION 1; CREATE DATABASE {db2}; CREATE DATABASE {db3}"),
      readback=[SHOWDBS], filter_dbs=True,
      note="1.6 loses the error: later 'not executed' results reuse the failing "
           "statement's id and replace it"),
    C("query_multi_fail_middle_chunked",
      query_req("CREATE DATABASE {db}; CREATE RETENTION POLICY {rp} ON {nodb} DURATION 1d "
                "REPLICATION 1; CREATE DATABASE {db2}; CREATE DATABASE {db3}",
                {"chunked": "true"}),
      raw=True, note="the same with chunked=true shows every result 1.6 sends"),
    C("query_multi_fail_first",
      query_req("SHOW RETENTION POLICIES ON {nodb}; CREATE DATABASE {db}")),
    C("query_show_measurements_db_not_found",
      query_req("SHOW MEASUREMENTS", {"db": "{nodb}"}), query_engine=True),
    C("query_select_db_not_found", query_req("SELECT * FROM m", {"db": "{nodb}"}),
      query_engine=True),
    C("query_select_after_write", query_req("SELECT * FROM m", {"db": "{db}", "epoch": "ns"}),
      setup=[MKDB, {"write": "m,t=a v=1 1000\nm,t=b v=2 3000", "db": "{db}"}],
      query_engine=True),
    # ---- auth: a server without any user (run first, in this order) ---------
    C("auth_nousers_show_users", query_req("SHOW USERS"), auth=True, fresh_auth=True),
    C("auth_nousers_create_database", query_req("CREATE DATABASE {db}"), auth=True,
      fresh_auth=True),
    C("auth_nousers_create_nonadmin_user", query_req("CREATE USER {user} WITH PASSWORD 'pw1'"),
      auth=True, fresh_auth=True),
    C("auth_nousers_write", write_req({"db": "{nodb}"}, "m v=1 1000"), auth=True,
      fresh_auth=True, note="no user yet: /write is not authenticated at all"),
    C("auth_nousers_ping", {"method": "GET", "path": "/ping", "headers": {}, "body": ""},
      auth=True, fresh_auth=True),
    C("auth_bootstrap_create_admin",
      query_req("CREATE USER {admin} WITH PASSWORD '{adminpw}' WITH ALL PRIVILEGES"),
      auth=True, fresh_auth=True, note="allowed without credentials while no user exists"),
]

AUTH_USERS = [MKDB, Q("CREATE USER {user} WITH PASSWORD 'pw1'")]


def A(name, request, grant=None, **kw):
    setup = list(AUTH_USERS)
    if grant:
        setup.append(Q("GRANT %s ON {db} TO {user}" % grant))
    setup += kw.pop("setup_extra", [])
    return C(name, request, auth=True, setup=setup, **kw)


CASES += [
    A("auth_ping_no_credentials", {"method": "GET", "path": "/ping", "headers": {}, "body": ""}),
    A("auth_write_no_credentials", write_req({"db": "{db}"}, "m v=1 1000")),
    A("auth_write_bad_password", write_req({"db": "{db}"}, "m v=1 1000", basic="{admin}:wrong")),
    A("auth_write_unknown_user", write_req({"db": "{db}"}, "m v=1 1000", basic="{user2}:pw1")),
    A("auth_write_malformed_basic",
      write_req({"db": "{db}"}, "m v=1 1000", headers={"Authorization": "Basic !!!"})),
    A("auth_write_read_only_user", write_req({"db": "{db}"}, "m v=1 1000", basic="{user}:pw1"),
      grant="READ"),
    A("auth_write_no_privilege_user",
      write_req({"db": "{db}"}, "m v=1 1000", basic="{user}:pw1")),
    A("auth_write_basic_ok", write_req({"db": "{db}"}, "m v=1 1000", basic="{user}:pw1"),
      grant="WRITE", readback=[SEL]),
    A("auth_write_all_privileges_ok", write_req({"db": "{db}"}, "m v=1 1000",
                                                basic="{user}:pw1"),
      grant="ALL", readback=[SEL]),
    A("auth_write_admin_ok", write_req({"db": "{db}"}, "m v=1 1000", basic="{admin}:{adminpw}"),
      readback=[SEL]),
    A("auth_write_params_ok", write_req({"db": "{db}", "u": "{user}", "p": "pw1"}, "m v=1 1000"),
      grant="WRITE", readback=[SEL]),
    A("auth_write_params_bad_password",
      write_req({"db": "{db}", "u": "{user}", "p": "wrong"}, "m v=1 1000"), grant="WRITE"),
    A("auth_write_token",
      write_req({"db": "{db}"}, "m v=1 1000", headers={"Authorization": "Token {user}:pw1"}),
      grant="WRITE", readback=[SEL], note="Token u:p appeared in 1.8"),
    A("auth_write_token_bad_password",
      write_req({"db": "{db}"}, "m v=1 1000", headers={"Authorization": "Token {user}:wrong"}),
      grant="WRITE"),
    A("auth_write_admin_db_not_found",
      write_req({"db": "{nodb}"}, "m v=1 1000", basic="{admin}:{adminpw}")),
    A("auth_write_user_db_not_found",
      write_req({"db": "{nodb}"}, "m v=1 1000", basic="{user}:pw1"), grant="WRITE"),
    A("auth_query_no_credentials", query_req("SHOW DATABASES")),
    A("auth_query_basic_admin_show_databases",
      query_req("SHOW DATABASES", basic="{admin}:{adminpw}"), filter_dbs=True),
    A("auth_query_basic_bad_password", query_req("SHOW DATABASES", basic="{admin}:wrong")),
    A("auth_query_basic_reader_show_rp",
      query_req("SHOW RETENTION POLICIES ON {db}", basic="{user}:pw1"), grant="READ"),
    A("auth_query_params_reader_show_rp",
      query_req("SHOW RETENTION POLICIES ON {db}", {"u": "{user}", "p": "pw1"}), grant="READ"),
    A("auth_query_params_in_form",
      {"method": "POST", "path": "/query",
       "headers": {"Content-Type": "application/x-www-form-urlencoded"},
       "body": qs({"q": "SHOW RETENTION POLICIES ON {db}", "u": "{user}", "p": "pw1"})},
      grant="READ", note="are u and p read from a form body"),
    A("auth_query_params_bad_password",
      query_req("SHOW RETENTION POLICIES ON {db}", {"u": "{user}", "p": "wrong"}),
      grant="READ"),
    A("auth_query_token_reader_show_rp",
      query_req("SHOW RETENTION POLICIES ON {db}",
                headers={"Authorization": "Token {user}:pw1"}), grant="READ"),
    A("auth_query_bearer",
      query_req("SHOW RETENTION POLICIES ON {db}", headers={"Authorization": "Bearer xyz"}),
      grant="READ", note="JWT (shared-secret) is off"),
    A("auth_query_writer_show_rp", query_req("SHOW RETENTION POLICIES ON {db}",
                                             basic="{user}:pw1"), grant="WRITE"),
    A("auth_query_nonadmin_create_database", query_req("CREATE DATABASE {db2}",
                                                       basic="{user}:pw1"), grant="ALL"),
    A("auth_query_nonadmin_drop_database", query_req("DROP DATABASE {db}",
                                                     basic="{user}:pw1"), grant="ALL"),
    A("auth_query_nonadmin_create_rp",
      query_req("CREATE RETENTION POLICY {rp} ON {db} DURATION 1d REPLICATION 1",
                basic="{user}:pw1"), grant="ALL"),
    A("auth_query_nonadmin_create_user",
      query_req("CREATE USER {user2} WITH PASSWORD 'secret' WITH ALL PRIVILEGES",
                basic="{user}:pw1"), grant="ALL", note="the password is [REDACTED]"),
    A("auth_query_nonadmin_show_databases",
      query_req("SHOW DATABASES", basic="{user}:pw1"), grant="READ",
      note="only the databases the user may read (not filtered: the user is the case's own)"),
    A("auth_query_noprivilege_show_databases",
      query_req("SHOW DATABASES", basic="{user}:pw1")),
    A("auth_query_nonadmin_multi_one_refused",
      query_req("SHOW RETENTION POLICIES ON {db}; CREATE DATABASE {db2}", basic="{user}:pw1"),
      grant="READ", readback=[SHOWDBS], filter_dbs=True,
      note="authorization is checked for all statements before any runs"),
    A("auth_query_admin_create_database", query_req("CREATE DATABASE {db2}",
                                                    basic="{admin}:{adminpw}"),
      readback=[SHOWDBS], filter_dbs=True),
    A("auth_query_reader_select",
      query_req("SELECT * FROM m", {"db": "{db}", "epoch": "ns"}, basic="{user}:pw1"),
      grant="READ", query_engine=True, setup_extra=[{"write": "m v=1 1000", "db": "{db}"}]),
    A("auth_query_writer_select",
      query_req("SELECT * FROM m", {"db": "{db}"}, basic="{user}:pw1"), grant="WRITE",
      query_engine=True, note="refused before it runs"),
    A("auth_api_v2_write_token",
      {"method": "POST", "path": "/api/v2/write?" + qs({"bucket": "{db}/autogen",
                                                         "precision": "s"}),
       "headers": {"Content-Type": "text/plain; charset=utf-8",
                   "Authorization": "Token {user}:pw1"},
       "body": "m v=1 1600000000"},
      grant="WRITE", readback=[SEL], note="/api/v2/write appeared in 1.8"),
    A("auth_api_v2_write_no_token",
      {"method": "POST", "path": "/api/v2/write?" + qs({"bucket": "{db}/autogen",
                                                         "precision": "s"}),
       "headers": {"Content-Type": "text/plain; charset=utf-8"},
       "body": "m v=1 1600000000"}, grant="WRITE"),
]

# ---------------------------------------------------------------------------
# Shared with test_http_influxdb.py: names, bodies, the HTTP client
# ---------------------------------------------------------------------------


def case_names(prefix, n):
    """Concrete names for one case's placeholders."""
    return {"{%s}" % k: "%s%d_%s" % (prefix, n, k) for k in KEYS}


def subst(obj, names):
    """Replace placeholders by names in every string of obj."""
    if isinstance(obj, str):
        for k, v in names.items():
            obj = obj.replace(k, v)
        return obj
    if isinstance(obj, list):
        return [subst(x, names) for x in obj]
    if isinstance(obj, dict):
        return {subst(k, names): subst(v, names) for k, v in obj.items()}
    return obj


def unsubst(obj, names):
    """Put placeholders back where names occur (longest name first)."""
    pairs = sorted(names.items(), key=lambda kv: -len(kv[1]))
    if isinstance(obj, str):
        for k, v in pairs:
            obj = obj.replace(v, k)
        return obj
    if isinstance(obj, list):
        return [unsubst(x, names) for x in obj]
    if isinstance(obj, dict):
        return {unsubst(k, names): unsubst(v, names) for k, v in obj.items()}
    return obj


def gen_body(spec):
    bad = spec.get("bad", {})
    lines = []
    for i in range(spec["count"]):
        if str(i) in bad:
            lines.append(bad[str(i)])
        else:
            lines.append(spec["template"].replace("{i}", str(i))
                         .replace("{t}", str(spec.get("t0", 0) + i)))
    return "\n".join(lines)


def request_bytes(req):
    """The body bytes to send and the extra headers, from a (substituted) request."""
    if req.get("body_gen"):
        data = gen_body(req["body_gen"]).encode("utf-8")
    elif req.get("body_b64"):
        data = base64.b64decode(req["body_b64"])
    else:
        data = (req.get("body") or "").encode("utf-8")
    headers = dict(req.get("headers") or {})
    if req.get("gzip"):
        data = gzip.compress(data, mtime=0)
        headers["Content-Encoding"] = "gzip"
    if req.get("basic"):
        headers["Authorization"] = "Basic " + base64.b64encode(
            req["basic"].encode("utf-8")).decode()
    return data, headers


class Response:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.data = data

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def http_request(host, port, method, path, data=b"", headers=None, chunked=False,
                 timeout=30):
    """One request on a fresh connection. The body is sent from a second
    thread while the answer is read, so that a server that answers early
    (413) and closes is still heard."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        head = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (host, port),
                "User-Agent: strata-conformance", "Connection: close"]
        for k, v in (headers or {}).items():
            head.append("%s: %s" % (k, v))
        if chunked:
            head.append("Transfer-Encoding: chunked")
            parts = []
            for i in range(0, len(data), 65536):
                c = data[i:i + 65536]
                parts.append(b"%x\r\n" % len(c) + c + b"\r\n")
            payload = b"".join(parts) + b"0\r\n\r\n"
        elif method in ("GET", "HEAD", "OPTIONS") and not data:
            payload = b""
        else:
            head.append("Content-Length: %d" % len(data))
            payload = data
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload

        def send():
            try:
                sock.sendall(raw)
            except OSError:
                pass

        t = threading.Thread(target=send, daemon=True)
        t.start()
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        body = resp.read()
        st = resp.status
        hdrs = resp.getheaders()
        resp.close()
        t.join(timeout=timeout)
        return Response(st, hdrs, body)
    finally:
        sock.close()


def send_case_request(host, port, req):
    """Sends a substituted case request; returns a Response."""
    data, headers = request_bytes(req)
    return http_request(host, port, req["method"], req["path"], data, headers,
                        chunked=bool(req.get("chunked")))


def is_placeholder(s):
    return isinstance(s, str) and len(s) > 2 and s[0] == "{" and s[-1] == "}" and \
        s[1:-1].replace("_", "").isalnum()


def filter_databases(body):
    """Keeps only the SHOW DATABASES rows that name one of the case's own
    databases (already written back as placeholders). A series left without
    rows loses its "values", as InfluxDB prints an empty list."""
    if not isinstance(body, dict):
        return body
    for res in body.get("results", []):
        for s in res.get("series", []):
            if s.get("name") == "databases" and "values" in s:
                s["values"] = [r for r in s["values"] if r and is_placeholder(r[0])]
                if not s["values"]:
                    del s["values"]
    return body


def parse_body(data):
    text = data.decode("utf-8", "replace")
    if not text:
        return "", text
    try:
        return json.loads(text), text
    except ValueError:
        return text, text


def record_response(resp):
    if (resp.header("Content-Type") or "").startswith("application/x-msgpack"):
        body, text = None, None
    else:
        body, text = parse_body(resp.data)
    hdrs = {}
    for h in HEADERS_KEPT:
        v = resp.header(h)
        if v is not None:
            hdrs[h] = v
    hdrs["X-Influxdb-Version"] = resp.header("X-Influxdb-Version") is not None
    rec = {"status": resp.status, "headers": hdrs, "body": body, "body_text": text}
    if text is None:
        rec["body_b64"] = base64.b64encode(resp.data).decode()
    return rec


def run_query(host, port, q, db=None, basic=None, epoch=None):
    params = {}
    if db:
        params["db"] = db
    if epoch:
        params["epoch"] = epoch
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    path = "/query" + ("?" + urllib.parse.urlencode(params) if params else "")
    r = http_request(host, port, "POST", path, urllib.parse.urlencode({"q": q}).encode(),
                     headers)
    body, _ = parse_body(r.data)
    return r.status, body


def run_write(host, port, body, db, rp=None, basic=None):
    params = {"db": db}
    if rp:
        params["rp"] = rp
    headers = {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    r = http_request(host, port, "POST", "/write?" + urllib.parse.urlencode(params),
                     body.encode(), headers)
    return r.status, parse_body(r.data)[0]


def run_setup(host, port, steps, basic=None):
    """Runs substituted setup steps; returns an error text or None."""
    for s in steps:
        if "q" in s:
            st, body = run_query(host, port, s["q"], s.get("db"), basic)
            bad = st != 200 or not isinstance(body, dict) or any(
                "error" in r for r in body.get("results", [{"error": "no results"}]))
        else:
            st, body = run_write(host, port, s["write"], s["db"], s.get("rp"), basic)
            bad = st != 204
        if bad:
            return "setup step %r: HTTP %d %r" % (s, st, body)
    return None


# ---------------------------------------------------------------------------
# influxd
# ---------------------------------------------------------------------------

CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{base}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{base}/data"
  wal-dir = "{base}/wal"
  index-version = "inmem"
  query-log-enabled = false

[retention]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false
  https-enabled = false
  max-body-size = {max_body}
  max-row-limit = 0

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, influxd, base, auth):
        self.influxd = influxd
        self.base = base
        self.auth = auth
        self.proc = None
        self.port = None
        self.logf = None

    def start(self):
        shutil.rmtree(self.base, ignore_errors=True)
        os.makedirs(self.base)
        self.port = free_port()
        rpc = free_port()
        conf = os.path.join(self.base, "influxd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(base=self.base, rpc_port=rpc, http_port=self.port,
                                  auth="true" if self.auth else "false",
                                  max_body=MAX_BODY_SIZE))
        env = {k: v for k, v in os.environ.items() if not k.startswith("INFLUXDB_")}
        self.logf = open(os.path.join(self.base, "influxd.log"), "wb")
        self.proc = subprocess.Popen([self.influxd, "run", "-config", conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("influxd exited early, see %s/influxd.log" % self.base)
            try:
                if http_request(HOST, self.port, "GET", "/ping", timeout=5).status == 204:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("influxd did not answer /ping within 60 s")

    def version(self):
        return http_request(HOST, self.port, "GET", "/ping").header("X-Influxdb-Version")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if self.logf:
            self.logf.close()


# ---------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------


def run_case(srv, n, case):
    names = case_names("p", n)
    names["{admin}"] = ADMIN
    names["{adminpw}"] = ADMIN_PW
    admin_basic = ADMIN + ":" + ADMIN_PW if case["auth"] else None
    err = run_setup(HOST, srv.port, subst(case["setup"], names), admin_basic)
    if err:
        raise RuntimeError("%s: %s" % (case["name"], err))
    resp = send_case_request(HOST, srv.port, subst(case["request"], names))
    rec = dict(case)
    rec["response"] = unsubst(record_response(resp), names)
    if case.get("filter_dbs"):
        filter_databases(rec["response"]["body"])
        rec["response"]["body_text"] = None
    if case.get("readback"):
        rbs = []
        for rb in case["readback"]:
            r = subst(rb, names)
            st, body = run_query(HOST, srv.port, r["q"], r.get("db"), admin_basic,
                                 r.get("epoch"))
            rb = dict(rb)
            rb["response"] = unsubst({"status": st, "body": body}, names)
            if case.get("filter_dbs"):
                filter_databases(rb["response"]["body"])
            rbs.append(rb)
        rec["readback"] = rbs
    return rec


def check_cases():
    names = [c["name"] for c in CASES]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise SystemExit("duplicate case names: %s" % sorted(dup))
    fresh = [c.get("fresh_auth", False) for c in CASES if c["auth"]]
    if fresh != sorted(fresh, reverse=True):
        raise SystemExit("fresh_auth cases must come before the other auth cases")


def main(argv):
    influxd = "influxd"
    args = []
    serve = False
    i = 1
    while i < len(argv):
        if argv[i] == "--influxd":
            influxd = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--serve":
            serve = True
        elif argv[i] in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            args.append(argv[i])
        i += 1
    here = os.path.dirname(os.path.abspath(__file__))
    outfile = args[0] if args else os.path.join(here, "influxdb16_http.jsonl")
    check_cases()
    tmp = tempfile.mkdtemp(prefix="influxhttp.")
    plain = Server(influxd, os.path.join(tmp, "plain"), False)
    auth = Server(influxd, os.path.join(tmp, "auth"), True)
    try:
        plain.start()
        auth.start()
        if serve:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            print("plain: http://%s:%d" % (HOST, plain.port))
            print("auth:  http://%s:%d (no user yet; max-body-size %d)"
                  % (HOST, auth.port, MAX_BODY_SIZE), flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        meta = {"meta": {
            "influxdb_version": plain.version(),
            "max_body_size": MAX_BODY_SIZE,
            "router_args": ["--max-body-bytes", str(MAX_BODY_SIZE)],
            "influxdb_config": {"http.max-body-size": MAX_BODY_SIZE,
                                "http.auth-enabled": "false for auth=false cases, "
                                                     "true for auth=true cases",
                                "monitor.store-enabled": False},
            "admin": ADMIN, "admin_password": ADMIN_PW,
            "recorded": time.strftime("%Y-%m-%d", time.gmtime()),
        }}
        out = [meta]
        for n, case in enumerate(CASES):
            srv = auth if case["auth"] else plain
            out.append(run_case(srv, n, case))
        with open(outfile, "w", encoding="utf-8") as f:
            for rec in out:
                f.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
    finally:
        plain.stop()
        auth.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("wrote %d cases to %s" % (len(CASES), outfile))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
