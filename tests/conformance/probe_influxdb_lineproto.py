#!/usr/bin/env python3
"""Probe a real InfluxDB 1.x server with tricky line-protocol input.

Usage:
    python3 tests/conformance/probe_influxdb_lineproto.py OUTFILE [INFLUXD]

Starts /usr/bin/influxd (or INFLUXD) bound to 127.0.0.1 only, with a config
written to /tmp/influxprobe/influxd.conf (meta/data/wal under /tmp/influxprobe,
wiped at start), runs every case in CASES, writes one JSON object per case to
OUTFILE (JSON Lines, UTF-8, non-ASCII kept raw) and stops the server.
Python 3 standard library only.  Talks to 127.0.0.1 only.

Each case gets its own fresh database db_<n>.  Output object per case:

  name          short id
  body          exact request body (str; sent UTF-8 encoded).  For
                multi-request cases this is the FIRST body, see "bodies".
  precision     "" (parameter omitted) or the value sent as ?precision=
  status        HTTP status of the (last) /write request
  error         the "error" string of the (last) JSON reply, or null
  bodies        only for multi-request cases: list of bodies, sent in order
                as separate POST /write requests to the same database
  statuses      only for multi-request cases: status of each request
  errors        only for multi-request cases: error (or null) of each request
  t_before_ns   wall clock (ns) just before the first write request
  t_after_ns    wall clock (ns) just after the last write request; a point
                written without a timestamp gets the server's receive time,
                which falls in [t_before_ns truncated to precision,
                t_after_ns]; its exact "time" differs on every run.
  measurements  SHOW MEASUREMENTS
  series_keys   SHOW SERIES "key" strings (escaped line-protocol form)
  field_keys    {measurement: [[fieldKey, fieldType], ...]} (SHOW FIELD KEYS)
  points        list of {"measurement", "tags" (as GROUP BY * returns them),
                "fields" {name: value, nulls omitted}, "field_types"
                {name: float|integer|string|boolean}, "time" (ns int)},
                from SELECT * FROM "<m>" GROUP BY * with epoch=ns.
                Float fields are emitted as JSON floats (e.g. 100000.0) even
                though InfluxDB's JSON prints them like integers.
  query_errors  only present if some read-back query failed

Server logs go to /tmp/influxprobe/influxd.log.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

BASE = "/tmp/influxprobe"
HOST = "127.0.0.1"

# ---------------------------------------------------------------------------
# Cases.  Each is (name, body) or (name, body, precision) or a dict with
# "name", "bodies", optional "precision".
# ---------------------------------------------------------------------------

BIGM = "m" * 65535


def _num(name, v):
    return (name, "m v=" + v)


CASES = [
    # ---- numbers ---------------------------------------------------------
    _num("num_float_1_5", "1.5"),
    _num("num_float_1", "1"),
    _num("num_int_1i", "1i"),
    _num("num_int_neg", "-1i"),
    _num("num_int_zero", "0i"),
    _num("num_int_neg_zero", "-0i"),
    _num("num_int_capital_I", "1I"),
    _num("num_uint_1u", "1u"),
    _num("num_uint_capital_U", "1U"),
    _num("num_uint_neg", "-1u"),
    _num("num_exp_1e5", "1e5"),
    _num("num_exp_1E-3", "1E-3"),
    _num("num_exp_neg_1_5e+10", "-1.5e+10"),
    _num("num_exp_1_dot_e5", "1.e5"),
    _num("num_dot5", ".5"),
    _num("num_neg_dot5", "-.5"),
    _num("num_one_dot", "1."),
    _num("num_neg_zero_float", "-0"),
    _num("num_neg_zero_dot_zero", "-0.0"),
    _num("num_leading_zero_float", "01"),
    _num("num_leading_zero_int", "01i"),
    _num("num_leading_zeros_frac", "00.5"),
    _num("num_long_digits", "123456789012345678901234567890"),
    _num("num_long_frac", "3.14159265358979323846264338327950288419716939937510"),
    _num("num_long_digits_int", "123456789012345678901234567890i"),
    _num("num_very_long_digits", "1" * 400),
    _num("num_float_1e400", "1e400"),
    _num("num_float_neg_1e400", "-1e400"),
    _num("num_float_1e-400", "1e-400"),
    _num("num_float_max", "1.7976931348623157e308"),
    _num("num_float_subnormal", "5e-324"),
    _num("num_int_max", "9223372036854775807i"),
    _num("num_int_max_plus1", "9223372036854775808i"),
    _num("num_int_min", "-9223372036854775808i"),
    _num("num_int_min_minus1", "-9223372036854775809i"),
    _num("num_uint_max", "18446744073709551615u"),
    _num("num_uint_over", "18446744073709551616u"),
    _num("num_nan_lower", "nan"),
    _num("num_NaN", "NaN"),
    _num("num_inf", "inf"),
    _num("num_neg_inf", "-inf"),
    _num("num_Inf", "Inf"),
    _num("num_plus_inf", "+inf"),
    _num("num_Infinity", "Infinity"),
    _num("num_1_1_1", "1.1.1"),
    _num("num_1_minus_2", "1-2"),
    _num("num_1e", "1e"),
    _num("num_1e_plus", "1e+"),
    _num("num_e5", "e5"),
    _num("num_1ee5", "1ee5"),
    _num("num_1_5_dot", "1.5."),
    _num("num_hex", "0x10"),
    _num("num_plus1", "+1"),
    _num("num_plus1i", "+1i"),
    _num("num_double_minus", "--1"),
    _num("num_minus_only", "-"),
    _num("num_dot_only", "."),
    _num("num_minus_dot", "-."),
    _num("num_underscore", "1_000"),
    _num("num_1i5", "1i5"),
    _num("num_1_5i", "1.5i"),
    _num("num_1_5u", "1.5u"),
    _num("num_1e5i", "1e5i"),
    _num("num_1ii", "1ii"),
    ("num_with_ts", "m v=1.5 1000"),
    ("num_int_with_ts", "m v=-42i 1000"),
    ("num_multi_fields", "m a=1,b=2i,c=t,d=\"x\",e=1e3 1000"),
    # ---- booleans ------------------------------------------------------
    _num("bool_t", "t"),
    _num("bool_T", "T"),
    _num("bool_true", "true"),
    _num("bool_True", "True"),
    _num("bool_TRUE", "TRUE"),
    _num("bool_f", "f"),
    _num("bool_F", "F"),
    _num("bool_false", "false"),
    _num("bool_False", "False"),
    _num("bool_FALSE", "FALSE"),
    _num("bool_bad_tRUE", "tRUE"),
    _num("bool_bad_fals", "fals"),
    _num("bool_bad_yes", "yes"),
    _num("bool_bad_tru", "tru"),
    _num("bool_bad_tr", "tr"),
    _num("bool_bad_truex", "truex"),
    _num("bool_bad_t1", "t1"),
    _num("bool_bad_fALSE", "fALSE"),
    _num("bool_bad_FaLsE", "FaLsE"),
    ("bool_with_ts", "m v=true 1000"),
    ("bool_t_with_ts", "m v=F 1000"),
    # ---- strings -------------------------------------------------------
    ("str_hello", 'm s="hello" 1000'),
    ("str_empty", 'm s="" 1000'),
    ("str_escaped_quotes", r'm s="with \"quote\"" 1000'),
    ("str_double_backslash", r'm s="back\\slash" 1000'),
    ("str_single_backslash", r'm s="back\slash" 1000'),
    ("str_a_bsbs_quote_b", r'm s="a\\"b" 1000'),
    ("str_a_bsbs_quote_b_eol", r'm s="a\\"b"'),
    ("str_a_bs_quote_b", r'm s="a\"b" 1000'),
    ("str_comma_space", 'm s="has,comma and space" 1000'),
    ("str_equals", 'm s="has=equals" 1000'),
    ("str_real_newline", 'm s="line\nbreak" 1000'),
    ("str_real_newline_then_line", 'm s="line\nbreak" 1000\nm v=2 2000'),
    ("str_escaped_n", r'm s="line\nbreak" 1000'),
    ("str_escaped_t", r'm s="tab\there" 1000'),
    ("str_real_tab", 'm s="a\tb" 1000'),
    ("str_real_crlf_inside", 'm s="a\r\nb" 1000'),
    ("str_unbalanced", 'm s="abc'),
    ("str_unbalanced_then_line", 'm s="abc\nm v=1 1000'),
    ("str_unbalanced_ts", 'm s="abc 1000'),
    ("str_junk_after", 'm s="abc"x'),
    ("str_junk_after_ts", 'm s="abc"x 1000'),
    ("str_trailing_escaped_bs", r'm s="abc\\" 1000'),
    ("str_trailing_bs_quote", r'm s="abc\" 1000'),
    ("str_trailing_triple_bs", r'm s="abc\\\" 1000'),
    ("str_unicode", 'm s="h\u00e9llo \u2713" 1000'),
    ("str_single_quotes", "m s='abc' 1000"),
    ("str_hash", 'm s="#x" 1000'),
    ("str_then_field", 'm s="a b",v=1 1000'),
    ("str_field_then_str", 'm v=1,s="a b" 1000'),
    ("str_two_strings", 'm s="a",t="b" 1000'),
    ("str_quote_inside_unquoted", 'm s=a"b" 1000'),
    ("str_no_quotes", "m s=abc 1000"),
    ("str_with_only_quote_escape", r'm s="\"" 1000'),
    ("str_with_only_bs_escape", r'm s="\\" 1000'),
    ("str_4_backslashes", r'm s="\\\\" 1000'),
    ("str_junk_after_then_field", 'm s="abc"x,v=1 1000'),
    ("str_quote_in_middle", 'm s="a"b" 1000'),
    ("str_empty_then_junk", 'm s=""x 1000'),
    ("str_junk_before_quote", 'm s=x"abc" 1000'),
    ("str_long", 'm s="' + "x" * 70000 + '" 1000'),
    # ---- escaping: measurement ----------------------------------------
    ("meas_esc_comma", r"my\,meas v=1 1000"),
    ("meas_esc_space", r"my\ meas v=1 1000"),
    ("meas_esc_comma_space_eq", r"a\,b\ c=d v=1 1000"),
    ("meas_unescaped_eq", "my=meas v=1 1000"),
    ("meas_esc_eq", r"my\=meas v=1 1000"),
    ("meas_hash_middle", "cpu#1 v=1 1000"),
    ("meas_hash_start_comment", "#cpu v=1 1000"),
    ("meas_esc_hash_start", r"\#cpu v=1 1000"),
    ("meas_space_then_hash", " #cpu v=1 1000"),
    ("meas_dbl_bs_comma", r"a\\,b v=1 1000"),
    ("meas_dbl_bs_comma_tag", r"a\\,b=c v=1 1000"),
    ("meas_dbl_bs_space", r"a\\ v=1 1000"),
    ("meas_backslash_path", r"c:\path v=1 1000"),
    ("meas_trailing_bs_escapes_space", "m\\ v=1 1000"),
    ("meas_trailing_bs_eol", "m\\"),
    ("meas_quotes", '"m" v=1 1000'),
    ("meas_quoted_space", '"a b" v=1 1000'),
    ("meas_unicode", "\u6e29\u5ea6,\u5730\u70b9=\u5317\u4eac v=1 1000"),
    ("meas_esc_newline", "a\\\nb v=1 1000"),
    ("meas_escaped_space_only", "\\  v=1 1000"),
    ("meas_space_after_comma_escape", "m\\,\\ ,t=v v=1 1000"),
    ("meas_single_quote", "m'x v=1 1000"),
    ("meas_esc_double_quote", r'm\"x v=1 1000'),
    # ---- escaping: tags -------------------------------------------------
    ("tag_esc_comma", r"m,t\,k=v\,w v=1 1000"),
    ("tag_esc_eq", r"m,t\=k=v\=w v=1 1000"),
    ("tag_esc_space", r"m,t\ k=v\ w v=1 1000"),
    ("tag_backslash_path", r"m,path=c:\path v=1 1000"),
    ("tag_key_backslash_other", r"m,a\b=x v=1 1000"),
    ("tag_dbl_bs_comma", r"m,t=a\\,b v=1 1000"),
    ("tag_dbl_bs_comma_tag", r"m,t=a\\,u=b v=1 1000"),
    ("tag_dbl_bs_space", r"m,t=a\\ v=1 1000"),
    ("tag_trailing_bs_escapes_space", "m,t=a\\ v=1 1000"),
    ("tag_value_eq_start", "m,t==x v=1 1000"),
    ("tag_value_eq_middle", "m,t=a=b v=1 1000"),
    ("tag_value_only_eq", "m,t== v=1 1000"),
    ("tag_key_empty", "m,=x v=1 1000"),
    ("tag_key_esc_space_only", r"m,\ =x v=1 1000"),
    ("tag_value_esc_space_only", "m,t=\\  v=1 1000"),
    ("tag_value_quotes", 'm,t="x" v=1 1000'),
    ("tag_value_quoted_space", 'm,t="a b" v=1 1000'),
    ("tag_value_hash", "m,t=#x v=1 1000"),
    ("tag_value_unicode", "m,t=\u00fc v=1 1000"),
    ("tag_esc_newline", "m,t=a\\\nb v=1 1000"),
    # ---- escaping: field keys -----------------------------------------
    ("fkey_esc_space", r"m f\ k=1 1000"),
    ("fkey_esc_comma", r"m f\,k=1 1000"),
    ("fkey_esc_eq", r"m f\=k=1 1000"),
    ("fkey_esc_all", r"m a\ b=1,c\,d=2,e\=f=3 1000"),
    ("fkey_backslash_other", r"m c:\path=1 1000"),
    ("fkey_dbl_bs", r"m a\\=1 1000"),
    ("fkey_quotes", 'm "f"=1 1000'),
    ("fkey_hash", "m #f=1 1000"),
    ("fkey_unicode", "m \u00e9t\u00e9=1 1000"),
    # ---- structure errors ---------------------------------------------
    ("st_meas_only", "cpu"),
    ("st_meas_space", "cpu "),
    ("st_meas_comma", "cpu,"),
    ("st_tag_no_eq", "cpu,t"),
    ("st_tag_no_value", "cpu,t="),
    ("st_tags_no_fields", "cpu,t=v"),
    ("st_tags_space_no_fields", "cpu,t=v "),
    ("st_no_measurement", ",t=v f=1"),
    ("st_field_no_eq", "cpu f"),
    ("st_field_no_value", "cpu f="),
    ("st_field_no_value_ts", "cpu f= 1000"),
    ("st_field_no_key", "cpu =1"),
    ("st_trailing_comma", "cpu f=1,"),
    ("st_second_field_no_eq", "cpu f=1,g"),
    ("st_double_comma_fields", "cpu f=1,,g=2"),
    ("st_ts_abc", "cpu f=1 abc"),
    ("st_ts_12a", "cpu f=1 12a"),
    ("st_ts_two", "cpu f=1 1 2"),
    ("st_ts_minus", "cpu f=1 -"),
    ("st_ts_overflow", "cpu f=1 99999999999999999999"),
    ("st_dup_tags", "cpu,a=1,a=2 f=1 1000"),
    ("st_dup_tags_same_value", "cpu,a=1,a=1 f=1 1000"),
    ("st_unsorted_tags", "cpu,b=1,a=2 f=1 1000"),
    ("st_unsorted_tags_3", "cpu,c=3,a=1,b=2 f=1 1000"),
    ("st_dup_field", "cpu f=1,f=2 1000"),
    ("st_dup_field_diff_type", "cpu f=1,f=2i 1000"),
    ("st_dup_field_str", 'cpu f=1,f="x" 1000'),
    ("st_field_time", "cpu time=1 1000"),
    ("st_field_time_and_other", "cpu time=1,f=2 1000"),
    ("st_tag_time", "cpu,time=x f=1 1000"),
    ("st_tag_time_and_other", "cpu,a=b,time=x f=1 1000"),
    ("st_empty_tag", "cpu, f=1"),
    ("st_double_comma_tags", "cpu,,t=v f=1"),
    ("st_tag_trailing_comma", "cpu,t=v, f=1"),
    ("st_space_before_tags", "cpu ,t=v f=1"),
    ("st_space_before_eq", "cpu f =1"),
    ("st_space_after_eq", "cpu f= 1"),
    ("st_tag_and_field_same_key", "cpu,f=a f=1 1000"),
    ("st_type_conflict_in_batch", "cpu f=1 1000\ncpu f=1i 2000"),
    ("st_type_conflict_other_shards", "cpu f=1 1000\ncpu f=1i 1600000000000000000"),
    ("st_type_conflict_plus_parse_error", "cpu f=1 1000\ncpu f=1i 2000\nbad"),
    {"name": "st_type_conflict_two_requests",
     "bodies": ["cpu f=1 1000", 'cpu f="s" 2000']},
    ("st_many_fields", "m " + ",".join("f%d=%d" % (i, i) for i in range(50)) + " 1000"),
    ("st_many_tags_unsorted",
     "m," + ",".join("t%02d=%d" % (i, i) for i in range(20, 0, -1)) + " v=1 1000"),
    # ---- whitespace ----------------------------------------------------
    ("ws_leading_spaces", "   cpu f=1 1000"),
    ("ws_leading_tab", "\tcpu f=1 1000"),
    ("ws_trailing_spaces_after_ts", "cpu f=1 1000   "),
    ("ws_trailing_tab_after_ts", "cpu f=1 1000\t"),
    ("ws_trailing_space_no_ts", "cpu f=1 "),
    ("ws_trailing_space_int_no_ts", "cpu f=1i "),
    ("ws_trailing_space_str_no_ts", 'cpu f="x" '),
    ("ws_two_spaces_meas_fields", "cpu  f=1 1000"),
    ("ws_two_spaces_fields_ts", "cpu f=1  1000"),
    ("ws_tab_separator_meas", "cpu\tf=1 1000"),
    ("ws_tab_separator_ts", "cpu f=1\t1000"),
    ("ws_blank_lines", "\n\ncpu f=1 1000\n\n\ncpu f=2 2000\n\n"),
    ("ws_space_only_lines", "   \ncpu f=1 1000\n  \t \n"),
    ("ws_comments", "# x\ncpu f=1 1000\n#y"),
    ("ws_comment_leading_space", "  # x\ncpu f=1 1000"),
    ("ws_comment_leading_tab", "\t# x\ncpu f=1 1000"),
    ("ws_crlf_no_ts", "cpu f=1\r\ncpu g=2\r\n"),
    ("ws_crlf_ts", "cpu f=1 1000\r\ncpu f=2 2000\r\n"),
    ("ws_crlf_int_no_ts", "cpu f=1i\r\n"),
    ("ws_crlf_bool_no_ts", "cpu f=t\r\n"),
    ("ws_crlf_str_no_ts", 'cpu f="x"\r\n'),
    ("ws_crlf_str_ts", 'cpu f="x" 1000\r\n'),
    ("ws_crlf_only_line", "\r\ncpu f=1 1000\n"),
    ("ws_cr_only_separator", "cpu f=1 1000\rcpu f=2 2000"),
    ("ws_trailing_newline", "cpu f=1 1000\n"),
    ("ws_space_then_crlf", "cpu f=1 1000 \r\n"),
    ("ws_nul_byte", "cpu f=1 1000\x00"),
    ("ws_vertical_tab", "cpu\x0bf=1 1000"),
    ("ws_tab_inside_measurement", "c\tpu f=1 1000"),
    ("ws_tab_inside_tag_value", "cpu,t=a\tb f=1 1000"),
    ("ws_tab_inside_field_key", "cpu f\tk=1 1000"),
    ("ws_bom_start", "\ufeffcpu f=1 1000"),
    ("ws_comment_after_point", "cpu f=1 1000 # comment"),
    ("ws_junk_after_ts", "cpu f=1 1000 x"),
    ("ws_hash_only_line", "#\ncpu f=1 1000"),
    # ---- timestamps ----------------------------------------------------
    ("ts_negative", "cpu f=1 -1000"),
    ("ts_zero", "cpu f=1 0"),
    ("ts_neg_zero", "cpu f=1 -0"),
    ("ts_leading_zeros", "cpu f=1 0001000"),
    ("ts_plus", "cpu f=1 +1000"),
    ("ts_float", "cpu f=1 1.5"),
    ("ts_exp", "cpu f=1 1e9"),
    ("ts_int_suffix", "cpu f=1 1000i"),
    ("ts_max_int64", "cpu f=1 9223372036854775807"),
    ("ts_max_int64_minus1", "cpu f=1 9223372036854775806"),
    ("ts_max_int64_minus2", "cpu f=1 9223372036854775805"),
    ("ts_min_int64", "cpu f=1 -9223372036854775808"),
    ("ts_min_int64_plus1", "cpu f=1 -9223372036854775807"),
    ("ts_min_int64_plus2", "cpu f=1 -9223372036854775806"),
    ("ts_min_int64_plus3", "cpu f=1 -9223372036854775805"),
    ("ts_min_int64_ns", "cpu f=1 -9223372036854775808", "ns"),
    ("ts_prec_n", "cpu f=1 1\ncpu f=2 1600000000", "n"),
    ("ts_prec_ns", "cpu f=1 1\ncpu f=2 1600000000", "ns"),
    ("ts_prec_u", "cpu f=1 1\ncpu f=2 1600000000", "u"),
    ("ts_prec_us", "cpu f=1 1\ncpu f=2 1600000000", "us"),
    ("ts_prec_ms", "cpu f=1 1\ncpu f=2 1600000000", "ms"),
    ("ts_prec_s", "cpu f=1 1\ncpu f=2 1600000000", "s"),
    ("ts_prec_m", "cpu f=1 1\ncpu f=2 1600000000", "m"),
    ("ts_prec_h", "cpu f=1 1\ncpu f=2 1600000000", "h"),
    ("ts_prec_neg_s", "cpu f=1 -1", "s"),
    ("ts_prec_unknown_x", "cpu f=1 1\ncpu f=2 1600000000", "x"),
    ("ts_prec_upper_S", "cpu f=1 1", "S"),
    ("ts_prec_micro_sign", "cpu f=1 1", "\u00b5"),
    ("ts_prec_rfc3339", "cpu f=1 1", "rfc3339"),
    ("ts_prec_s_overflow", "cpu f=1 9223372036854775807", "s"),
    ("ts_prec_s_edge_max", "cpu f=1 9223372036", "s"),
    ("ts_prec_s_edge_over", "cpu f=1 9223372037", "s"),
    ("ts_prec_h_overflow", "cpu f=1 2562048", "h"),
    ("ts_prec_h_edge", "cpu f=1 2562047", "h"),
    ("ts_prec_ms_neg_overflow", "cpu f=1 -9223372036855", "ms"),
    ("ts_no_ts_default", "cpu f=1"),
    ("ts_no_ts_prec_n", "cpu f=1", "n"),
    ("ts_no_ts_prec_ms", "cpu f=1", "ms"),
    ("ts_no_ts_prec_s", "cpu f=1", "s"),
    ("ts_no_ts_prec_m", "cpu f=1", "m"),
    ("ts_no_ts_prec_h", "cpu f=1", "h"),
    ("ts_no_ts_prec_x", "cpu f=1", "x"),
    # ---- batches -------------------------------------------------------
    ("batch_one_bad_middle", "a f=1 1000\nb f=bad 2000\nc f=3 3000"),
    ("batch_two_bad", "a f=1 1000\nbad\nb f=2 2000\nalso bad x"),
    ("batch_all_bad", "bad\nworse"),
    ("batch_three_bad_with_good", "x\na f=1 1000\ny\nz f=\n"),
    ("batch_empty", ""),
    ("batch_newline_only", "\n"),
    ("batch_only_comments", "# a\n# b\n"),
    ("batch_only_whitespace", "   \n\t\n"),
    ("batch_good_multi", "a f=1 1000\na f=2 2000\nb,t=x f=3 3000"),
    ("batch_bad_then_crlf", "a f=1 1000\r\nbad\r\n"),
    ("batch_good_plus_time_tag", "a f=1 1000\nb,time=x f=2 2000\nc f=3 3000"),
    ("batch_parse_error_plus_time_tag", "a f=1 1000\nb,time=x f=2 2000\nbad"),
    ("batch_parse_error_plus_time_field", "a f=1 1000\nb time=2 2000\nbad"),
    ("batch_two_time_fields", "a time=1 1000\nb time=2 2000\nc f=3 3000"),
    ("batch_type_conflict_other_series", "cpu,t=a f=1 1000\ncpu,t=b f=1i 1000"),
    ("batch_type_conflict_other_measurement", "cpu f=1 1000\nmem f=1i 1000"),
    # ---- merge ---------------------------------------------------------
    ("merge_one_batch_diff_fields", "cpu,t=a f=1 100\ncpu,t=a g=2 100"),
    ("merge_one_batch_same_field", "cpu,t=a f=1 100\ncpu,t=a f=3 100"),
    ("merge_one_batch_overlap", "cpu,t=a f=1,g=1 100\ncpu,t=a g=2,h=2 100"),
    ("merge_tag_order_same_series", "cpu,a=1,b=2 f=1 100\ncpu,b=2,a=1 g=2 100"),
    {"name": "merge_two_requests_diff_fields",
     "bodies": ["cpu,t=a f=1 100", "cpu,t=a g=2 100"]},
    {"name": "merge_two_requests_same_field",
     "bodies": ["cpu,t=a f=1 100", "cpu,t=a f=3 100"]},
    {"name": "merge_two_requests_overlap",
     "bodies": ["cpu,t=a f=1,g=1 100", "cpu,t=a g=2,h=2 100"]},
    # ---- key length -----------------------------------------------------
    ("keylen_meas_65530_field_v", "m" * 65530 + " v=1 1000"),
    ("keylen_meas_65531_field_v", "m" * 65531 + " v=1 1000"),
    ("keylen_fkey_65531", "m " + "f" * 65531 + "=1 1000"),
    ("keylen_meas_65535", BIGM + " v=1 1000"),
    ("keylen_meas_65536", BIGM + "m v=1 1000"),
    ("keylen_tags_65536", "m,t=" + "v" * 65532 + " v=1 1000"),
    ("keylen_escaped_65536_raw", "m" * 65533 + "\\, v=1 1000"),
]


# ---------------------------------------------------------------------------
# Server management
# ---------------------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


CONFIG_TEMPLATE = """\
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
  wal-fsync-delay = "0s"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  write-timeout = "10s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false
  suppress-write-log = true
  write-tracing = false
  pprof-enabled = false
  https-enabled = false
  unix-socket-enabled = false
  max-body-size = 25000000
  max-row-limit = 0

[ifql]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "info"
  suppress-logo = true
"""


class Server:
    def __init__(self, influxd):
        self.influxd = influxd
        self.proc = None
        self.http_port = None
        self.logf = None

    def start(self):
        for sub in ("meta", "data", "wal"):
            shutil.rmtree(os.path.join(BASE, sub), ignore_errors=True)
        os.makedirs(BASE, exist_ok=True)
        self.http_port = free_port()
        rpc_port = free_port()
        while rpc_port == self.http_port:
            rpc_port = free_port()
        conf = os.path.join(BASE, "influxd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG_TEMPLATE.format(base=BASE, rpc_port=rpc_port,
                                           http_port=self.http_port))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("INFLUXDB_")}
        self.logf = open(os.path.join(BASE, "influxd.log"), "wb")
        self.proc = subprocess.Popen([self.influxd, "run", "-config", conf],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("influxd exited early, see %s/influxd.log" % BASE)
            try:
                st, _ = self.request("GET", "/ping")
                if st == 204:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("influxd did not answer /ping within 60 s")

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

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.http_port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        finally:
            conn.close()

    def query(self, q, db=None):
        params = {"epoch": "ns"}
        if db:
            params["db"] = db
        path = "/query?" + urllib.parse.urlencode(params)
        body = urllib.parse.urlencode({"q": q}).encode()
        st, data = self.request("POST", path, body,
                                {"Content-Type": "application/x-www-form-urlencoded"})
        try:
            js = json.loads(data.decode("utf-8"))
        except ValueError:
            raise RuntimeError("query %r: HTTP %d, non-JSON reply %r" % (q, st, data[:200]))
        if st != 200:
            raise RuntimeError("query %r: HTTP %d %r" % (q, st, js))
        res = js.get("results", [{}])[0]
        if "error" in res:
            raise RuntimeError("query %r: %s" % (q, res["error"]))
        return res.get("series", [])

    def write(self, db, body, precision):
        params = {"db": db}
        if precision:
            params["precision"] = precision
        path = "/write?" + urllib.parse.urlencode(params)
        st, data = self.request("POST", path, body.encode("utf-8"),
                                {"Content-Type": "text/plain; charset=utf-8"})
        err = None
        if data.strip():
            try:
                err = json.loads(data.decode("utf-8")).get("error")
            except ValueError:
                err = "NON-JSON REPLY: " + data.decode("utf-8", "replace")
        return st, err


def qident(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def convert(value, ftype):
    if value is None:
        return None
    if ftype == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def readback(srv, db):
    out = {"measurements": [], "series_keys": [], "field_keys": {}, "points": []}
    qerr = []
    try:
        for s in srv.query("SHOW MEASUREMENTS", db):
            out["measurements"].extend(v[0] for v in s.get("values", []))
    except RuntimeError as e:
        qerr.append(str(e))
    try:
        for s in srv.query("SHOW SERIES", db):
            out["series_keys"].extend(v[0] for v in s.get("values", []))
    except RuntimeError as e:
        qerr.append(str(e))
    for m in out["measurements"]:
        fk = []
        try:
            for s in srv.query("SHOW FIELD KEYS FROM " + qident(m), db):
                fk.extend([v[0], v[1]] for v in s.get("values", []))
        except RuntimeError as e:
            qerr.append(str(e))
        out["field_keys"][m] = fk
        types = {}
        for k, t in fk:
            types.setdefault(k, set()).add(t)
        try:
            series = srv.query("SELECT * FROM " + qident(m) + " GROUP BY *", db)
        except RuntimeError as e:
            qerr.append(str(e))
            continue
        for s in series:
            cols = s.get("columns", [])
            for row in s.get("values", []):
                fields, ftypes, t = {}, {}, None
                for c, v in zip(cols, row):
                    if c == "time":
                        t = v
                        continue
                    if v is None:
                        continue
                    ts = types.get(c, set())
                    ft = next(iter(ts)) if len(ts) == 1 else "ambiguous:" + "|".join(sorted(ts))
                    fields[c] = convert(v, ft)
                    ftypes[c] = ft
                out["points"].append({"measurement": s.get("name"),
                                      "tags": s.get("tags", {}),
                                      "fields": fields,
                                      "field_types": ftypes,
                                      "time": t})
    if qerr:
        out["query_errors"] = qerr
    return out


def normalize(case):
    if isinstance(case, dict):
        return case["name"], list(case["bodies"]), case.get("precision", ""), True
    if len(case) == 2:
        return case[0], [case[1]], "", False
    return case[0], [case[1]], case[2], False


def run_case(srv, n, case):
    name, bodies, precision, multi = normalize(case)
    db = "db_%d" % n
    srv.query("CREATE DATABASE " + db)
    statuses, errors = [], []
    t0 = time.time_ns()
    for b in bodies:
        st, err = srv.write(db, b, precision)
        statuses.append(st)
        errors.append(err)
    t1 = time.time_ns()
    rec = {"name": name, "body": bodies[0], "precision": precision,
           "status": statuses[-1], "error": errors[-1]}
    if multi:
        rec["bodies"] = bodies
        rec["statuses"] = statuses
        rec["errors"] = errors
    rec["t_before_ns"] = t0
    rec["t_after_ns"] = t1
    rec.update(readback(srv, db))
    return rec


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    outfile = argv[1]
    influxd = argv[2] if len(argv) > 2 else "/usr/bin/influxd"
    names = [normalize(c)[0] for c in CASES]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise SystemExit("duplicate case names: %s" % sorted(dup))
    srv = Server(influxd)
    srv.start()
    try:
        with open(outfile, "w", encoding="utf-8") as f:
            for n, case in enumerate(CASES):
                rec = run_case(srv, n, case)
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        srv.stop()
    print("wrote %d cases to %s" % (len(CASES), outfile))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
