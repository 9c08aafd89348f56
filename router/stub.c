#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "auth.h"
#include "err.h"
#include "qadmin.h"
int st_auth_creds_parse(const char *a, const char *u, const char *p, struct st_auth_creds *out)
{
    (void)a; (void)u; (void)p; memset(out, 0, sizeof(*out)); return 0;
}
int st_auth_open(st_auth **out) { *out = NULL; return 0; }
void st_auth_close(st_auth *a) { (void)a; }
int st_auth_check(st_auth *a, const Strata__Catalogue *cat, const struct st_auth_creds *c,
                  const char *db, enum st_auth_need need, char *msg, size_t msglen)
{ (void)a; (void)cat; (void)c; (void)db; (void)need; (void)msg; (void)msglen; return 0; }
int st_qadmin_run(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status)
{
    if (strncasecmp(q, "CREATE DATABASE ", 16) == 0) {
        Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
        Strata__Command cmd = STRATA__COMMAND__INIT;
        cd.name = (char *)q + 16;
        cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
        cmd.create_database = &cd;
        char err[256];
        int rv = st_mcli_apply(ctx->meta, &cmd, 5000, NULL, err, sizeof(err));
        *status = rv == 0 ? 200 : 500;
        st_buf_puts(out, "{\"results\":[{\"statement_id\":0}]}\n");
        return 0;
    }
    if (strncasecmp(q, "SHOW DATABASES", 14) == 0) {
        *status = 200;
        st_buf_puts(out, "{\"results\":[{\"statement_id\":0}]}\n");
        return 0;
    }
    *status = 400;
    st_buf_puts(out, "{\"error\":\"stub\"}\n");
    return 0;
}
