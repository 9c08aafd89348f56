/* Real processes for end-to-end tests. */
#define _GNU_SOURCE
#include "proc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int t_free_port(void)
{
    static int used[256];
    static int nused;
    for (int attempt = 0; attempt < 64; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
            getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
            close(fd);
            return -1;
        }
        close(fd);
        int port = ntohs(a.sin_port), seen = 0;
        for (int i = 0; i < nused; i++)
            seen |= used[i] == port;
        if (seen)
            continue;
        if (nused < 256)
            used[nused++] = port;
        return port;
    }
    return -1;
}

pid_t t_proc_start(char *const argv[], const char *log)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    if (log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
    }
    execv(argv[0], argv);
    _exit(127);
}

bool t_wait_file(const char *path, pid_t pid, int timeout_ms)
{
    long long end = t_now_ms() + timeout_ms;
    for (;;) {
        if (access(path, F_OK) == 0)
            return true;
        if (pid > 0) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid)
                return false;
        }
        if (t_now_ms() >= end)
            return false;
        usleep(10000);
    }
}

int t_proc_kill(pid_t pid, int sig, bool wait)
{
    if (pid <= 0)
        return -1;
    kill(pid, sig);
    if (!wait)
        return 0;
    long long end = t_now_ms() + 10000;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (t_now_ms() >= end) {
            kill(pid, SIGKILL);
            return waitpid(pid, &st, 0) == pid ? st : -1;
        }
        usleep(5000);
    }
}

char *t_tmpdir(const char *prefix)
{
    const char *base = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/%s.XXXXXX", base && *base ? base : "/tmp", prefix) < 0)
        return NULL;
    if (mkdtemp(path) == NULL) {
        free(path);
        return NULL;
    }
    return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p); /* best effort: keep walking */
    return 0;
}

void t_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
