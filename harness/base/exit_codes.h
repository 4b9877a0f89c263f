/*
 * exit_codes.h -- the exit codes of every shmfuzz program (the CLI, the stress
 * runner's crash path, the scripts' documented contract): 0 clean, 1 findings,
 * 2 usage / input / environment error.  Includes nothing; any layer may use it.
 */
#ifndef SHMF_EXIT_CODES_H
#define SHMF_EXIT_CODES_H

#define SHMF_EXIT_CLEAN 0
#define SHMF_EXIT_FINDING 1
#define SHMF_EXIT_USAGE 2

#endif /* SHMF_EXIT_CODES_H */
