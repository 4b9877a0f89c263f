/*
 * cli.h -- the shmfuzz command's subcommands and the helpers they share.
 *
 * Exit codes everywhere: 0 clean, 1 findings, 2 usage / input / environment error
 * with exactly one line on stderr ("shmfuzz: CMD: reason"; the provider loader's
 * own reason is printed as it is, "shmfuzz: cannot load provider P: ...", which
 * scripts/campaign.sh quotes in its provider check).  Every subcommand
 * takes -h/--help (usage on stdout, exit 0), rejects unknown options, missing
 * option values and extra arguments with one line naming the problem, checks
 * its inputs and that its outputs can be written before it runs, and frees what
 * it allocated on every path, so an error never ends in a sanitizer report.
 */
#ifndef SHMF_CLI_H
#define SHMF_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opstream.h"

#include "exit_codes.h"
#include "fileio.h"

/* Returned by the argument parsers when the command should go on; any other
   value is the exit code to return at once (0 after --help, 2 after an error,
   whose line is already printed). */
#define SHMF_CONTINUE (-1)

/* Returned by shmf_getopt after it printed the line for a bad option. */
#define SHMF_OPT_ERROR '?'

/* Load an input: text form when the name ends in ".ops", else binary.  The
   encoded bytes go to *bytes (malloc'ed).  Returns 0, or a negative errno with a
   one-line reason in err (nothing is allocated then). */
int shmf_load_input(const char *path, struct shmf_prog *p, uint8_t **bytes, size_t *len, char *err,
                    size_t errlen);

/* getopt_long for a subcommand: shortopts without a leading ':' (added here),
   getopt's own messages off.  Returns the option, -1 after the last one, or
   SHMF_OPT_ERROR after printing one line for an unknown option, a missing value
   or a value that is itself a long option ("--json --trace").  The caller sets
   optind = 1 first. */
int shmf_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts);

/* One of replay's fault options (--fail-nth N, --fail-every K,
   --fail-first-per-site, --fault-random PERMILLE, --fault-seed X; getopt codes
   N E F R S) into `plan`.  Returns SHMF_CONTINUE, or SHMF_EXIT_USAGE after the
   line "CMD: bad value ..." for a value out of range. */
struct shmf_fault_plan;
int shmf_fault_option(const char *cmd, struct shmf_fault_plan *plan, int c, const char *arg);

/* Parse "FILE [-o|--out OUT] [-h|--help]", in any order, after the subcommand
   name (argv[0]).  *in and *out are NULL when absent; FILE is required, and OUT
   when out_required.  Returns SHMF_CONTINUE or an exit code. */
int shmf_parse_in_out(const char *cmd, int argc, char **argv, const char **in, const char **out,
                      bool out_required);

/* Whether a file can be created at path: it is not a directory and a probe file
   can be created (and is removed) in its directory.  Returns 0, or -errno with
   "cannot write PATH: reason" in err. */
int shmf_check_output_file(const char *path, char *err, size_t errlen);

/* Whether a file can be created in the existing directory dir (a probe file is
   created and removed).  Returns 0, or -errno with a reason in err. */
int shmf_check_output_dir(const char *dir, char *err, size_t errlen);

/* A --provider value as shmf_target_open should see it: a bare "x.so" that names
   a file of the current directory becomes "./x.so" in buf (dlopen would search
   the library path instead); anything else is returned as is. */
const char *shmf_provider_arg(const char *spec, char *buf, size_t n);

/* Print "shmfuzz: <msg>" to stderr and return SHMF_EXIT_USAGE. */
int shmf_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of subcommand cmd to stdout and return SHMF_EXIT_CLEAN. */
int shmf_print_usage(const char *cmd);

int shmf_cmd_replay(int argc, char **argv);
int shmf_cmd_decode(int argc, char **argv);
int shmf_cmd_encode(int argc, char **argv);
int shmf_cmd_dict(int argc, char **argv);
int shmf_cmd_kinds(int argc, char **argv);
int shmf_cmd_providers(int argc, char **argv);
int shmf_cmd_repro_c(int argc, char **argv);
int shmf_cmd_minimize(int argc, char **argv);
int shmf_cmd_stress(int argc, char **argv);
int shmf_cmd_report(int argc, char **argv);
int shmf_cmd_report_diff(int argc, char **argv);

#endif
