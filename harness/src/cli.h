/* cli.h -- the shmfuzz command's subcommands and shared input helpers. */
#ifndef SHMF_CLI_H
#define SHMF_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "opstream.h"

#define SHMF_EXIT_CLEAN 0
#define SHMF_EXIT_FINDING 1
#define SHMF_EXIT_USAGE 2

/* Read a whole file; returns 0 or -errno.  *data is malloc'ed (NUL-terminated). */
int shmf_read_file(const char *path, uint8_t **data, size_t *len);

/* Load an input: text form when the name ends in ".ops", else binary.  The
   encoded bytes go to *bytes (malloc'ed).  Returns 0, or -EINVAL with a one-line
   reason in err. */
int shmf_load_input(const char *path, struct shmf_prog *p, uint8_t **bytes, size_t *len,
                    char *err, size_t errlen);

/* Parse the arguments "FILE [-o OUT]", in any order, after the subcommand name
   (argv[0]).  *in and *out are NULL when absent.  Returns 0, or -EINVAL on a
   second positional argument. */
int shmf_parse_in_out(int argc, char **argv, const char **in, const char **out);

/* Print "shmfuzz: <msg>" to stderr and return SHMF_EXIT_USAGE. */
int shmf_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int shmf_cmd_replay(int argc, char **argv);
int shmf_cmd_decode(int argc, char **argv);
int shmf_cmd_encode(int argc, char **argv);
int shmf_cmd_kinds(int argc, char **argv);
int shmf_cmd_providers(int argc, char **argv);
int shmf_cmd_repro_c(int argc, char **argv);
int shmf_cmd_minimize(int argc, char **argv);
int shmf_cmd_stress(int argc, char **argv);
int shmf_cmd_report(int argc, char **argv);
int shmf_cmd_report_diff(int argc, char **argv);

#endif
