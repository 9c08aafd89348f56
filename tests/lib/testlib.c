/* Helpers shared by strata's Check tests. */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int t_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

static const char *join(const char *env, const char *fallback, const char *rel)
{
    static char path[4096];
    const char *dir = getenv(env);
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : fallback, rel);
    return path;
}

const char *t_build_path(const char *rel)
{
    return join("ST_BUILD_DIR", ".", rel);
}

const char *t_source_path(const char *rel)
{
    return join("ST_SOURCE_DIR", "..", rel);
}

int t_run_capture(char *const argv[], const char *input, size_t input_len, char **out)
{
    int in[2], outp[2];
    *out = NULL;
    if (pipe(in) != 0)
        return -1;
    if (pipe(outp) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    /* Small inputs fit in the pipe buffer; write all, then read all. */
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < input_len) {
        ssize_t w = write(in[1], input + off, input_len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(in[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(outp[0], buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(outp[0]);
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st)) {
        free(buf);
        return -1;
    }
    *out = buf;
    return WEXITSTATUS(st);
}
