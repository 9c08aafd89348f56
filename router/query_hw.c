/* holt_winters(agg, N, S) and holt_winters_with_fit(): InfluxDB 1.6's
 * damped Holt-Winters forecast (query/functions.go FloatHoltWintersReducer)
 * with its Nelder-Mead fit (query/neldermead), reproduced operation for
 * operation so that the answers agree to the last bits.
 *
 * The points of a series (the aggregate's non-null windows) are placed on
 * the interval grid (times rounded to the nearest interval; missing
 * windows are NaN and skipped by the error sum; a second point in one
 * window is dropped). Initial level, trend and seasonal factors come from
 * the first season(s); then, for each of 2^4 starting guesses of (alpha,
 * beta, gamma, phi) in {0.3, 0.7}, Nelder-Mead minimises the sum of
 * squared errors over all parameters (epsilon 1e-4, simplex scale 1, at
 * most 1000 iterations). The best fit forecasts N points after the last
 * one (holt_winters) or also gives the fitted values from the first point
 * (holt_winters_with_fit).
 *
 * InfluxDB's quirks kept on purpose: evaluating the error clamps the
 * vertex's alpha..phi into [0, 1] and rotates its seasonal factors in place
 * (the optimizer continues from the changed vertex); the recursion feeds
 * each forecast, not the observed value, into the next step; phi^t is Go's
 * math.Pow (repeated squaring), which is not always correctly rounded.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

/* Go's math.Pow(x, n) for an integer n >= 1 and finite x >= 0. */
static double go_pow_int(double x, int64_t n)
{
    if (x == 1)
        return 1;
    if (n == 1)
        return x;
    if (x == 0)
        return 0;
    int xe;
    double x1 = frexp(x, &xe), a1 = 1;
    long ae = 0;
    for (int64_t i = n; i != 0; i >>= 1) {
        if (xe < -(1 << 12) || (1 << 12) < xe) {
            ae += xe; /* catastrophic under/overflow */
            break;
        }
        if (i & 1) {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe *= 2; /* Go shifts; a negative left shift is undefined in C */
        if (x1 < .5) {
            x1 += x1;
            xe--;
        }
    }
    if (ae > 1 << 20)
        ae = 1 << 20;
    if (ae < -(1 << 20))
        ae = -(1 << 20);
    return ldexp(a1, (int)ae);
}

struct hw {
    const double *y; /* the series on the grid, NaN for a missing window */
    size_t ny;
    int64_t m; /* season */
    bool seasonal;
    double *out; /* forecast scratch: ny + h values */
};

static void constrain(double *x)
{
    for (int i = 0; i < 4; i++) {
        if (x[i] > 1)
            x[i] = 1;
        if (x[i] < 0)
            x[i] = 0;
    }
}

/* Forecasts ny + h values into w->out from @params (changed in place as
 * InfluxDB does: clamped, seasonal factors rotated). */
static void forecast(struct hw *w, size_t h, double *params)
{
    constrain(params);
    double yT = w->y[0], phi = params[3], phiH = phi, lT = params[4], bT = params[5];
    double *seasonals = params + 6;
    int64_t m = 0, so = 0;
    if (w->seasonal) {
        m = w->m;
        if (m == 1)
            seasonals[0] = 1;
        so = m - 1;
    }
    w->out[0] = yT;
    double stm = 1, stmh = 1;
    for (int64_t t = 1; t < (int64_t)(w->ny + h); t++) {
        if (w->seasonal) {
            int64_t hm = t % m;
            stm = seasonals[(t - m + so) % m];
            stmh = seasonals[(t - m + hm + so) % m];
        }
        double alpha = params[0], beta = params[1], gamma = params[2];
        double lTp = lT, bTp = bT;
        lT = alpha * (yT / stm) + (1 - alpha) * (lTp + phi * bTp);
        bT = beta * (lT - lTp) + (1 - beta) * phi * bTp;
        double sT = gamma * (yT / (lTp + phi * bTp)) + (1 - gamma) * stm;
        yT = (lT + phiH * bT) * stmh;
        phiH += go_pow_int(phi, t);
        if (w->seasonal) {
            seasonals[(t + so) % m] = sT;
            so++;
        }
        w->out[t] = yT;
    }
}

static double sse(struct hw *w, double *params)
{
    double sum = 0;
    forecast(w, 0, params);
    for (size_t i = 0; i < w->ny; i++) {
        if (isnan(w->y[i]))
            continue;
        if (isnan(w->out[i]))
            return INFINITY;
        double d = w->out[i] - w->y[i];
        sum += d * d;
    }
    return sum;
}

/* Nelder-Mead (InfluxDB's neldermead.Optimize: reflection 1, contraction
 * 0.5, expansion 2, 1000 iterations, scale 1). @best gets the parameters
 * (n values); returns the minimum. @ws: scratch of (n + 5) * (n + 1) doubles. */
static double nelder_mead(struct hw *w, const double *start, size_t n, double eps, double *best,
                          double *ws)
{
    double *v = ws, *f = ws + (n + 1) * n, *vr = f + n + 1, *ve = vr + n, *vc = ve + n,
           *vm = vc + n;
#define V(i, j) v[(i)*n + (j)]
    double dn = (double)n;
    double pn = 1.0 * (sqrt((double)(n + 1)) - 1 + dn) / (dn * sqrt(2));
    double qn = 1.0 * (sqrt((double)(n + 1)) - 1) / (dn * sqrt(2));
    for (size_t i = 0; i < n; i++)
        V(0, i) = start[i];
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 0; j < n; j++)
            V(i, j) = (i - 1 == j ? pn : qn) + start[j];
    for (size_t j = 0; j <= n; j++)
        f[j] = sse(w, &V(j, 0));
    for (int itr = 1; itr <= 1000; itr++) {
        size_t vg = 0, vs = 0;
        for (size_t i = 0; i <= n; i++) {
            if (f[i] > f[vg])
                vg = i;
            if (f[i] < f[vs])
                vs = i;
        }
        size_t vh = vs;
        for (size_t i = 0; i <= n; i++)
            if (f[i] > f[vh] && f[i] < f[vg])
                vh = i;
        for (size_t i = 0; i < n; i++) {
            double cent = 0;
            for (size_t k = 0; k <= n; k++)
                if (k != vg)
                    cent += V(k, i);
            vm[i] = cent / dn;
        }
        for (size_t i = 0; i < n; i++)
            vr[i] = vm[i] + 1.0 * (vm[i] - V(vg, i));
        double fr = sse(w, vr);
        if (fr < f[vh] && fr >= f[vs]) {
            memcpy(&V(vg, 0), vr, n * sizeof(double));
            f[vg] = fr;
        }
        if (fr < f[vs]) {
            for (size_t i = 0; i < n; i++)
                ve[i] = vm[i] + 2.0 * (vr[i] - vm[i]);
            double fe = sse(w, ve);
            memcpy(&V(vg, 0), fe < fr ? ve : vr, n * sizeof(double));
            f[vg] = fe < fr ? fe : fr;
        }
        if (fr >= f[vh]) {
            if (fr < f[vg] && fr >= f[vh])
                for (size_t i = 0; i < n; i++)
                    vc[i] = vm[i] + 0.5 * (vr[i] - vm[i]);
            else
                for (size_t i = 0; i < n; i++)
                    vc[i] = vm[i] - 0.5 * (vm[i] - V(vg, i));
            double fc = sse(w, vc);
            if (fc < f[vg]) {
                memcpy(&V(vg, 0), vc, n * sizeof(double));
                f[vg] = fc;
            } else {
                for (size_t row = 0; row <= n; row++)
                    if (row != vs)
                        for (size_t i = 0; i < n; i++)
                            V(row, i) = V(vs, i) + (V(row, i) - V(vs, i)) / 2.0;
                f[vg] = sse(w, &V(vg, 0));
                f[vh] = sse(w, &V(vh, 0));
            }
        }
        double fsum = 0;
        for (size_t i = 0; i <= n; i++)
            fsum += f[i];
        double favg = fsum / (double)(n + 1), s = 0;
        for (size_t i = 0; i <= n; i++)
            s += ((f[i] - favg) * (f[i] - favg)) / dn;
        s = sqrt(s);
        if (s < eps)
            break;
    }
    size_t vs = 0;
    for (size_t i = 0; i <= n; i++)
        if (f[i] < f[vs])
            vs = i;
    memcpy(best, &V(vs, 0), n * sizeof(double));
    return sse(w, &V(vs, 0));
#undef V
}

static int64_t round_time(int64_t t, int64_t interval)
{
    int64_t rem = t % interval;
    if (rem > interval / 2)
        return (t / interval + 1) * interval;
    return (t / interval) * interval;
}

int rq_hw_transform(int64_t h, int64_t m, bool fit, int64_t interval, const int64_t *t,
                    const struct st_qv *v, size_t nin, int64_t **ot, struct st_qv **ov,
                    size_t *nout)
{
    *ot = NULL;
    *ov = NULL;
    *nout = 0;
    /* The non-null points, as floats. */
    int64_t *pt = malloc((nin ? nin : 1) * sizeof(*pt));
    double *pv = malloc((nin ? nin : 1) * sizeof(*pv));
    double *y = NULL, *params = NULL, *best = NULL, *cand = NULL, *ws = NULL, *out = NULL;
    int rv = ST_ENOMEM;
    if (pt == NULL || pv == NULL)
        goto out;
    size_t np = 0;
    for (size_t i = 0; i < nin; i++) {
        if (v[i].kind == ST_QV_FLOAT)
            pv[np] = v[i].f;
        else if (v[i].kind == ST_QV_INT)
            pv[np] = (double)v[i].i;
        else if (v[i].kind == ST_QV_UINT)
            pv[np] = (double)v[i].u;
        else
            continue;
        pt[np++] = t[i];
    }
    bool seasonal = m >= 2;
    rv = ST_OK;
    if (np < 2 || (seasonal && np < (size_t)m) || h <= 0 || interval <= 0)
        goto out;
    int64_t start = round_time(pt[0], interval), stop = round_time(pt[np - 1], interval);
    int64_t count = (stop - start) / interval;
    if (count <= 0)
        goto out;
    rv = ST_ENOMEM;
    size_t ny = 0;
    if ((y = malloc(((size_t)count + 1) * sizeof(*y))) == NULL)
        goto out;
    y[ny++] = pv[0];
    int64_t at = start;
    for (size_t i = 1; i < np; i++) {
        int64_t r = round_time(pt[i], interval);
        if (r <= at)
            continue; /* a second point in one window */
        at += interval;
        while (r != at) {
            y[ny++] = NAN;
            at += interval;
        }
        y[ny++] = pv[i];
    }
    size_t ns = seasonal ? (size_t)m : 0, n = 6 + ns;
    params = calloc(n, sizeof(*params));
    best = calloc(n, sizeof(*best));
    cand = calloc(n, sizeof(*cand));
    ws = calloc((n + 5) * (n + 1), sizeof(*ws));
    out = calloc(ny + (size_t)h, sizeof(*out));
    if (params == NULL || best == NULL || cand == NULL || ws == NULL || out == NULL)
        goto out;
    double l0 = 0, b0 = 0;
    if (seasonal) {
        for (size_t i = 0; i < ns; i++)
            if (!isnan(y[i]))
                l0 += (1 / (double)m) * y[i];
        for (size_t i = 0; i < ns && ns + i < ny; i++)
            if (!isnan(y[i]) && !isnan(y[ns + i]))
                b0 += 1 / (double)(m * m) * (y[ns + i] - y[i]);
        for (size_t i = 0; i < ns; i++)
            params[6 + i] = !isnan(y[i]) ? y[i] / l0 : 0;
    } else {
        l0 += 0.5 * y[0];
        if (!isnan(y[1]))
            b0 = 0.5 * (y[1] - y[0]);
    }
    params[4] = l0;
    params[5] = b0;
    struct hw w = {.y = y, .ny = ny, .m = m, .seasonal = seasonal, .out = out};
    double min = INFINITY;
    bool have = false;
    for (double a = 0.3; a < 1.0; a += 0.4)
        for (double b = 0.3; b < 1.0; b += 0.4)
            for (double g = 0.3; g < 1.0; g += 0.4)
                for (double p = 0.3; p < 1.0; p += 0.4) {
                    params[0] = a;
                    params[1] = b;
                    params[2] = g;
                    params[3] = p;
                    double e = nelder_mead(&w, params, n, 1.0e-4, cand, ws);
                    if (e < min || !have) {
                        min = e;
                        memcpy(best, cand, n * sizeof(*best));
                        have = true;
                    }
                }
    forecast(&w, (size_t)h, best);
    size_t from = fit ? 0 : ny, total = ny + (size_t)h;
    *ot = malloc((total - from) * sizeof(**ot));
    *ov = malloc((total - from) * sizeof(**ov));
    if (*ot == NULL || *ov == NULL)
        goto out;
    for (size_t i = from; i < total; i++) {
        if (isnan(out[i]))
            continue;
        (*ot)[*nout] =
            fit ? pt[0] + interval * (int64_t)i : pt[np - 1] + interval * (int64_t)(i - ny + 1);
        (*ov)[(*nout)++] = (struct st_qv){.kind = ST_QV_FLOAT, .f = out[i]};
    }
    rv = ST_OK;
out:
    free(pt);
    free(pv);
    free(y);
    free(params);
    free(best);
    free(cand);
    free(ws);
    free(out);
    return rv;
}
