#!/usr/bin/env python3
"""Replays the HTTP answers recorded from real InfluxDB 1.6 against a router.

Usage:
    test_http_influxdb.py URL [CASES.jsonl] [--auth-url URL] [--auth-admin USER:PASS]
                          [--no-headers] [--as-recorded] [-k SUBSTRING] [-v]

URL is a strata router started with the flags in the file's header record
(`--max-body-bytes 1000000`: the 413 cases depend on it) and authentication
off; --auth-url is a second router with authentication on (auth cases are
SKIPPED without it). The cluster may be shared and re-used: every case
substitutes names unique to this run for the placeholders ({db}, {user}, ...)
of the recording (see probe_influxdb_http.py), so they never meet.

The fresh_auth cases (what a server with no user answers, then creating the
first admin) run only when the auth router has no user yet (an anonymous
SHOW USERS answers "create admin user first ..."); otherwise they are SKIPPED
and the admin given by --auth-admin (default: the recording's, conf_admin)
must already exist.

For each case it runs the setup (failing the case when a step fails), sends
the request and compares
  * the status;
  * the body: parsed JSON equality, or exact text when the recorded body is
    not JSON or the case is raw (pretty/chunked output). Normalization:
    names are written back as placeholders; the value of any "version" key is
    ignored (the router reports its own version); for filter_dbs cases only
    SHOW DATABASES rows naming the case's own databases are kept (others
    belong to other cases or runs of the shared cluster);
  * headers (unless --no-headers): Content-Type, X-Influxdb-Error,
    Www-Authenticate and Allow by value, X-Influxdb-Version and
    X-Influxdb-Build by presence. Request ids and dates are not compared.
Then every readback query is run and compared the same way. A readback (or a
query_engine case) whose answer says "not implemented" is SKIPPED, not passed:
the router has no SELECT yet. The closing line counts checks: a case's
request is one, each readback another.

DELIBERATE lists intended differences with the reason and what strata
answers instead; --as-recorded ignores it (to check the replay itself
against real InfluxDB: `probe_influxdb_http.py --serve` starts two servers).
Prints a summary; exits 1 on any failure. Python 3 standard library only.
"""

import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_influxdb_http as P  # noqa: E402

ANY = object()


def _has_error(pred):
    return lambda b: isinstance(b, dict) and pred(b.get("error", ""))


EMPTY = {"results": [{"statement_id": 0}]}
RP_AUTOGEN = {"results": [{"statement_id": 0, "series": [{
    "columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
    "values": [["autogen", "0s", "168h0m0s", 1, True]]}]}]}


def _sel(*rows):
    return {"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": ["time", "v"], "values": [list(r) for r in rows]}]}]}


# name -> {"reason", "answers": [(status, body)] accepted (body may be ANY or
#          a predicate; RECORDED means the recorded answer),
#          "readback": [expected body per readback] or None (not checked)}
RECORDED = "recorded"
DELIBERATE = {
    "health_get": {
        "reason": "/health exists (InfluxDB 1.8's answer; 1.6 has no /health)",
        "answers": [(200, {"name": "influxdb", "message": "ready for queries and writes",
                           "status": "pass", "checks": [], "version": "<version>"})]},
    "ping_verbose": {
        "reason": "1.7+ answer verbose=true with 200 {\"version\":...}; 1.6's 204 is fine too",
        "answers": [RECORDED, (200, {"version": "<version>"})]},
    "api_v2_write": {
        "reason": "/api/v2/write exists (InfluxDB 1.8's v2 compatibility; 1.6 answers 404)",
        "answers": [(204, "")], "readback": [_sel((1600000000000000000, 1))]},
    "auth_api_v2_write_token": {
        "reason": "/api/v2/write exists, with Authorization: Token user:password (1.8)",
        "answers": [(204, "")], "readback": [_sel((1600000000000000000, 1))]},
    "auth_api_v2_write_no_token": {
        "reason": "/api/v2/write exists; without credentials it is refused like /write",
        "answers": [(401, {"error": "unable to parse authentication credentials"})]},
    "auth_write_token": {
        "reason": "Authorization: Token user:password is accepted (1.8; 1.6 refuses it)",
        "answers": [(204, "")], "readback": [_sel((1000, 1))]},
    "auth_write_token_bad_password": {
        "reason": "Token user:password is parsed (1.8), so a wrong password fails as such",
        "answers": [(401, {"error": "authorization failed"})]},
    "auth_query_token_reader_show_rp": {
        "reason": "Authorization: Token user:password is accepted (1.8; 1.6 refuses it)",
        "answers": [(200, RP_AUTOGEN)]},
    "write_unsigned": {
        "reason": "unsigned integers are accepted (InfluxDB OSS 1.x refuses them)",
        "answers": [(204, "")], "readback": [_sel((1000, 1))]},
    "write_one_bad_line": {
        "reason": "dropped=N counts the lines refused (InfluxDB 1.x says dropped=0 for parse "
                  "errors; the issue asks for the count)",
        "answers": [(400, {"error": "partial write: unable to parse 'bad': missing fields "
                                    "dropped=1"})]},
    "write_batch_5000_3_bad": {
        "reason": "dropped=N counts the lines refused (see write_one_bad_line)",
        "answers": [(400, _has_error(lambda e: e.startswith("partial write: unable to parse "
                                                            "'bad line one'")
                                     and e.endswith(" dropped=3")))]},
    "write_type_conflict_in_batch": {
        "reason": "a type conflict inside one batch drops the conflicting points only (1.6 "
                  "refuses the whole batch with a bare 'field type conflict')",
        "answers": [(400, _has_error(lambda e: e.startswith("partial write: field type "
                                                            "conflict: ")))],
        "readback": [_sel((1000, 1))]},
    "write_type_conflict_in_batch_int": {
        "reason": "as write_type_conflict_in_batch",
        "answers": [(400, _has_error(lambda e: e.startswith("partial write: field type "
                                                            "conflict: ")))],
        "readback": [_sel((1000, 1))]},
    "write_type_conflict_in_batch_two_series": {
        "reason": "as write_type_conflict_in_batch",
        "answers": [(400, _has_error(lambda e: e.startswith("partial write: field type "
                                                            "conflict: ")))],
        "readback": [{"results": [{"statement_id": 0, "series": [
            {"name": "m", "columns": ["time", "t", "v"], "values": [[1000, "a", 1]]}]}]}]},
    "write_type_conflict_plus_parse_error": {
        "reason": "the good points are written; the parse errors are reported with the "
                  "count of every point dropped (1.6 refuses all with 'field type conflict')",
        "answers": [(400, _has_error(lambda e: e.startswith("partial write: unable to parse")
                                     and " dropped=" in e))],
        "readback": [_sel((1000, 1))]},
    "write_gzip_inflated_over_max_body": {
        "reason": "the body limit applies to the inflated body too (1.6 only counts the "
                  "compressed bytes, so a gzip bomb gets through)",
        "answers": [(413, _has_error(lambda e: e != ""))], "readback": [EMPTY]},
    "write_consistency_all": {
        "reason": "strata answers 503 when fewer owners than the level acknowledged "
                  "(1.6 OSS has one node and ignores the level); 204 on a healthy cluster",
        "answers": [RECORDED, (503, _has_error(lambda e: e != ""))]},
    "write_consistency_quorum": {
        "reason": "strata answers 503 when fewer owners than the level acknowledged",
        "answers": [RECORDED, (503, _has_error(lambda e: e != ""))]},
    "write_consistency_one": {
        "reason": "strata answers 503 when no owner acknowledged",
        "answers": [RECORDED, (503, _has_error(lambda e: e != ""))]},
    "query_accept_msgpack": {
        "reason": "MessagePack answers are optional: JSON is what every client reads (the "
                  "python client falls back to it by Content-Type)",
        "answers": [RECORDED, (200, RP_AUTOGEN)]},
    "write_error_accept_msgpack": {
        "reason": "MessagePack answers are optional (see query_accept_msgpack)",
        "answers": [RECORDED, (400, {"error": "database is required"})]},
    "query_multi_fail_middle": {
        "reason": "1.6 loses the failing statement's error (later 'not executed' results "
                  "reuse its id and replace it); strata may report each statement",
        "answers": [RECORDED, (200, {"results": [
            {"statement_id": 0},
            {"statement_id": 1, "error": "database not found: {nodb}"},
            {"statement_id": 2, "error": "not executed"},
            {"statement_id": 3, "error": "not executed"}]})]},
    "query_multi_fail_first": {
        "reason": "as query_multi_fail_middle",
        "answers": [RECORDED, (200, {"results": [
            {"statement_id": 0, "error": "database not found: {nodb}"},
            {"statement_id": 1, "error": "not executed"}]})]},
    "query_multi_fail_middle_chunked": {
        "reason": "as query_multi_fail_middle (chunked output)",
        "answers": [RECORDED, (200, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in [
            {"results": [{"statement_id": 0}]},
            {"results": [{"statement_id": 1, "error": "database not found: {nodb}"}]},
            {"results": [{"statement_id": 2, "error": "not executed"}]},
            {"results": [{"statement_id": 3, "error": "not executed"}]}]))]},
}


def norm_version(obj):
    if isinstance(obj, dict):
        return {k: ("<version>" if k == "version" else norm_version(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [norm_version(x) for x in obj]
    return obj


def not_implemented(resp_or_body):
    return "not implemented" in json.dumps(resp_or_body).lower()


class Target:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url if "//" in url else "http://" + url)
        self.host = u.hostname
        self.port = u.port or 80


def body_matches(want, got_body, got_text):
    if want is ANY:
        return True
    if callable(want):
        return want(got_body)
    if isinstance(want, str):
        return want == got_text
    return norm_version(want) == norm_version(got_body)


def allow_set(v):
    return None if v is None else sorted(m.strip() for m in v.split(","))


def compare_headers(want, got):
    diffs = []
    for h in ("Content-Type", "X-Influxdb-Error", "Www-Authenticate"):
        if want.get(h) != got.get(h):
            diffs.append("header %s: got %r, want %r" % (h, got.get(h), want.get(h)))
    # Go lists the allowed methods in map order, which changes between runs.
    if allow_set(want.get("Allow")) != allow_set(got.get("Allow")):
        diffs.append("header Allow: got %r, want %r" % (got.get("Allow"), want.get("Allow")))
    if want.get("X-Influxdb-Version") != got.get("X-Influxdb-Version"):
        diffs.append("header X-Influxdb-Version present: got %r, want %r"
                     % (got.get("X-Influxdb-Version"), want.get("X-Influxdb-Version")))
    if ("X-Influxdb-Build" in want) != ("X-Influxdb-Build" in got):
        diffs.append("header X-Influxdb-Build present: got %r, want %r"
                     % ("X-Influxdb-Build" in got, "X-Influxdb-Build" in want))
    return diffs


def short(x, n=600):
    s = x if isinstance(x, str) else json.dumps(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


class Runner:
    """Counts checks: a case's request is one check, each of its readbacks
    another. A case that cannot run (no --auth-url, auth router not fresh)
    counts as one skipped check."""

    def __init__(self, args):
        self.args = args
        self.passed = self.failed = 0
        self.failed_cases = 0
        self.skipped = []   # (name, why)
        self.deliberate = 0

    def check_request(self, case, got):
        rec = case["response"]
        delib = None if self.args["as_recorded"] else DELIBERATE.get(case["name"])
        diffs = []
        if delib:
            for ans in delib["answers"]:
                if ans == RECORDED:
                    st = rec["status"]
                    body = rec["body_text"] if case.get("raw") else rec["body"]
                    if "body_b64" in rec:
                        if st == got["status"] and got.get("body_b64") == rec["body_b64"]:
                            return []
                        continue
                else:
                    st, body = ans
                if st == got["status"] and body_matches(body, got["body"], got["body_text"]):
                    return []
            return ["deliberate (%s): got %d %s, want one of %s" % (
                delib["reason"], got["status"], short(got["body_text"] or got["body"]),
                [("recorded %d" % rec["status"]) if x == RECORDED else
                 (x[0], "<predicate>" if callable(x[1]) else x[1])
                 for x in delib["answers"]])]
        if got["status"] != rec["status"]:
            diffs.append("status: got %d, want %d" % (got["status"], rec["status"]))
        want = rec["body_text"] if case.get("raw") else rec["body"]
        if "body_b64" in rec:
            if got.get("body_b64") != rec["body_b64"]:
                diffs.append("MessagePack body: got %s, want %s" % (
                    got.get("body_b64") or short(got["body_text"]), rec["body_b64"]))
        elif not body_matches(want, got["body"], got["body_text"]):
            diffs.append("body:\n    got:  %s\n    want: %s" % (
                short(got["body_text"] if case.get("raw") else got["body"]), short(want)))
        if not self.args["no_headers"]:
            diffs += compare_headers(rec["headers"], got["headers"])
        return diffs

    def run_case(self, n, case, tgt):
        """Returns a list of (check, "pass"|"fail"|"skip", detail)."""
        a = self.args
        names = P.case_names(a["prefix"], n)
        names["{admin}"], names["{adminpw}"] = a["admin"]
        basic = "%s:%s" % a["admin"] if case["auth"] else None
        err = P.run_setup(tgt.host, tgt.port, P.subst(case["setup"], names), basic)
        if err:
            return [("setup", "fail", err)]
        resp = P.send_case_request(tgt.host, tgt.port, P.subst(case["request"], names))
        got = P.unsubst(P.record_response(resp), names)
        if case.get("filter_dbs"):
            P.filter_databases(got["body"])
        out = []
        if case.get("query_engine") and not_implemented(got["body"]):
            out.append(("request", "skip", short(got["body"], 200)))
        else:
            diffs = self.check_request(case, got)
            out.append(("request", "fail" if diffs else "pass", "\n  ".join(diffs)))

        delib = None if a["as_recorded"] else DELIBERATE.get(case["name"])
        rb_expect = delib.get("readback") if delib else None
        for i, rb in enumerate(case.get("readback", [])):
            label = "readback %r" % rb["q"]
            if delib and "readback" in delib and rb_expect is None:
                continue
            r = P.subst(rb, names)
            st, body = P.run_query(tgt.host, tgt.port, r["q"], r.get("db"), basic,
                                   r.get("epoch"))
            body = P.unsubst(body, names)
            if case.get("filter_dbs"):
                P.filter_databases(body)
            if not_implemented(body):
                out.append((label, "skip", short(body, 200)))
                continue
            want = rb_expect[i] if rb_expect is not None else rb["response"]["body"]
            want_st = 200 if rb_expect is not None else rb["response"]["status"]
            if st != want_st or norm_version(body) != norm_version(want):
                out.append((label, "fail", "got:  %d %s\n    want: %d %s" % (
                    st, short(body), want_st, short(want))))
            else:
                out.append((label, "pass", ""))
        return out

    def auth_is_fresh(self, tgt):
        st, body = P.run_query(tgt.host, tgt.port, "SHOW USERS")
        return st == 403 and "create admin user first" in json.dumps(body)

    def main(self, cases):
        a = self.args
        plain = Target(a["url"])
        auth = Target(a["auth_url"]) if a["auth_url"] else None
        fresh = None
        no_auth_url = []
        ran = 0
        for n, case in enumerate(cases):
            name = case["name"]
            if a["filter"] and a["filter"] not in name:
                continue
            tgt = plain
            if case["auth"]:
                if auth is None:
                    no_auth_url.append(name)
                    continue
                tgt = auth
                if case.get("fresh_auth"):
                    if fresh is None:
                        fresh = self.auth_is_fresh(auth)
                    if not fresh:
                        self.skipped.append((name, "the auth router already has users"))
                        continue
            ran += 1
            try:
                results = self.run_case(n, case, tgt)
            except (OSError, ValueError, RuntimeError, http.client.HTTPException) as e:
                results = [("request", "fail", "%s: %s" % (type(e).__name__, e))]
            fails = [(c, d) for c, st, d in results if st == "fail"]
            for c, st, d in results:
                if st == "pass":
                    self.passed += 1
                elif st == "fail":
                    self.failed += 1
                else:
                    self.skipped.append((name, "%s: %s" % (c, d)))
            if fails:
                self.failed_cases += 1
                print("FAIL %s" % name)
                for c, d in fails:
                    print("  %s: %s" % (c, d))
            else:
                if name in DELIBERATE and not a["as_recorded"]:
                    self.deliberate += 1
                if a["verbose"]:
                    print("ok   %s" % name)
        for name, why in self.skipped:
            print("SKIPPED %s: %s" % (name, why))
        if no_auth_url:
            print("SKIPPED %d auth cases: no --auth-url" % len(no_auth_url))
        print("http vs InfluxDB %s: %d cases run, %d failed; %d deliberate differences "
              "(%d seen as such)" % (a["version"], ran,
                                     self.failed_cases, len(DELIBERATE), self.deliberate))
        print("%d passed, %d failed, %d skipped" % (
            self.passed, self.failed, len(self.skipped) + len(no_auth_url)))
        return 1 if self.failed else 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    a = {"url": None, "jsonl": os.path.join(here, "influxdb16_http.jsonl"), "auth_url": None,
         "admin": None, "no_headers": False, "as_recorded": False, "filter": None,
         "verbose": False}
    pos = []
    i = 1
    while i < len(argv):
        x = argv[i]
        if x in ("--auth-url", "--auth-admin", "-k"):
            if i + 1 >= len(argv):
                print(__doc__)
                return 2
            key = {"--auth-url": "auth_url", "--auth-admin": "admin", "-k": "filter"}[x]
            a[key] = argv[i + 1]
            i += 2
            continue
        if x == "--no-headers":
            a["no_headers"] = True
        elif x == "--as-recorded":
            a["as_recorded"] = True
        elif x == "-v":
            a["verbose"] = True
        elif x in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            pos.append(x)
        i += 1
    if not pos:
        print(__doc__)
        return 2
    a["url"] = pos[0]
    if len(pos) > 1:
        a["jsonl"] = pos[1]
    with open(a["jsonl"], encoding="utf-8") as f:
        recs = [json.loads(l) for l in f if l.strip()]
    meta = next((r["meta"] for r in recs if "meta" in r), {})
    cases = [r for r in recs if "meta" not in r]
    if a["admin"]:
        user, _, pw = a["admin"].partition(":")
        a["admin"] = (user, pw)
    else:
        a["admin"] = (meta.get("admin", P.ADMIN), meta.get("admin_password", P.ADMIN_PW))
    a["version"] = meta.get("influxdb_version", "1.x")
    # Unique per run: names never meet those of an earlier run on the same cluster.
    t = int(time.time() * 1000) % (36 ** 7)
    digits = ""
    while t:
        t, d = divmod(t, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
    a["prefix"] = "c%s%d_" % (digits, os.getpid() % 100)
    if meta.get("router_args"):
        print("note: the router must run with %s" % " ".join(meta["router_args"]))
    return Runner(a).main(cases)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
