/* TEMPORARY stub. */
#ifndef ST_QADMIN_H
#define ST_QADMIN_H
#include <stdbool.h>
#include "buf.h"
#include "client.h"
struct st_qctx {
    st_mcli *meta;
    const char *db;
    const char *user;
    bool auth;
    bool pretty;
    unsigned timeout_ms;
};
int st_qadmin_run(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status);
#endif
