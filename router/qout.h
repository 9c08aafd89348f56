/* TEMPORARY: the value types of router/qout.h, until the writer lands. */
#ifndef ST_QOUT_H
#define ST_QOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum st_qv_kind {
    ST_QV_NULL,
    ST_QV_FLOAT,
    ST_QV_INT,
    ST_QV_UINT,
    ST_QV_STRING,
    ST_QV_BOOL,
    ST_QV_TIME
};
struct st_qv {
    enum st_qv_kind kind;
    union {
        double f;
        int64_t i;
        uint64_t u;
        bool b;
        int64_t t;
        struct {
            const char *p;
            size_t len;
        } s;
    };
};
struct st_qout_tag {
    const char *key, *value;
};

#endif
