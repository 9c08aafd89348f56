/* Real processes for end-to-end tests: free loopback ports, start, kill, wait (t_ prefix). */
#ifndef ST_TEST_PROC_H
#define ST_TEST_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then
 * closed). Ports handed out by one process are never repeated. -1 on error. */
int t_free_port(void);

/* Starts @argv (argv[0] a path; NULL-terminated) with stdout and stderr
 * appended to @log (may be NULL: inherited). The child gets its own process
 * group and dies with the test (PR_SET_PDEATHSIG SIGKILL). Returns the pid,
 * or -1. */
pid_t t_proc_start(char *const argv[], const char *log);

/* Waits up to @timeout_ms for @path to exist (a --ready-file). Returns true
 * when it does; false on timeout or when @pid (if > 0) exited first. */
bool t_wait_file(const char *path, pid_t pid, int timeout_ms);

/* Sends @sig to @pid and, when @wait, reaps it (up to 10 s, then SIGKILL).
 * Returns the wait status, or -1. */
int t_proc_kill(pid_t pid, int sig, bool wait);

/* Creates a fresh empty directory under $TMPDIR (or /tmp) named after
 * @prefix; returns a static-free malloc'ed path the caller frees. NULL on error. */
char *t_tmpdir(const char *prefix);

/* rm -rf @path (best effort). */
void t_rmtree(const char *path);

/* Monotonic milliseconds. */
long long t_now_ms(void);

#endif
