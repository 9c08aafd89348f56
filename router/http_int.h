/* Private parts of the HTTP server shared by router/http*.c: request ids, gzip, form bodies. */
#ifndef ST_HTTP_INT_H
#define ST_HTTP_INT_H

#include <stddef.h>

#include "buf.h"
#include "http.h"

/* Characters in a UUID's text form, without the NUL. */
#define ST_HTTP_ID_LEN 36

/* Writes a fresh random UUID v4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx",
 * lowercase) and a NUL into @out. Thread-safe: each thread has its own
 * generator, seeded once from getrandom(). */
void st_http_uuid(char out[ST_HTTP_ID_LEN + 1]);

/* Inflates the gzip stream @in (@len bytes, borrowed; concatenated members
 * are read one after the other) by appending to @out, which the caller owns
 * and frees also on error. ST_OK; ST_ERANGE when the output would exceed
 * @max bytes; ST_ECORRUPT when the stream is bad or truncated, with a message
 * in Go's words ("gzip: invalid header", "unexpected EOF") in @err; ST_ENOMEM. */
int st_http_gunzip(const char *in, size_t len, size_t max, struct st_buf *out, char *err,
                   size_t errlen);

/* The parameters of an application/x-www-form-urlencoded body. Zeroed is
 * empty; st_http_form_fini() frees. */
struct st_http_form {
    char *mem; /* the decoded copy of the body that the pairs point into */
    size_t n;  /* pairs in kv */
    struct st_http_kv {
        const char *name;
        const char *value;
    } * kv;
};

/* Parses @body (@len bytes, copied): pairs split on '&' and '=', '+' is a
 * space, %XX a byte; a pair with a bad escape is skipped, as Go's
 * url.ParseQuery does. ST_OK or ST_ENOMEM. */
int st_http_form_parse(struct st_http_form *f, const char *body, size_t len);

/* The first value of @name, or NULL. Valid until st_http_form_fini(). */
const char *st_http_form_get(const struct st_http_form *f, const char *name);

void st_http_form_fini(struct st_http_form *f);

#endif
