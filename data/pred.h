/* Tag predicates of InfluxQL WHERE clauses, compiled once and evaluated over a shard's index. */
#ifndef ST_PRED_H
#define ST_PRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "lineproto.h"
#include "regex.h"

/*
 * Semantics are InfluxDB 1.x's (tsdb/index.go seriesByBinaryExpr*Iterator,
 * tsdb/index/inmem/meta.go idsForExpr; docs/tag-predicates.md). A series
 * lacking tag k behaves as if k = '':
 *   k = 'v'    series with k = v
 *   k = ''     series WITHOUT tag k
 *   k != 'v'   every series but those with k = v (series without k included)
 *   k != ''    series that have tag k
 *   k =~ /re/  series whose value of k matches; plus the series without k
 *              when /re/ matches the empty string
 *   k !~ /re/  the measurement's series minus those of k =~ /re/
 *   AND / OR   intersection / union
 * The key "_name" is the measurement name, as in InfluxDB: _name = 'cpu'
 * selects every series of cpu and none elsewhere.
 * Names and values are unescaped, as users write them. Regexes are
 * common/regex.h's: unanchored, RE2-like, work-limited.
 */

/* Deepest AND/OR nesting accepted (the evaluation recurses). */
#define ST_PRED_MAX_DEPTH 256

typedef struct st_pred st_pred;

struct Strata__TagExpr;

/* Compiles @e (borrowed; its strings are copied) into a predicate with its
 * regexes compiled. A NULL @e compiles to the predicate that matches every
 * series. Caller owns *@out; free with st_pred_free(). A compiled
 * predicate is read-only: any number of threads may evaluate it at once.
 * ST_OK; ST_EINVAL for a malformed tree (a node with no member set, an
 * AND/OR missing a child, an unknown operator, nesting deeper than
 * ST_PRED_MAX_DEPTH); ST_EPARSE for a regex that does not compile;
 * ST_ENOMEM. On error @err (@errlen bytes, may be NULL) says which node:
 * "tag predicate: host =~ /(a/: missing closing parenthesis at offset 2". */
int st_pred_compile(const struct Strata__TagExpr *e, st_pred **out, char *err, size_t errlen);

/* Frees @p. NULL is fine. */
void st_pred_free(st_pred *p);

/* Read (call inside an st_index_read_begin() section of @idx). The ids of
 * the series of @measurement (unescaped, borrowed) that @p matches, sorted
 * and without duplicates, in a malloc'ed array: caller owns *@ids (never
 * NULL on ST_OK, even when *@n is 0) and frees it with free(). A NULL @p
 * matches every series. An unknown measurement gives no ids. ST_OK or
 * ST_ENOMEM (then *@ids is NULL). */
int st_pred_eval(const st_pred *p, st_index *idx, struct st_slice measurement, uint32_t **ids,
                 size_t *n);

/* Whether @p matches the series whose key is parsed in @k (borrowed), by
 * the same rules as st_pred_eval(): for series that are not in an index
 * (a cache-only path) and for tests. A NULL @p matches. */
bool st_pred_match_key(const st_pred *p, const struct st_index_key *k);

/* Read. Calls @cb (see index.h: names lent for the call; a return other
 * than ST_OK stops the walk and is returned) for each measurement of @idx
 * that has series, in byte order, selected by @name (exact, unescaped,
 * borrowed) when not NULL, else by @re (unanchored match) when not NULL,
 * else all of them: the source of a query (FROM m, FROM /re/, no FROM).
 * ST_OK, ST_ENOMEM or what @cb returned. */
int st_pred_measurements(st_index *idx, const struct st_slice *name, const st_re *re,
                         st_index_name_cb cb, void *arg);

#endif
