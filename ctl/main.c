/* stratactl: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *f)
{
    fputs("usage: stratactl <command> [options]\n"
          "\n"
          "commands:\n"
          "  parse [--precision P] [--now NS] [FILE|-]\n"
          "      check line protocol: print one JSON object per point or per\n"
          "      bad line; exit 1 if any line is bad\n"
          "\n"
          "Cluster administration (nodes, shards, rebalance) arrives with the\n"
          "meta service; see docs/status.md.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "parse") == 0)
        return st_ctl_parse(argc - 1, argv + 1, stdout, stderr);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "stratactl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
