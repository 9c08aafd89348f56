/* Scripted in-process meta nodes for the meta client's failure-mode tests (t_fake prefix). */
#ifndef ST_TEST_FAKE_META_H
#define ST_TEST_FAKE_META_H

#include <stddef.h>

/*
 * A fake answers the meta RPC on a free loopback port from an st_cat state
 * shared by a group of fakes (a "cluster" without raft): GetCatalogue and
 * Watch on any fake; Apply, RegisterNode and Heartbeat as its mode says.
 * Every command a leader fake applies is counted per command kind, which is
 * how the tests see what the client proposed.
 */

struct t_fake_state;
typedef struct t_fake t_fake;

enum t_fake_mode {
    T_FAKE_LEADER,    /* applies commands */
    T_FAKE_REDIRECT,  /* answers NOT_LEADER naming another URL */
    T_FAKE_NO_LEADER, /* answers NO_LEADER */
};

/* An empty shared catalogue. Caller owns it; free with t_fake_state_free()
 * after the fakes using it are stopped. NULL on out of memory. */
struct t_fake_state *t_fake_state_new(void);
void t_fake_state_free(struct t_fake_state *st);

/* Leader fakes sleep @ms before applying each command (outside the lock),
 * so that concurrent proposals overlap. */
void t_fake_set_apply_delay(struct t_fake_state *st, unsigned ms);

/* Commands applied so far of kind @cmd_case (a Strata__Command__CmdCase). */
unsigned t_fake_applied(struct t_fake_state *st, int cmd_case);

/* Starts a fake on tcp://127.0.0.1:<free port> in mode T_FAKE_LEADER.
 * Borrows @st. NULL on error. Stop and free with t_fake_stop(). */
t_fake *t_fake_start(struct t_fake_state *st);
void t_fake_stop(t_fake *f);

/* Its URL; valid until t_fake_stop(). */
const char *t_fake_url(const t_fake *f);

/* Changes its behaviour; @leader_url (copied) is the URL a T_FAKE_REDIRECT
 * names. */
void t_fake_set_mode(t_fake *f, enum t_fake_mode mode, const char *leader_url);

/* Requests it received (all kinds). */
unsigned t_fake_requests(t_fake *f);

#endif
