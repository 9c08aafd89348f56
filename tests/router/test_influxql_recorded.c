/* Unit tests of router/influxql's data statements (SELECT, SHOW
 * MEASUREMENTS ... DELETE) against answers recorded from a real InfluxDB
 * 1.6.7: the 400 bodies of its parse errors (without "error parsing
 * query: "), its regexp errors (Go 1.19's regexp/syntax), and the
 * statements it prints in its 403 "not authorized to execute statement
 * '...'" messages. The parser must give the same message, at the same
 * line and character, for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql.h"
#include "testlib.h"

static struct st_iql_query *q;
static struct st_buf err, out;

static void setup(void)
{
    q = NULL;
    st_buf_init(&err);
    st_buf_init(&out);
}

static void teardown(void)
{
    st_iql_free(q);
    q = NULL;
    st_buf_fini(&err);
    st_buf_fini(&out);
}

struct recorded {
    const char *q, *answer;
};

/* Parses @c->q, which must fail with @c->answer. */
static void expect_error(const struct recorded *c)
{
    st_iql_free(q);
    q = NULL;
    st_buf_reset(&err);
    int rv = st_iql_parse(c->q, strlen(c->q), &q, &err);
    ck_assert_msg(rv == ST_EPARSE, "%s: rv %d", c->q, rv);
    ck_assert_msg(strcmp(err.p, c->answer) == 0, "%s:\n got %s\nwant %s", c->q, err.p, c->answer);
    ck_assert_ptr_null(q);
}

/* Parses @c->q, one statement, which must print as @c->answer. */
static void expect_string(const struct recorded *c)
{
    st_iql_free(q);
    q = NULL;
    st_buf_reset(&err);
    st_buf_reset(&out);
    int rv = st_iql_parse(c->q, strlen(c->q), &q, &err);
    ck_assert_msg(rv == ST_OK, "%s: %s", c->q, err.p ? err.p : "");
    ck_assert_uint_eq(q->n, 1);
    ck_assert_int_eq(st_iql_stmt_string(&q->stmts[0], &out), ST_OK);
    ck_assert_msg(strcmp(out.p, c->answer) == 0, "%s:\n got %s\nwant %s", c->q, out.p, c->answer);
}

/* Parse errors of the data statements. */
static const struct recorded ERRORS[] = {
    {"SELECT", "found EOF, expected identifier, string, number, bool at line 1, char 8"},
    {"SELECT ;", "found ;, expected identifier, string, number, bool at line 1, char 8"},
    {"SELECT FROM x", "found FROM, expected identifier, string, number, bool at line 1, char 8"},
    {"SELECT a", "found EOF, expected FROM at line 1, char 10"},
    {"SELECT a FROM", "found EOF, expected identifier at line 1, char 15"},
    {"SELECT a FROM m WHERE a IN b", "found IN, expected ; at line 1, char 25"},
    {"SELECT a = 1 FROM m", "invalid operator = in SELECT clause at line 1, char 8; operator is "
                            "intended for WHERE clause"},
    {"SELECT (a = 1) + (b < 2) FROM m", "invalid operator < in SELECT clause at line 1, char 8; "
                                        "operator is intended for WHERE clause"},
    {"SELECT count(a > 1) FROM m", "invalid operator > in SELECT clause at line 1, char 8; "
                                   "operator is intended for WHERE clause"},
    {"SELECT a IN b FROM m", "found IN, expected FROM at line 1, char 10"},
    {"SELECT $x FROM m", "missing parameter: x"},
    {"SELECT $ FROM m", "empty bound parameter"},
    {"SELECT 1x FROM m", "invalid duration"},
    {"SELECT 9999999999h FROM m",
     "overflowed duration 9999999999h: choose a smaller duration or INF"},
    {"SELECT a FROM /x", "bad regex:  at line 1, char 14"},
    {"SELECT a FROM /x(/", "error parsing regexp: missing closing ): `x(` at line 1, char 14"},
    {"SELECT a FROM  /x\\q/",
     "error parsing regexp: invalid escape sequence: `\\q` at line 1, char 15"},
    {"SELECT a FROM m GROUP BY time(1m) fill(1x)", "invalid duration"},
    {"SELECT a FROM m fill(x)", "expected number argument in fill()"},
    {"SELECT a FROM m fill", "fill must be a function call"},
    {"SELECT a FROM m ORDER BY a", "only ORDER BY time supported at this time"},
    {"SELECT a FROM m ORDER BY time DESC, a", "only ORDER BY time supported at this time"},
    {"SELECT a FROM m tz(1)", "expected string argument in tz()"},
    {"SELECT a FROM m tz('X/Y')", "unable to find time zone X/Y"},
    {"SELECT a FROM a.b.c.d", "too many segments in \"a\".\"b\".\"c\".d at line 1, char 1"},
    {"SELECT a FROM a..b.c", "too many segments in \"a\"..\"b\".c at line 1, char 1"},
    {"SELECT a FROM a...b", "too many segments in \"a\"...b at line 1, char 1"},
    {"SELECT a FROM \"\".b.c.d", "too many segments in \"\".\"b\".\"c\".d at line 1, char 1"},
    {"DELETE FROM a.b.c", "retention policy not supported at line 1, char 1"},
    {"DROP SERIES FROM b.c", "retention policy not supported at line 1, char 1"},
    {"DELETE FROM a..c", "database not supported at line 1, char 1"},
    {"DELETE WHERE", "found EOF, expected identifier, string, number, bool at line 1, char 14"},
    {"DELETE", "found EOF, expected FROM, WHERE at line 1, char 8"},
    {"DELETE x", "found x, expected FROM, WHERE at line 1, char 8"},
    {"DROP SERIES", "found EOF, expected FROM, WHERE at line 1, char 13"},
    {"DROP SERIES WHERE",
     "found EOF, expected identifier, string, number, bool at line 1, char 19"},
    {"DROP SERIES FROM a..b, c.d", "retention policy not supported at line 1, char 1"},
    {"DROP SERIES FROM c.d, a..b", "database not supported at line 1, char 1"},
    {"SHOW MEASUREMENTS ON *", "found *, expected identifier at line 1, char 22"},
    {"SHOW MEASUREMENTS ON db.rp", "found ., expected ; at line 1, char 24"},
    {"SHOW MEASUREMENTS ORDER BY a", "only ORDER BY time supported at this time"},
    {"SHOW TAG KEYS WITH KEY = a", "found WITH, expected ; at line 1, char 15"},
    {"SHOW FIELD KEYS ON 1", "found 1, expected identifier at line 1, char 20"},
    {"SHOW FIELD KEYS ON", "found EOF, expected identifier at line 1, char 20"},
    {"SHOW TAG VALUES", "found EOF, expected WITH at line 1, char 17"},
    {"SHOW TAG VALUES WITH", "found EOF, expected KEY at line 1, char 22"},
    {"SHOW TAG VALUES WITH KEY", "found EOF, expected IN, =, =~ at line 1, char 26"},
    {"SHOW TAG VALUES WITH KEY IN", "found EOF, expected ( at line 1, char 29"},
    {"SHOW TAG VALUES WITH KEY =~ a", "found a, expected regex at line 1, char 29"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT", "found EOF, expected =, =~ at line 1, char 36"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT != x", "found !=, expected =, =~ at line 1, char 36"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT = (SELECT a FROM b)",
     "found (, expected identifier at line 1, char 38"},
    {"SHOW SERIES FROM (SELECT b FROM c)", "found (, expected identifier at line 1, char 18"},
    {"SELECT a INTO :MEASUREMENT FROM c", "found :, expected identifier at line 1, char 15"},
    {"SELECT a INTO b.: FROM c", "found FROM, expected MEASUREMENT at line 1, char 19"},
    {"SELECT a INTO b.:x FROM c", "found x, expected MEASUREMENT at line 1, char 18"},
    {"SELECT a::foo FROM m", "found foo, expected float, integer, unsigned, string, boolean, "
                             "field, tag at line 1, char 11"},
    {"SELECT a:: FROM m",
     "found  , expected float, integer, string, boolean, field, tag at line 1, char 11"},
    {"SELECT *::float FROM m", "found float, expected field, tag at line 1, char 11"},
    {"SELECT * :: field FROM m", "found ::, expected FROM at line 1, char 10"},
    {"SELECT a :: float FROM m", "found ::, expected FROM at line 1, char 10"},
    {"SELECT -'a' FROM m", "found a, expected identifier, number, duration, ( at line 1, char 8"},
    {"SELECT - FROM m", "found FROM, expected identifier, number, duration, ( at line 1, char 10"},
    {"SELECT -9223372036854775809 FROM m", "constant -9223372036854775809 underflows int64"},
    {"SELECT 18446744073709551616 FROM m", "unable to parse integer at line 1, char 8"},
    {"SELECT distinct FROM m", "found FROM, expected identifier at line 1, char 17"},
    {"SELECT distinct 1 FROM m", "found 1, expected identifier at line 1, char 17"},
    {"SELECT distinct;", "found ;, expected (, identifier at line 1, char 16"},
    {"SELECT a AS FROM m", "found FROM, expected identifier at line 1, char 13"},
    {"SELECT a AS b c FROM m", "found c, expected FROM at line 1, char 15"},
    {"SELECT a b FROM m", "found b, expected FROM at line 1, char 10"},
    {"SELECT (a FROM m", "found FROM, expected ) at line 1, char 11"},
    {"SELECT count( FROM m",
     "found FROM, expected identifier, string, number, bool at line 1, char 15"},
    {"SELECT count(a FROM m", "found FROM, expected ) at line 1, char 16"},
    {"SELECT count(a,) FROM m",
     "found ), expected identifier, string, number, bool at line 1, char 16"},
    {"SELECT a FROM m WHERE a =~ b", "found b, expected regex at line 1, char 28"},
    {"SELECT a FROM m GROUP", "found EOF, expected BY at line 1, char 23"},
    {"SELECT a FROM m GROUP x", "found x, expected BY at line 1, char 23"},
    {"SELECT a FROM m GROUP BY",
     "found EOF, expected identifier, string, number, bool at line 1, char 26"},
    {"SELECT a FROM m GROUP BY a b", "found b, expected ; at line 1, char 28"},
    {"SELECT a FROM m GROUP BY a,",
     "found EOF, expected identifier, string, number, bool at line 1, char 29"},
    {"SELECT a FROM m GROUP BY /x/ , b", "found ,, expected ; at line 1, char 30"},
    {"SELECT a FROM m fill()", "fill requires an argument, e.g.: 0, null, none, previous, linear"},
    {"SELECT a FROM m FILL(Null)", "expected number argument in fill()"},
    {"SELECT a FROM m fill(18446744073709551615)", "expected number argument in fill()"},
    {"SELECT a FROM m fill(1) fill(2)", "found fill, expected ; at line 1, char 25"},
    {"SELECT a FROM m ORDER", "found EOF, expected BY at line 1, char 23"},
    {"SELECT a FROM m ORDER time", "found time, expected BY at line 1, char 23"},
    {"SELECT a FROM m ORDER BY", "found EOF, expected identifier, ASC, DESC at line 1, char 26"},
    {"SELECT a FROM m ORDER BY ASC, time", "only ORDER BY time supported at this time"},
    {"SELECT a FROM m ORDER BY Time", "only ORDER BY time supported at this time"},
    {"SELECT a FROM m ORDER BY ASC, 1", "found 1, expected identifier at line 1, char 31"},
    {"SELECT a FROM m LIMIT", "found EOF, expected integer at line 1, char 23"},
    {"SELECT a FROM m LIMIT -1", "found -, expected integer at line 1, char 23"},
    {"SELECT a FROM m LIMIT 1.5", "found 1.5, expected integer at line 1, char 23"},
    {"SELECT a FROM m OFFSET 1 LIMIT 1", "found LIMIT, expected ; at line 1, char 26"},
    {"SELECT a FROM m SLIMIT 1 SOFFSET 2 LIMIT 1", "found LIMIT, expected ; at line 1, char 36"},
    {"SELECT a FROM m tz", "tz must be a function call"},
    {"SELECT a FROM m tz()", "tz requires exactly one argument"},
    {"SELECT a FROM m tz('UTC') x", "found x, expected ; at line 1, char 27"},
    {"SELECT a FROM m tz('utc')", "unable to find time zone utc"},
    {"SELECT a FROM m tz('Europe')", "unable to find time zone Europe"},
    {"SELECT a FROM m tz('../etc')", "unable to find time zone ../etc"},
    {"SELECT a FROM m tz('zone.tab')", "unable to find time zone zone.tab"},
    {"SELECT a FROM m TZ(\"x\")", "expected string argument in tz()"},
    {"SELECT a FROM m tz('a', 'b')", "tz requires exactly one argument"},
    {"SELECT a .b FROM m", "found ., expected FROM at line 1, char 10"},
    {"SELECT a./b/ FROM m",
     "found FROM, expected identifier, string, number, bool at line 1, char 14"},
    {"SELECT a.:x FROM m", "found :, expected FROM at line 1, char 10"},
    {"SELECT 1e300 FROM m", "invalid duration"},
    {"SELECT 0.1e FROM m", "found e, expected FROM at line 1, char 11"},
    {"SELECT a AS \"b c\", b AS select FROM m",
     "found SELECT, expected identifier at line 1, char 25"},
    {"SELECT a FROM (SELECT b FROM c", "found EOF, expected ) at line 1, char 32"},
    {"SELECT a FROM (SELECT b FROM c) x", "found x, expected ; at line 1, char 33"},
    {"SELECT a FROM (a)", "found a, expected SELECT at line 1, char 16"},
    {"SELECT a FROM m SELECT b FROM n", "found SELECT, expected ; at line 1, char 17"},
    {"SELECT a FROM m WHERE a = --1",
     "found EOF, expected identifier, string, number, bool at line 1, char 31"},
    {"SELECT a FROM m WHERE a = +'x'",
     "found x, expected identifier, number, duration, ( at line 1, char 27"},
    {"SELECT *:: FROM m", "found  , expected field, tag at line 1, char 11"},
    {"SELECT * ::field FROM m", "found ::, expected FROM at line 1, char 10"},
    {"SELECT a, FROM m",
     "found FROM, expected identifier, string, number, bool at line 1, char 11"},
    {"SELECT a,, b FROM m",
     "found ,, expected identifier, string, number, bool at line 1, char 10"},
    {"SELECT a AS b /*x*/, c FROM m", "found ,, expected FROM at line 1, char 20"},
    {"SELECT x FROM a,/b/", "found ,, expected regex at line 1, char 16"},
    {"SELECT x FROM a /b/", "found  , expected regex at line 1, char 16"},
    {"SELECT x FROM a.b.c./d/", "found /, expected ; at line 1, char 21"},
    {"SELECT x FROM a ./b/", "found ., expected ; at line 1, char 17"},
    {"SELECT x FROM /a/./b/", "found ., expected ; at line 1, char 18"},
    {"SELECT count(/a/ b) FROM m", "found b, expected ) at line 1, char 18"},
    {"SELECT count(a)) FROM m", "found ), expected FROM at line 1, char 16"},
    {"SELECT count(a)(b) FROM m", "found (, expected FROM at line 1, char 16"},
    {"SELECT count ( a ) FROM m", "found (, expected FROM at line 1, char 14"},
    {"SELECT a FROM m WHERE a =~ /x", "bad regex:  at line 1, char 27"},
    {"SELECT a FROM m WHERE a = /x/",
     "found /, expected identifier, string, number, bool at line 1, char 27"},
    {"SELECT a FROM m WHERE /x/ = a",
     "found /, expected identifier, string, number, bool at line 1, char 23"},
    {"SELECT a FROM m WHERE a =~ $x", "found $x, expected regex at line 1, char 28"},
    {"SELECT a FROM m WHERE a =~ 'x'", "found x, expected regex at line 1, char 27"},
    {"SELECT a FROM m GROUP BY a AS b", "found AS, expected ; at line 1, char 28"},
    {"SELECT a FROM m SOFFSET 1 SLIMIT 1", "found SLIMIT, expected ; at line 1, char 27"},
    {"SELECT a FROM m fill(none) GROUP BY b", "found GROUP, expected ; at line 1, char 28"},
    {"SELECT a FROM m WHERE a GROUP BY b WHERE c", "found WHERE, expected ; at line 1, char 36"},
    {"SELECT a FROM m LIMIT 1 LIMIT 2", "found LIMIT, expected ; at line 1, char 25"},
    {"SELECT a FROM m tz('UTC') tz('UTC')", "found tz, expected ; at line 1, char 27"},
    {"SELECT a FROM m LIMIT 1h", "found 1h, expected integer at line 1, char 23"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT =", "found EOF, expected identifier at line 1, char 38"},
    {"SHOW MEASUREMENTS WITH", "found EOF, expected MEASUREMENT at line 1, char 24"},
    {"SHOW MEASUREMENTS WITH x", "found x, expected MEASUREMENT at line 1, char 24"},
    {"SHOW MEASUREMENTS ON", "found EOF, expected identifier at line 1, char 22"},
    {"SHOW MEASUREMENTS ON db x", "found x, expected ; at line 1, char 25"},
    {"SHOW MEASUREMENTS WHERE",
     "found EOF, expected identifier, string, number, bool at line 1, char 25"},
    {"SHOW TAG KEYS FROM", "found EOF, expected identifier at line 1, char 20"},
    {"SHOW TAG KEYS FROM a WHERE",
     "found EOF, expected identifier, string, number, bool at line 1, char 28"},
    {"SHOW TAG KEYS SLIMIT 1 LIMIT 1", "found LIMIT, expected ; at line 1, char 24"},
    {"SHOW TAG KEYS ON db FROM", "found EOF, expected identifier at line 1, char 26"},
    {"SHOW TAG VALUES WITH KEY IN ()", "found ), expected identifier at line 1, char 30"},
    {"SHOW TAG VALUES WITH KEY IN (a b)", "found b, expected ) at line 1, char 32"},
    {"SHOW TAG VALUES WITH KEY IN (a,", "found EOF, expected identifier at line 1, char 32"},
    {"SHOW TAG VALUES WITH KEY IN (a", "found EOF, expected ) at line 1, char 32"},
    {"SHOW TAG VALUES WITH KEY IN a", "found a, expected ( at line 1, char 29"},
    {"SHOW TAG VALUES WITH KEY != a SLIMIT 1", "found SLIMIT, expected ; at line 1, char 31"},
    {"SHOW TAG VALUES WITH KEY < a", "found <, expected IN, =, =~ at line 1, char 26"},
    {"SHOW TAG VALUES WITH KEY = 'a'", "found a, expected identifier at line 1, char 27"},
    {"SHOW TAG VALUES WITH KEY =", "found EOF, expected identifier at line 1, char 27"},
    {"SHOW TAG VALUES FROM m", "found EOF, expected WITH at line 1, char 24"},
    {"SHOW TAG VALUES ON db", "found EOF, expected WITH at line 1, char 23"},
    {"SHOW TAG VALUES EXACT", "found EOF, expected CARDINALITY at line 1, char 23"},
    {"SHOW TAG VALUES EXACT x", "found x, expected CARDINALITY at line 1, char 23"},
    {"SHOW FIELD KEYS WHERE a = 1", "found WHERE, expected ; at line 1, char 17"},
    {"SHOW SERIES SLIMIT 1", "found SLIMIT, expected ; at line 1, char 13"},
    {"SHOW SERIES GROUP BY a", "found GROUP, expected ; at line 1, char 13"},
    {"SHOW SHARDS x", "found x, expected ; at line 1, char 13"},
    {"SHOW SHARD GROUPS x", "found x, expected ; at line 1, char 19"},
    {"DROP MEASUREMENT a.b", "found ., expected ; at line 1, char 19"},
    {"DROP MEASUREMENT", "found EOF, expected identifier at line 1, char 18"},
    {"DROP MEASUREMENT select", "found SELECT, expected identifier at line 1, char 18"},
    {"DROP SERIES FROM", "found EOF, expected identifier at line 1, char 18"},
    {"DROP SERIES FROM m WHERE",
     "found EOF, expected identifier, string, number, bool at line 1, char 26"},
    {"DROP SERIES FROM m x", "found x, expected ; at line 1, char 20"},
    {"DROP SERIES FROM a./x/", "retention policy not supported at line 1, char 1"},
    {"DELETE FROM (SELECT a FROM b)", "found (, expected identifier at line 1, char 13"},
    {"DELETE FROM m ORDER BY time", "found ORDER, expected ; at line 1, char 15"},
    {"DELETE FROM a./x/", "retention policy not supported at line 1, char 1"},
    {"DELETE FROM ..m", "found ., expected identifier at line 1, char 13"},
    {"EXPLAIN SELECT a FROM", "found EOF, expected identifier at line 1, char 23"},
    {"EXPLAIN VERBOSE SELECT a FROM m", "found VERBOSE, expected SELECT at line 1, char 9"},
    {"EXPLAIN SELECT a FROM m WHERE",
     "found EOF, expected identifier, string, number, bool at line 1, char 31"},
    {"SELECT\na\nFROM\nm\nWHERE",
     "found EOF, expected identifier, string, number, bool at line 5, char 7"},
    {"SELECT a\nFROM /x\ny/", "bad regex:  at line 2, char 5"},
    {"SELECT a FROM m WHERE a =~ \n /x(/",
     "error parsing regexp: missing closing ): `x(` at line 2, char 1"},
    {"SELECT a FROM m WHERE\n  a = 1 x", "found x, expected ; at line 2, char 9"},
    {"SELECT a FROM m WHERE b = 'abc",
     "found abc, expected identifier, string, number, bool at line 1, char 26"},
    {"SELECT a FROM m WHERE b = \"abc",
     "found abc, expected identifier, string, number, bool at line 1, char 26"},
    {"SELECT a FROM m WHERE b = 'a\\qb'",
     "found \\q, expected identifier, string, number, bool at line 1, char 30"},
    {"SELECT 'a\\qb' FROM m",
     "found \\q, expected identifier, string, number, bool at line 1, char 11"},
    {"SELECT a FROM m WHERE b = !",
     "found !, expected identifier, string, number, bool at line 1, char 27"},
    {"SELECT a FROM m WHERE b ! c", "found !, expected ; at line 1, char 25"},
    {"SELECT a FROM m WHERE b = #",
     "found #, expected identifier, string, number, bool at line 1, char 27"},
    {"SELECT a FROM m WHERE b = .",
     "found ., expected identifier, string, number, bool at line 1, char 27"},
    {"SELECT a FROM m WHERE b = 1.5.5", "found .5, expected ; at line 1, char 30"},
    {"SELECT a FROM m WHERE b = 10\302\265s", "invalid duration"},
    {"SELECT a FROM m WHERE b = 1h1", "invalid duration"},
    {"SELECT a FROM m WHERE b = $", "empty bound parameter"},
    {"SELECT a FROM m WHERE b = $\"a b\"", "missing parameter: a b"},
    {"SELECT a FROM m WHERE b = $1", "missing parameter: 1"},
    {"SELECT a FROM m WHERE b = $a.b", "missing parameter: a"},
    {"SELECT $a FROM /x/", "missing parameter: a"},
    {"SELECT distinct/**/a FROM m", "found , expected (, identifier at line 1, char 16"},
    {"SELECT distinct a::float FROM m", "found ::, expected FROM at line 1, char 18"},
    {"SELECT distinct a.b FROM m", "found ., expected FROM at line 1, char 18"},
    {"SELECT a FROM m WHERE a = 1 AND",
     "found EOF, expected identifier, string, number, bool at line 1, char 33"},
    {"SELECT a FROM m WHERE a = 1 AND OR b",
     "found OR, expected identifier, string, number, bool at line 1, char 33"},
    {"SELECT a FROM m WHERE a IN (1, 2)", "found IN, expected ; at line 1, char 25"},
    {"SELECT a FROM m WHERE NOT a", "found a, expected ; at line 1, char 27"},
    {"SELECT a FROM m WHERE ()",
     "found ), expected identifier, string, number, bool at line 1, char 24"},
    {"SELECT a FROM m WHERE (a = 1", "found EOF, expected ) at line 1, char 29"},
    {"SELECT a FROM m WHERE a =",
     "found EOF, expected identifier, string, number, bool at line 1, char 26"},
    {"SELECT a FROM m WHERE a = b c", "found c, expected ; at line 1, char 29"},
    {"SELECT a FROM m WHERE a = b, c", "found ,, expected ; at line 1, char 28"},
    {"SELECT a FROM m WHERE a.b.c.d = 1",
     "too many segments in \"a\".\"b\".\"c\".d at line 1, char 1"},
    {"SELECT a FROM db.rp.m.x", "too many segments in \"db\".\"rp\".\"m\".x at line 1, char 1"},
    {"SELECT a FROM db..", "found EOF, expected identifier at line 1, char 20"},
    {"SELECT a FROM db.", "found EOF, expected identifier at line 1, char 19"},
    {"SELECT a FROM .m", "found ., expected identifier at line 1, char 15"},
    {"SELECT a FROM ..m", "found ., expected identifier at line 1, char 15"},
    {"SELECT a FROM m.", "found EOF, expected identifier at line 1, char 18"},
    {"SELECT a FROM m..", "found EOF, expected identifier at line 1, char 19"},
    {"SELECT a FROM m...", "found EOF, expected identifier at line 1, char 20"},
    {"SELECT a FROM select", "found SELECT, expected identifier at line 1, char 15"},
    {"SELECT a FROM 1", "found 1, expected identifier at line 1, char 15"},
    {"SELECT a FROM 'm'", "found m, expected identifier at line 1, char 14"},
    {"SELECT a FROM m,,n", "found ,, expected identifier at line 1, char 17"},
    {"SELECT a FROM m /* x", "found  , expected regex at line 1, char 16"},
    {"SELECT count(/* x */ a) FROM m",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 13"},
    {"SELECT count(/*x*//a/) FROM m",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 13"},
    {"SELECT a::/**/float FROM m",
     "found , expected float, integer, string, boolean, field, tag at line 1, char 11"},
    {"SELECT a/**/::float FROM m", "found ::, expected FROM at line 1, char 13"},
    {"SELECT * /**/::field FROM m", "found ::, expected FROM at line 1, char 14"},
    {"SELECT *::/**/field FROM m", "found , expected field, tag at line 1, char 11"},
    {"SELECT a FROM m\nWHERE a = 1\nGROUP BY b fill(1x)", "invalid duration"},
};

/* Regular expressions InfluxDB refuses (Go's regexp.Compile) ... */
static const struct recorded REGEX_ERRORS[] = {
    {"SELECT a FROM /\\p{Han Hangul}/",
     "error parsing regexp: invalid character class range: `\\p{Han Hangul}` at line 1, char 14"},
    {"SELECT a FROM /a)/", "error parsing regexp: unexpected ): `a)` at line 1, char 14"},
    {"SELECT a FROM /\\p{Vithkuqi}/",
     "error parsing regexp: invalid character class range: `\\p{Vithkuqi}` at line 1, char 14"},
    {"SELECT a FROM /\\p{Cn}/",
     "error parsing regexp: invalid character class range: `\\p{Cn}` at line 1, char 14"},
    {"SELECT a FROM /\\p/",
     "error parsing regexp: invalid character class range: `\\p` at line 1, char 14"},
    {"SELECT a FROM /\\pX/",
     "error parsing regexp: invalid character class range: `\\pX` at line 1, char 14"},
    {"SELECT a FROM /\\p{/",
     "error parsing regexp: invalid character class range: `\\p{` at line 1, char 14"},
    {"SELECT a FROM /\\p{L/",
     "error parsing regexp: invalid character class range: `\\p{L` at line 1, char 14"},
    {"SELECT a FROM /a**/",
     "error parsing regexp: invalid nested repetition operator: `**` at line 1, char 14"},
    {"SELECT a FROM /a*?*/",
     "error parsing regexp: invalid nested repetition operator: `*?*` at line 1, char 14"},
    {"SELECT a FROM /a+*/",
     "error parsing regexp: invalid nested repetition operator: `+*` at line 1, char 14"},
    {"SELECT a FROM /a{2}{3}/",
     "error parsing regexp: invalid nested repetition operator: `{2}{3}` at line 1, char 14"},
    {"SELECT a FROM /a{2}*/",
     "error parsing regexp: invalid nested repetition operator: `{2}*` at line 1, char 14"},
    {"SELECT a FROM /a*{2}/",
     "error parsing regexp: invalid nested repetition operator: `*{2}` at line 1, char 14"},
    {"SELECT a FROM /(?P<>x)/",
     "error parsing regexp: invalid named capture: `(?P<>` at line 1, char 14"},
    {"SELECT a FROM /(?P<n>x)(?P=n)/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?P` at line 1, char 14"},
    {"SELECT a FROM /(?P<n x>y)/",
     "error parsing regexp: invalid named capture: `(?P<n x>` at line 1, char 14"},
    {"SELECT a FROM /(?P<n/",
     "error parsing regexp: invalid named capture: `(?P<n` at line 1, char 14"},
    {"SELECT a FROM /(?P</",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?P` at line 1, char 14"},
    {"SELECT a FROM /(?P>x)/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?P` at line 1, char 14"},
    {"SELECT a FROM /x{1001}/",
     "error parsing regexp: invalid repeat count: `{1001}` at line 1, char 14"},
    {"SELECT a FROM /x{2,1}/",
     "error parsing regexp: invalid repeat count: `{2,1}` at line 1, char 14"},
    {"SELECT a FROM /x{1,1001}/",
     "error parsing regexp: invalid repeat count: `{1,1001}` at line 1, char 14"},
    {"SELECT a FROM /{2}/",
     "error parsing regexp: missing argument to repetition operator: `{2}` at line 1, char 14"},
    {"SELECT a FROM /(x{10}){200}/",
     "error parsing regexp: invalid repeat count: `{200}` at line 1, char 14"},
    {"SELECT a FROM /((x{10}){10}){11}/",
     "error parsing regexp: invalid repeat count: `{11}` at line 1, char 14"},
    {"SELECT a FROM /(x{1000}){0,2}/",
     "error parsing regexp: invalid repeat count: `{0,2}` at line 1, char 14"},
    {"SELECT a FROM /(?:x{500}){3}/",
     "error parsing regexp: invalid repeat count: `{3}` at line 1, char 14"},
    {"SELECT a FROM /x{999999999999}/",
     "error parsing regexp: invalid repeat count: `{999999999999}` at line 1, char 14"},
    {"SELECT a FROM /\\\\/", "bad regex:  at line 1, char 14"},
    {"SELECT a FROM /[[:foo:]]/",
     "error parsing regexp: invalid character class range: `[:foo:]` at line 1, char 14"},
    {"SELECT a FROM /[z-a]/",
     "error parsing regexp: invalid character class range: `z-a` at line 1, char 14"},
    {"SELECT a FROM /[a/", "error parsing regexp: missing closing ]: `[a` at line 1, char 14"},
    {"SELECT a FROM /[]/", "error parsing regexp: missing closing ]: `[]` at line 1, char 14"},
    {"SELECT a FROM /[^]/", "error parsing regexp: missing closing ]: `[^]` at line 1, char 14"},
    {"SELECT a FROM /[^/", "error parsing regexp: missing closing ]: `[^` at line 1, char 14"},
    {"SELECT a FROM /[\\b]/",
     "error parsing regexp: invalid escape sequence: `\\b` at line 1, char 14"},
    {"SELECT a FROM /[a-\\d]/",
     "error parsing regexp: invalid escape sequence: `\\d` at line 1, char 14"},
    {"SELECT a FROM /[\\p{Foo}]/",
     "error parsing regexp: invalid character class range: `\\p{Foo}` at line 1, char 14"},
    {"SELECT a FROM /(?i)*/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /a|*/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /|*/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /(*)/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /(?:*)/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /(?x)/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?x` at line 1, char 14"},
    {"SELECT a FROM /(?/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?` at line 1, char 14"},
    {"SELECT a FROM /(?i/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?i` at line 1, char 14"},
    {"SELECT a FROM /(?-)/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?-)` at line 1, char 14"},
    {"SELECT a FROM /(?i-)a/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)` at line 1, char 14"},
    {"SELECT a FROM /(?--i)a/",
     "error parsing regexp: invalid or unsupported Perl syntax: `(?--` at line 1, char 14"},
    {"SELECT a FROM /\\8/",
     "error parsing regexp: invalid escape sequence: `\\8` at line 1, char 14"},
    {"SELECT a FROM /\\1/",
     "error parsing regexp: invalid escape sequence: `\\1` at line 1, char 14"},
    {"SELECT a FROM /\\x{110000}/",
     "error parsing regexp: invalid escape sequence: `\\x{110000` at line 1, char 14"},
    {"SELECT a FROM /\\x{}/",
     "error parsing regexp: invalid escape sequence: `\\x{}` at line 1, char 14"},
    {"SELECT a FROM /\\x{g}/",
     "error parsing regexp: invalid escape sequence: `\\x{g` at line 1, char 14"},
    {"SELECT a FROM /\\x4/",
     "error parsing regexp: invalid escape sequence: `\\x4` at line 1, char 14"},
    {"SELECT a FROM /\\x4g/",
     "error parsing regexp: invalid escape sequence: `\\x4g` at line 1, char 14"},
    {"SELECT a FROM /\\xg4/",
     "error parsing regexp: invalid escape sequence: `\\xg4` at line 1, char 14"},
    {"SELECT a FROM /\\x/",
     "error parsing regexp: invalid escape sequence: `\\x` at line 1, char 14"},
    {"SELECT a FROM /\\C/",
     "error parsing regexp: invalid escape sequence: `\\C` at line 1, char 14"},
    {"SELECT a FROM /\\Q\\E*/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /\\\303\251/",
     "error parsing regexp: invalid escape sequence: `\\\303\251` at line 1, char 14"},
    {"SELECT a FROM /\\e/",
     "error parsing regexp: invalid escape sequence: `\\e` at line 1, char 14"},
    {"SELECT a FROM /a)b(/", "error parsing regexp: unexpected ): `a)b(` at line 1, char 14"},
    {"SELECT a FROM /((a)/", "error parsing regexp: missing closing ): `((a)` at line 1, char 14"},
    {"SELECT a FROM /(a))/", "error parsing regexp: unexpected ): `(a))` at line 1, char 14"},
    {"SELECT a FROM /ab|*/",
     "error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14"},
    {"SELECT a FROM /a(/", "error parsing regexp: missing closing ): `a(` at line 1, char 14"},
    {"SELECT a FROM /)/", "error parsing regexp: unexpected ): `)` at line 1, char 14"},
};

/* ... and some it takes, as it prints them back. */
static const struct recorded REGEX_OK[] = {
    {"SELECT a FROM /\\p{Dogra}/", "SELECT a FROM /\\p{Dogra}/"},
    {"SELECT a FROM /\\p{Adlam}/", "SELECT a FROM /\\p{Adlam}/"},
    {"SELECT a FROM /\\p{Elymaic}/", "SELECT a FROM /\\p{Elymaic}/"},
    {"SELECT a FROM /\\p{Yezidi}/", "SELECT a FROM /\\p{Yezidi}/"},
    {"SELECT a FROM /\\p{Greek}/", "SELECT a FROM /\\p{Greek}/"},
    {"SELECT a FROM /\\pL/", "SELECT a FROM /\\pL/"},
    {"SELECT a FROM /\\PL/", "SELECT a FROM /\\PL/"},
    {"SELECT a FROM /\\p{^Greek}/", "SELECT a FROM /\\p{^Greek}/"},
    {"SELECT a FROM /\\P{^L}/", "SELECT a FROM /\\P{^L}/"},
    {"SELECT a FROM /a?\?/", "SELECT a FROM /a?\?/"},
    {"SELECT a FROM /(?P<n_1>x)/", "SELECT a FROM /(?P<n_1>x)/"},
    {"SELECT a FROM /x{1000}/", "SELECT a FROM /x{1000}/"},
    {"SELECT a FROM /x{0,}/", "SELECT a FROM /x{0,}/"},
    {"SELECT a FROM /x{,5}/", "SELECT a FROM /x{,5}/"},
    {"SELECT a FROM /x{01}/", "SELECT a FROM /x{01}/"},
    {"SELECT a FROM /x{1/", "SELECT a FROM /x{1/"},
    {"SELECT a FROM /x{a}/", "SELECT a FROM /x{a}/"},
    {"SELECT a FROM /{/", "SELECT a FROM /{/"},
    {"SELECT a FROM /(x{10}){100}/", "SELECT a FROM /(x{10}){100}/"},
    {"SELECT a FROM /((x{10}){10}){10}/", "SELECT a FROM /((x{10}){10}){10}/"},
    {"SELECT a FROM /(x{1000}){1}/", "SELECT a FROM /(x{1000}){1}/"},
    {"SELECT a FROM /(x{1000}){0}/", "SELECT a FROM /(x{1000}){0}/"},
    {"SELECT a FROM /(?:x{500}){2}/", "SELECT a FROM /(?:x{500}){2}/"},
    {"SELECT a FROM /[[:alpha:]]/", "SELECT a FROM /[[:alpha:]]/"},
    {"SELECT a FROM /[[:^alpha:]\\pN]/", "SELECT a FROM /[[:^alpha:]\\pN]/"},
    {"SELECT a FROM /[a-z]/", "SELECT a FROM /[a-z]/"},
    {"SELECT a FROM /[]a]/", "SELECT a FROM /[]a]/"},
    {"SELECT a FROM /[\\d-z]/", "SELECT a FROM /[\\d-z]/"},
    {"SELECT a FROM /[[:alpha:]-z]/", "SELECT a FROM /[[:alpha:]-z]/"},
    {"SELECT a FROM /(?i)/", "SELECT a FROM /(?i)/"},
    {"SELECT a FROM /(?i:a)/", "SELECT a FROM /(?i:a)/"},
    {"SELECT a FROM /(?i-m)a/", "SELECT a FROM /(?i-m)a/"},
    {"SELECT a FROM /(?ims-U:a)/", "SELECT a FROM /(?ims-U:a)/"},
    {"SELECT a FROM /\\12/", "SELECT a FROM /\\12/"},
    {"SELECT a FROM /\\0/", "SELECT a FROM /\\0/"},
    {"SELECT a FROM /\\08/", "SELECT a FROM /\\08/"},
    {"SELECT a FROM /\\x{10FFFF}/", "SELECT a FROM /\\x{10FFFF}/"},
    {"SELECT a FROM /\\x41/", "SELECT a FROM /\\x41/"},
    {"SELECT a FROM /\\Q.*\\E+/", "SELECT a FROM /\\Q.*\\E+/"},
    {"SELECT a FROM /\\Qa.b/", "SELECT a FROM /\\Qa.b/"},
    {"SELECT a FROM /\\A\\z\\b\\B/", "SELECT a FROM /\\A\\z\\b\\B/"},
    {"SELECT a FROM /\\_/", "SELECT a FROM /\\_/"},
    {"SELECT a FROM /\\-/", "SELECT a FROM /\\-/"},
    {"SELECT a FROM /()/", "SELECT a FROM /()/"},
    {"SELECT a FROM /(|)/", "SELECT a FROM /(|)/"},
    {"SELECT a FROM /a|/", "SELECT a FROM /a|/"},
    {"SELECT a FROM /|/", "SELECT a FROM /|/"},
    {"SELECT a FROM /^*/", "SELECT a FROM /^*/"},
    {"SELECT a FROM /$+/", "SELECT a FROM /$+/"},
    {"SELECT a FROM /.?/", "SELECT a FROM /.?/"},
    {"SELECT a FROM /\\b*/", "SELECT a FROM /\\b*/"},
    {"SELECT a FROM /(?i)a*/", "SELECT a FROM /(?i)a*/"},
    {"SELECT a FROM /a(?i)*/", "SELECT a FROM /a(?i)*/"},
    {"SELECT a FROM /a(?i)b*/", "SELECT a FROM /a(?i)b*/"},
    {"SELECT a FROM /a*a*/", "SELECT a FROM /a*a*/"},
    {"SELECT a FROM /(a*)(a*)(a*)(a*)(a*)/", "SELECT a FROM /(a*)(a*)(a*)(a*)(a*)/"},
};

START_TEST(test_errors_as_influxdb)
{
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
        expect_error(&ERRORS[i]);
}
END_TEST

START_TEST(test_regex_errors_as_go)
{
    for (size_t i = 0; i < sizeof REGEX_ERRORS / sizeof REGEX_ERRORS[0]; i++)
        expect_error(&REGEX_ERRORS[i]);
    for (size_t i = 0; i < sizeof REGEX_OK / sizeof REGEX_OK[0]; i++)
        expect_string(&REGEX_OK[i]);
}
END_TEST

/* Go refuses more than 1000 nested levels: (((a))) with 1000 groups. */
START_TEST(test_regex_nesting_limit)
{
    struct st_buf text;
    st_buf_init(&text);
    for (int n = 999; n <= 1000; n++) {
        st_buf_reset(&text);
        ck_assert_int_eq(st_buf_puts(&text, "SELECT a FROM /"), ST_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(st_buf_putc(&text, '('), ST_OK);
        ck_assert_int_eq(st_buf_putc(&text, 'a'), ST_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(st_buf_putc(&text, ')'), ST_OK);
        ck_assert_int_eq(st_buf_putc(&text, '/'), ST_OK);
        st_buf_reset(&err);
        st_iql_free(q);
        q = NULL;
        int rv = st_iql_parse(text.p, text.len, &q, &err);
        if (n == 999) {
            ck_assert_int_eq(rv, ST_OK);
        } else {
            ck_assert_int_eq(rv, ST_EPARSE);
            ck_assert(
                strncmp(err.p, "error parsing regexp: expression nests too deeply: `(((", 55) == 0);
            ck_assert(strstr(err.p, ")))` at line 1, char 14") != NULL);
        }
    }
    st_buf_fini(&text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("influxql_recorded");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"errors", test_errors_as_influxdb},
        {"regex_errors", test_regex_errors_as_go},
        {"regex_nesting", test_regex_nesting_limit},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
