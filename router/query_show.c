/* SHOW MEASUREMENTS, TAG KEYS, TAG VALUES, FIELD KEYS and SERIES, and
 * their cardinality forms, from the data nodes' indexes.
 *
 * The happy path: the statement's time terms select shard groups (all
 * time without them); its tag terms become a TagExpr (query_cond.c); one
 * SchemaQuery per source goes to one live owner of every shard
 * (rq_list(), the failover of SELECT); the entries of all nodes are
 * copied, sorted by (measurement, key, value, type) and de-duplicated,
 * then cut into InfluxDB's series with its LIMIT/OFFSET rules.
 *
 * Which shards: SHOW MEASUREMENTS, TAG KEYS, TAG VALUES and SERIES read
 * every retention policy of the database (InfluxDB 1.6 lists its
 * database-wide index); SHOW FIELD KEYS and the cardinality forms InfluxDB
 * runs as SELECTs read the source's policy (the default one unless
 * named), as 1.6 does.
 *
 * The cardinality statements count the same sorted, de-duplicated entries:
 * distinct series, measurements, tag keys, tag values or field keys, per
 * measurement (one series "count" each) or, for SHOW MEASUREMENT EXACT
 * CARDINALITY, in all. InfluxDB 1.6 answers SHOW SERIES / MEASUREMENT
 * CARDINALITY without clauses with a HyperLogLog estimate over every
 * policy; strata answers the exact count there too. Where 1.6 adds up
 * per-shard counts (SHOW SERIES EXACT CARDINALITY counts a series once per
 * shard group holding it) strata counts each series once.
 *
 * Failure modes: a bad condition or regex is the statement's error; an
 * owner that fails is replaced by the next owner of its shards; a shard
 * none of them answers for fails the statement (ST_EUNAVAIL), as SELECT.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "err.h"
#include "query_int.h"
#include "query_show.h"
#include "regex.h"

/* One entry, strings in the plan's arena. */
struct ent {
    const char *m, *k, *v;
    Strata__FieldType type;
};

struct shw {
    struct rq_plan p;
    const struct st_iql_stmt *s;
    const struct st_query_req *req;
    struct ent *e;
    size_t n, cap;
};

static int collect(void *arg, const Strata__SchemaEntry *se)
{
    struct shw *x = arg;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        struct ent *e = realloc(x->e, cap * sizeof(*e));
        if (e == NULL)
            return ST_ENOMEM;
        x->e = e;
        x->cap = cap;
    }
    struct ent *e = &x->e[x->n];
    const char *m = se->measurement ? se->measurement : "";
    const char *k = se->key ? se->key : "";
    const char *v = se->value ? se->value : "";
    e->m = rq_strdup(x->p.ar, m, strlen(m));
    e->k = rq_strdup(x->p.ar, k, strlen(k));
    e->v = rq_strdup(x->p.ar, v, strlen(v));
    e->type = se->type;
    if (e->m == NULL || e->k == NULL || e->v == NULL)
        return ST_ENOMEM;
    x->n++;
    return ST_OK;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    int c = strcmp(x->m, y->m);
    if (c == 0)
        c = strcmp(x->k, y->k);
    if (c == 0)
        c = strcmp(x->v, y->v);
    return c ? c : (x->type > y->type) - (x->type < y->type);
}

static void sort_unique(struct shw *x)
{
    if (x->n > 1)
        qsort(x->e, x->n, sizeof(*x->e), ent_cmp);
    size_t u = 0;
    for (size_t i = 0; i < x->n; i++)
        if (u == 0 || ent_cmp(&x->e[u - 1], &x->e[i]) != 0)
            x->e[u++] = x->e[i];
    x->n = u;
}

/* Shards ------------------------------------------------------------------------------ */

/* The shards of p->db overlapping the time range: of policy @rp, or of
 * every policy when @rp is NULL. */
static int find_shards(struct rq_plan *p, const char *rp)
{
    const Strata__Catalogue *cat = p->cat;
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cat->n_shard_groups; i++) {
            const Strata__ShardGroup *g = cat->shard_groups[i];
            if (g->deleted || strcmp(g->database, p->db) != 0 ||
                (rp != NULL && strcmp(g->retention_policy, rp) != 0))
                continue;
            if ((p->has_tmax && g->start_ns > p->tmax) || (p->has_tmin && g->end_ns <= p->tmin))
                continue;
            for (size_t k = 0; k < g->n_shards; k++) {
                if (pass == 1) {
                    struct rq_shard *s = &p->shards[p->nshards++];
                    memset(s, 0, sizeof(*s));
                    s->id = g->shards[k]->id;
                    s->shard = g->shards[k];
                }
                n++;
            }
        }
        if (pass == 0) {
            p->nshards = 0;
            p->shards = rq_alloc(p->ar, (n ? n : 1) * sizeof(*p->shards));
            if (p->shards == NULL)
                return ST_ENOMEM;
        }
    }
    return ST_OK;
}

/* Listing ----------------------------------------------------------------------------- */

/* One listing of @kind from measurement @name or @regex (neither: all),
 * over the policy @rp (NULL: all), into x->e. */
static int list_source(struct shw *x, Strata__SchemaKind kind, const char *name, const char *regex,
                       const char *rp, const char **keys, size_t nkeys, const char *key_regex)
{
    struct rq_plan *p = &x->p;
    int rv = find_shards(p, rp);
    if (rv != ST_OK || p->nshards == 0)
        return rv;
    Strata__SchemaQuery sq = STRATA__SCHEMA_QUERY__INIT;
    Strata__TimeRange tr = STRATA__TIME_RANGE__INIT;
    sq.database = (char *)p->db;
    sq.kind = kind;
    if (regex != NULL) {
        sq.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT_REGEX;
        sq.measurement_regex = (char *)regex;
    } else if (name != NULL) {
        sq.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT;
        sq.measurement = (char *)name;
    }
    sq.condition = p->tags;
    sq.tag_keys = (char **)keys;
    sq.n_tag_keys = nkeys;
    sq.tag_key_regex = (char *)(key_regex ? key_regex : "");
    tr.min_ns = p->has_tmin ? p->tmin : INT64_MIN;
    tr.max_ns = p->has_tmax ? p->tmax : INT64_MAX;
    sq.time_range = &tr;
    return rq_list(p, &sq, collect, x);
}

/* The policy a source of a SELECT-like statement reads. */
static const char *source_rp(const struct shw *x, const struct st_iql_source *src)
{
    if (src != NULL && src->rp != NULL && src->rp[0] != '\0')
        return src->rp;
    if (x->req->rp != NULL && x->req->rp[0] != '\0')
        return x->req->rp;
    const Strata__Database *db = st_cat_database(x->p.cat, x->p.db);
    return db != NULL ? db->default_rp : "";
}

/* Lists @kind for every FROM source (all measurements without FROM);
 * @by_rp: from the source's policy only. Sorted and unique. */
static int list_all(struct shw *x, Strata__SchemaKind kind, bool by_rp, const char **keys,
                    size_t nkeys, const char *key_regex)
{
    const struct st_iql_select *sel = x->s->sel;
    int rv = ST_OK;
    if (sel->nsources == 0) {
        rv = list_source(x, kind, NULL, NULL, by_rp ? source_rp(x, NULL) : NULL, keys, nkeys,
                         key_regex);
    }
    for (size_t i = 0; rv == ST_OK && i < sel->nsources; i++) {
        const struct st_iql_source *src = &sel->sources[i];
        if (src->sub != NULL)
            return rq_fail(&x->p, "subqueries are not allowed here");
        rv = list_source(x, kind, src->name, src->regex, by_rp ? source_rp(x, src) : NULL, keys,
                         nkeys, key_regex);
    }
    if (rv == ST_OK)
        sort_unique(x);
    return rv;
}

/* Answers ----------------------------------------------------------------------------- */

static struct st_qv qv_str(const char *s)
{
    struct st_qv v = {.kind = ST_QV_STRING, .s = {s, strlen(s)}};
    return v;
}

/* Copies the string of @v into the result's memory: the listings live in
 * the plan's arena, freed before the answer is written. */
static int own(struct st_qres *res, struct st_qv *v)
{
    if (v->kind != ST_QV_STRING)
        return ST_OK;
    v->s.p = rq_res_str(res, v->s.p, v->s.len);
    return v->s.p != NULL ? ST_OK : ST_ENOMEM;
}

static int row1(struct st_qres *res, struct st_qv a)
{
    struct st_qv *r = rq_res_row(res);
    if (r == NULL || own(res, &a) != ST_OK)
        return ST_ENOMEM;
    r[0] = a;
    return ST_OK;
}

static int row2(struct st_qres *res, struct st_qv a, struct st_qv b)
{
    struct st_qv *r = rq_res_row(res);
    if (r == NULL || own(res, &a) != ST_OK || own(res, &b) != ST_OK)
        return ST_ENOMEM;
    r[0] = a;
    r[1] = b;
    return ST_OK;
}

static int series(struct st_qres *res, const char *name, const char *c0, const char *c1)
{
    struct rq_col cols[2] = {{.name = c0}, {.name = c1}};
    return rq_res_series(res, name, NULL, 0, cols, c1 ? 2 : 1);
}

/* Whether the i-th item (0-based) is kept by OFFSET @off and LIMIT @lim
 * (-1 or 0: not given, as InfluxDB reads LIMIT 0). */
static bool kept(size_t i, int64_t off, int64_t lim)
{
    size_t o = off > 0 ? (size_t)off : 0;
    if (i < o)
        return false;
    return lim <= 0 || i - o < (size_t)lim;
}

/* The end of the run of entries of measurement x->e[i].m. */
static size_t run_end(const struct shw *x, size_t i)
{
    size_t j = i;
    while (j < x->n && strcmp(x->e[j].m, x->e[i].m) == 0)
        j++;
    return j;
}

static const char *type_name(Strata__FieldType t)
{
    switch (t) {
    case STRATA__FIELD_TYPE__FLOAT:
        return "float";
    case STRATA__FIELD_TYPE__INTEGER:
        return "integer";
    case STRATA__FIELD_TYPE__UNSIGNED:
        return "unsigned";
    case STRATA__FIELD_TYPE__STRING:
        return "string";
    case STRATA__FIELD_TYPE__BOOLEAN:
        return "boolean";
    default:
        return "unknown";
    }
}

static int show_measurements(struct shw *x, struct st_qres *res)
{
    const struct st_iql_select *sel = x->s->sel;
    int rv = list_source(x, STRATA__SCHEMA_KIND__MEASUREMENTS, sel->measurement,
                         sel->measurement_regex, NULL, NULL, 0, NULL);
    if (rv != ST_OK)
        return rv;
    sort_unique(x);
    size_t at = 0;
    for (size_t i = 0; rv == ST_OK && i < x->n; i++) {
        if (!kept(i, sel->offset, sel->limit))
            continue;
        if (at++ == 0 && (rv = series(res, "measurements", "name", NULL)) != ST_OK)
            return rv;
        rv = row1(res, qv_str(x->e[i].m));
    }
    return rv;
}

/* One series per measurement of the entries, rows cut per measurement by
 * OFFSET/LIMIT (series left without rows are not written); measurements
 * cut first by SOFFSET/SLIMIT when @slimits. */
static int per_measurement(struct shw *x, struct st_qres *res, const char *c0, const char *c1,
                           bool slimits)
{
    const struct st_iql_select *sel = x->s->sel;
    int rv = ST_OK;
    size_t nm = 0;
    for (size_t i = 0; rv == ST_OK && i < x->n;) {
        size_t end = run_end(x, i);
        if (slimits && !kept(nm++, sel->soffset, sel->slimit)) {
            i = end;
            continue;
        }
        bool begun = false;
        for (size_t j = i; rv == ST_OK && j < end; j++) {
            if (!kept(j - i, sel->offset, sel->limit))
                continue;
            if (!begun && (rv = series(res, x->e[i].m, c0, c1)) != ST_OK)
                return rv;
            begun = true;
            const struct ent *e = &x->e[j];
            if (c1 == NULL)
                rv = row1(res, qv_str(e->k));
            else if (strcmp(c0, "key") == 0)
                rv = row2(res, qv_str(e->k), qv_str(e->v));
            else
                rv = row2(res, qv_str(e->k), qv_str(type_name(e->type)));
        }
        i = end;
    }
    return rv;
}

/* Cardinality --------------------------------------------------------------------------- */

static int show_tag_values(struct shw *x, struct st_qres *res);

/* What a cardinality statement counts of the entries of a measurement. */
enum count_by {
    BY_MEASUREMENT, /* the measurements */
    BY_KEY,         /* tag or field keys */
    BY_VALUE,       /* tag values, series keys */
};

static struct st_qv qv_int(size_t n)
{
    struct st_qv v = {.kind = ST_QV_INT, .i = (int64_t)n};
    return v;
}

/* Leaves the distinct entries of what @by counts, sorted. */
static void distinct(struct shw *x, enum count_by by)
{
    for (size_t i = 0; i < x->n; i++) {
        struct ent *e = &x->e[i];
        e->type = STRATA__FIELD_TYPE__FIELD_TYPE_UNSPECIFIED;
        if (by != BY_KEY)
            e->k = "";
        if (by != BY_VALUE)
            e->v = "";
    }
    sort_unique(x);
}

/* One series @name, column @col, row @n: the one row of InfluxDB's SELECT
 * count(...), so OFFSET 1 or more leaves the series without rows, which is
 * not written. */
static int count_series(struct shw *x, struct st_qres *res, const char *name, const char *col,
                        size_t n)
{
    const struct st_iql_select *sel = x->s->sel;
    if (!kept(0, sel->offset, sel->limit))
        return ST_OK;
    int rv = series(res, name, col, NULL);
    return rv == ST_OK ? row1(res, qv_int(n)) : rv;
}

/* A series per measurement, column "count": its distinct entries by @by. */
static int count_per_measurement(struct shw *x, struct st_qres *res, enum count_by by)
{
    distinct(x, by);
    int rv = ST_OK;
    for (size_t i = 0; rv == ST_OK && i < x->n;) {
        size_t end = run_end(x, i);
        rv = count_series(x, res, x->e[i].m, "count", end - i);
        i = end;
    }
    return rv;
}

/* SHOW SERIES / MEASUREMENT CARDINALITY without clauses: InfluxDB's estimate
 * over every policy, answered with the exact count. */
static int card_estimate(struct shw *x, struct st_qres *res)
{
    bool series_kind = x->s->kind == ST_IQL_SHOW_SERIES_CARDINALITY;
    int rv = ST_OK;
    if (st_cat_database(x->p.cat, x->p.db) != NULL)
        rv = list_all(x,
                      series_kind ? STRATA__SCHEMA_KIND__SERIES : STRATA__SCHEMA_KIND__MEASUREMENTS,
                      false, NULL, 0, NULL);
    if (rv != ST_OK)
        return rv;
    distinct(x, series_kind ? BY_VALUE : BY_MEASUREMENT);
    if ((rv = series(res, "", "cardinality estimation", NULL)) != ST_OK)
        return rv;
    return row1(res, qv_int(x->n));
}

/* The statements InfluxDB 1.6 runs as SELECT count(...) over the source's
 * policy. */
static int card_select(struct shw *x, struct st_qres *res)
{
    const struct st_iql_stmt *s = x->s;
    int rv;
    switch (s->kind) {
    case ST_IQL_SHOW_SERIES_CARDINALITY:
        rv = list_all(x, STRATA__SCHEMA_KIND__SERIES, true, NULL, 0, NULL);
        return rv == ST_OK ? count_per_measurement(x, res, BY_VALUE) : rv;
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
        if ((rv = list_all(x, STRATA__SCHEMA_KIND__MEASUREMENTS, true, NULL, 0, NULL)) != ST_OK)
            return rv;
        distinct(x, BY_MEASUREMENT);
        return x->n > 0 ? count_series(x, res, "", "count", x->n) : ST_OK;
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
        rv = list_all(x, STRATA__SCHEMA_KIND__TAG_KEYS, true, NULL, 0, NULL);
        return rv == ST_OK ? count_per_measurement(x, res, BY_KEY) : rv;
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        rv = list_all(x, STRATA__SCHEMA_KIND__FIELD_KEYS, true, NULL, 0, NULL);
        return rv == ST_OK ? count_per_measurement(x, res, BY_KEY) : rv;
    default: /* TAG VALUES */
        return show_tag_values(x, res);
    }
}

/* InfluxDB 1.6's refusal of a time condition, or NULL. */
static const char *card_time_error(enum st_iql_kind kind)
{
    switch (kind) {
    case ST_IQL_SHOW_SERIES_CARDINALITY:
        return "SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause";
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
        return "SHOW MEASUREMENT EXACT CARDINALITY doesn't support time in WHERE clause";
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
        return "SHOW TAG KEY EXACT CARDINALITY doesn't support time in WHERE clause";
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        return "SHOW FIELD KEY CARDINALITY doesn't support time in WHERE clause";
    default:
        return NULL;
    }
}

static bool is_cardinality(enum st_iql_kind kind)
{
    return kind >= ST_IQL_SHOW_SERIES_CARDINALITY && kind <= ST_IQL_SHOW_FIELD_KEY_CARDINALITY;
}

/* The tag keys SHOW TAG VALUES lists for WITH KEY != k and !~ /re/: every
 * key of the sources less those. */
static int keys_except(struct shw *x, bool by_rp, const char ***out, size_t *nout)
{
    const struct st_iql_select *sel = x->s->sel;
    st_re *re = NULL;
    char emsg[256];
    int rv;
    if (sel->tag_key_op == ST_IQL_KEY_NREGEX &&
        (rv = st_re_compile(sel->tag_key_regex, strlen(sel->tag_key_regex), &re, emsg,
                            sizeof(emsg))) != ST_OK)
        return rv == ST_ENOMEM ? rv : rq_fail(&x->p, "%s", emsg);
    Strata__TagExpr *cond = x->p.tags;
    x->p.tags = NULL; /* the keys of every series: the condition applies to values */
    rv = list_all(x, STRATA__SCHEMA_KIND__TAG_KEYS, by_rp, NULL, 0, NULL);
    x->p.tags = cond;
    const char **keys = rq_alloc(x->p.ar, (x->n ? x->n : 1) * sizeof(*keys));
    size_t n = 0;
    if (rv == ST_OK && keys == NULL)
        rv = ST_ENOMEM;
    for (size_t i = 0; rv == ST_OK && i < x->n; i++) {
        const char *k = x->e[i].k;
        bool skip = re != NULL ? st_re_match(re, k, strlen(k)) : strcmp(k, sel->tag_keys[0]) == 0;
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(keys[j], k) == 0;
        if (!skip && !dup)
            keys[n++] = k;
    }
    st_re_free(re);
    x->n = 0;
    *out = keys;
    *nout = n;
    return rv;
}

static int show_tag_values(struct shw *x, struct st_qres *res)
{
    const struct st_iql_select *sel = x->s->sel;
    bool by_rp = x->s->kind != ST_IQL_SHOW_TAG_VALUES; /* the cardinality form is a SELECT */
    const char **keys = sel->tag_keys;
    size_t nkeys = sel->ntag_keys;
    const char *key_regex = NULL;
    int rv = ST_OK;
    switch (sel->tag_key_op) {
    case ST_IQL_KEY_REGEX:
        key_regex = sel->tag_key_regex;
        nkeys = 0;
        break;
    case ST_IQL_KEY_NEQ:
    case ST_IQL_KEY_NREGEX:
        if ((rv = keys_except(x, by_rp, &keys, &nkeys)) != ST_OK)
            return rv;
        if (nkeys == 0)
            return ST_OK;
        break;
    default:
        break;
    }
    if ((rv = list_all(x, STRATA__SCHEMA_KIND__TAG_VALUES, by_rp, keys, nkeys, key_regex)) != ST_OK)
        return rv;
    if (x->s->kind == ST_IQL_SHOW_TAG_VALUES)
        return per_measurement(x, res, "key", "value", false);
    /* SHOW TAG VALUES CARDINALITY: distinct values of all the keys. */
    return count_per_measurement(x, res, BY_VALUE);
}

static int show_series(struct shw *x, struct st_qres *res)
{
    const struct st_iql_select *sel = x->s->sel;
    int rv = list_all(x, STRATA__SCHEMA_KIND__SERIES, false, NULL, 0, NULL);
    size_t at = 0;
    for (size_t i = 0; rv == ST_OK && i < x->n; i++) {
        if (!kept(i, sel->offset, sel->limit))
            continue;
        if (at++ == 0 && (rv = series(res, "", "key", NULL)) != ST_OK)
            return rv;
        rv = row1(res, qv_str(x->e[i].v));
    }
    return rv;
}

/* Running one statement ---------------------------------------------------------------- */

static int run(struct shw *x, struct st_qres *res)
{
    const struct st_iql_stmt *s = x->s;
    struct rq_plan *p = &x->p;
    p->db = s->db != NULL && s->db[0] != '\0' ? s->db : x->req->db;
    if (p->db == NULL || p->db[0] == '\0')
        return rq_fail(p, "database name required");
    if (st_iql_card_estimate(s))
        return card_estimate(x, res); /* 0 for a database it does not have */
    if (is_cardinality(s->kind) && s->sel->ndims > 0)
        return rq_fail(p, "not implemented yet: GROUP BY in %s", s->what);
    if (st_cat_database(p->cat, p->db) == NULL) {
        /* InfluxDB 1.6 lists no measurement of a database it does not
         * have; the other statements fail. */
        if (s->kind == ST_IQL_SHOW_MEASUREMENTS)
            return ST_OK;
        return rq_fail(p, "database not found: %s", p->db);
    }
    const struct st_iql_expr *rest = NULL;
    int rv = rq_split_time(p, s->sel->cond, x->req->now_ns, &rest);
    if (rv == ST_OK)
        rv = rq_tag_expr(p, rest, &p->tags);
    if (rv != ST_OK)
        return rv;
    if (s->kind == ST_IQL_SHOW_MEASUREMENTS && (p->has_tmin || p->has_tmax))
        return rq_fail(p, "SHOW MEASUREMENTS doesn't support time in WHERE clause");
    if (card_time_error(s->kind) != NULL && (p->has_tmin || p->has_tmax))
        return rq_fail(p, "%s", card_time_error(s->kind));
    if (p->has_tmin && p->has_tmax && p->tmin > p->tmax)
        return ST_OK;
    switch (s->kind) {
    case ST_IQL_SHOW_MEASUREMENTS:
        return show_measurements(x, res);
    case ST_IQL_SHOW_TAG_KEYS:
        /* InfluxDB 1.6 lists the keys of all time and ignores SLIMIT and
         * SOFFSET here. */
        p->has_tmin = p->has_tmax = false;
        rv = list_all(x, STRATA__SCHEMA_KIND__TAG_KEYS, false, NULL, 0, NULL);
        return rv == ST_OK ? per_measurement(x, res, "tagKey", NULL, false) : rv;
    case ST_IQL_SHOW_TAG_VALUES:
        return show_tag_values(x, res);
    case ST_IQL_SHOW_FIELD_KEYS:
        rv = list_all(x, STRATA__SCHEMA_KIND__FIELD_KEYS, true, NULL, 0, NULL);
        return rv == ST_OK ? per_measurement(x, res, "fieldKey", "fieldType", false) : rv;
    case ST_IQL_SHOW_SERIES:
        return show_series(x, res);
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        return card_select(x, res);
    default:
        return rq_fail(p, "not a SHOW statement"); /* UNTESTED: qadmin sends no other */
    }
}

int st_query_show(const struct st_query_env *env, const struct st_query_req *req,
                  const struct st_iql_stmt *s, struct st_qres **out, struct st_buf *err)
{
    struct st_qres *res = NULL;
    struct rq_arena *ar = NULL;
    *out = NULL;
    const struct st_mcat *mc = st_mcli_acquire(env->meta);
    if (mc == NULL) {
        int rv = st_buf_puts(err, "no catalogue from the meta service yet");
        return rv == ST_OK ? ST_EUNAVAIL : rv;
    }
    int rv = rq_res_new(&res);
    if (rv == ST_OK)
        rv = rq_arena_new(&ar);
    struct shw x = {.s = s, .req = req};
    if (rv == ST_OK) {
        x.p = (struct rq_plan){.ar = ar,
                               .cat = mc->cat,
                               .env = env,
                               .err = err,
                               .deadline_ms =
                                   rq_mono_ms() + (env->timeout_ms ? env->timeout_ms : 60000),
                               .sel = s->sel};
        rv = run(&x, res);
    }
    free(x.e);
    rq_arena_free(ar);
    st_mcli_release(env->meta, mc);
    if (rv != ST_OK) {
        st_qres_free(res);
        return rv;
    }
    *out = res;
    return ST_OK;
}
