/* stratactl: the admin CLI. Each subcommand is one st_ctl_<name>() entry. */
#ifndef ST_CTL_H
#define ST_CTL_H

#include <stdio.h>

/* `stratactl parse [--precision P] [--now NS] [FILE|-]`: prints one JSON
 * object per point or per bad line to @out. Returns the exit status: 0 all
 * lines good, 1 some line bad, 2 usage or I/O error (message on @err). */
int st_ctl_parse(int argc, char **argv, FILE *out, FILE *err);

#endif
