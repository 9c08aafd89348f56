/* Private to the segment module: the descriptors of segment readers, at
 * most a process-wide limit open at once (segment_fd.c). */
#ifndef ST_SEGMENT_FD_H
#define ST_SEGMENT_FD_H

#include <stdbool.h>
#include <stddef.h>

/* A reader's descriptor slot; its members are guarded by the pool's lock. */
struct st_seg_fd {
    int fd;                        /* -1 while closed */
    unsigned users;                /* reads in progress: never closed meanwhile */
    const char *path;              /* to reopen; owned by the reader */
    struct st_seg_fd *prev, *next; /* idle list (open, no users), oldest first */
    bool idle;
};

/* Takes @f's open descriptor @fd (just opened by st_segment_open) into the
 * pool, idle; may close older idle ones to keep under the limit. */
void st_seg_fd_adopt(struct st_seg_fd *f, int fd);
/* Returns @f's descriptor for a read, reopening it if it was closed, and
 * marks it in use; or -errno. Pair with st_seg_fd_release(). */
int st_seg_fd_acquire(struct st_seg_fd *f);
void st_seg_fd_release(struct st_seg_fd *f);
/* Closes and forgets @f (the reader is closing; it has no users). */
void st_seg_fd_close(struct st_seg_fd *f);

#endif
