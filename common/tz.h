/* Time zones from the system's TZif files (st_tz_): the UTC offset of a
 * zone at an instant, as Go's time package answers it (InfluxQL's tz()),
 * without TZ / localtime(), so any thread may use a loaded zone.
 *
 * A zone is read once from /usr/share/zoneinfo/<name> (Debian's tzdata),
 * its 64-bit (v2+) transitions and, for instants after the last one, the
 * POSIX TZ rule of the file's footer ("EST5EDT,M3.2.0,M11.1.0"). A loaded
 * zone is immutable. A NULL zone is UTC for every function below. */
#ifndef ST_TZ_H
#define ST_TZ_H

#include <stdint.h>

struct st_tz;

/* Loads zone @name as Go's time.LoadLocation finds it: "" and "UTC" are
 * UTC (*@out is then NULL), "Local" the system's zone (/etc/localtime, UTC
 * without one), anything else a file under /usr/share/zoneinfo/,
 * /usr/share/lib/zoneinfo/ or /usr/lib/locale/TZ/. ST_OK, ST_ENOTFOUND (no
 * such zone, or a name with "..", or starting with / or \), ST_ECORRUPT
 * (not a TZif file) or ST_ENOMEM. Caller frees *@out with st_tz_free(). */
int st_tz_load(const char *name, struct st_tz **out);

void st_tz_free(struct st_tz *z); /* NULL is fine */

/* The UTC offset (seconds east of UTC) of @z at Unix second @sec. */
int32_t st_tz_offset(const struct st_tz *z, int64_t sec);

/* The UTC offset in nanoseconds at instant @ns (ns since the epoch), as
 * InfluxDB's IteratorOptions.Zone() answers it. */
int64_t st_tz_offset_ns(const struct st_tz *z, int64_t ns);

/* The Unix second of wall-clock time @local (seconds since 1970-01-01
 * 00:00:00 of the zone's clock) as Go's time.Date chooses it: the offset in
 * force at @local read as UTC, or, when the result falls outside that
 * offset's period, the offset at the result (a skipped or repeated hour
 * thus maps to one instant as Go maps it). */
int64_t st_tz_from_local(const struct st_tz *z, int64_t local);

/* InfluxDB 1.6's IteratorOptions.Window(): the window [*@start, *@end) of
 * GROUP BY time(@interval, @offset) (ns, 0 < @interval, 0 <= @offset <
 * @interval) holding instant @t, aligned to @z's wall clock: its start is
 * the zone's aligned wall time before @t, moved by an offset change inside
 * the window when the change is shorter than @interval (so time(1d) gives
 * 23 h and 25 h days on DST changes, time(1h) never moves). Saturates at
 * InfluxDB's MinTime / MaxTime (INT64_MIN + 2, INT64_MAX - 1). */
/* Days since 1970-01-01 as a proleptic Gregorian date (any int64 day that
 * fits a year in int). */
void st_tz_civil(int64_t days, int *year, int *month, int *day);

void st_tz_window(const struct st_tz *z, int64_t interval, int64_t offset, int64_t t,
                  int64_t *start, int64_t *end);

#endif
