/* Segment readers keep their index in memory but not necessarily their file
 * open: past st_segment_set_fd_limit() descriptors, the least recently used
 * idle ones are closed and reopened on the next read of their segment. A
 * shard holds a few segments after compaction, so the limit matters on a
 * node with many shards (long retention, small shard groups). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "segment.h"
#include "segment_fd.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t limit; /* 0 = none */
static size_t nopen;
static struct st_seg_fd *oldest, *newest; /* idle list */

static void idle_remove(struct st_seg_fd *f)
{
    if (!f->idle)
        return;
    if (f->prev)
        f->prev->next = f->next;
    else
        oldest = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        newest = f->prev;
    f->prev = f->next = NULL;
    f->idle = false;
}

static void idle_append(struct st_seg_fd *f)
{
    f->prev = newest;
    f->next = NULL;
    if (newest)
        newest->next = f;
    else
        oldest = f;
    newest = f;
    f->idle = true;
}

/* Closes idle descriptors, oldest first, while over the limit. */
static void evict(void)
{
    while (limit && nopen > limit && oldest) {
        struct st_seg_fd *f = oldest;
        idle_remove(f);
        close(f->fd);
        f->fd = -1;
        nopen--;
    }
}

void st_segment_set_fd_limit(size_t n)
{
    pthread_mutex_lock(&mu);
    limit = n;
    evict();
    pthread_mutex_unlock(&mu);
}

size_t st_segment_open_fds(void)
{
    pthread_mutex_lock(&mu);
    size_t n = nopen;
    pthread_mutex_unlock(&mu);
    return n;
}

void st_seg_fd_adopt(struct st_seg_fd *f, int fd)
{
    pthread_mutex_lock(&mu);
    f->fd = fd;
    nopen++;
    idle_append(f);
    evict();
    pthread_mutex_unlock(&mu);
}

int st_seg_fd_acquire(struct st_seg_fd *f)
{
    pthread_mutex_lock(&mu);
    if (f->fd < 0) {
        /* open under the lock: rare (after an eviction), and it keeps two
         * readers of one segment from opening it twice */
        int fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            pthread_mutex_unlock(&mu);
            return -e;
        }
        f->fd = fd;
        nopen++;
    }
    idle_remove(f);
    f->users++;
    evict();
    int fd = f->fd;
    pthread_mutex_unlock(&mu);
    return fd;
}

void st_seg_fd_release(struct st_seg_fd *f)
{
    pthread_mutex_lock(&mu);
    if (--f->users == 0 && f->fd >= 0)
        idle_append(f);
    evict();
    pthread_mutex_unlock(&mu);
}

void st_seg_fd_close(struct st_seg_fd *f)
{
    pthread_mutex_lock(&mu);
    idle_remove(f);
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
        nopen--;
    }
    pthread_mutex_unlock(&mu);
}
