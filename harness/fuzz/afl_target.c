/*
 * afl_target.c -- the AFL++ target: persistent mode with shared-memory test
 * cases (__AFL_LOOP, __AFL_FUZZ_TESTCASE_BUF).  Built without afl-clang-fast it
 * is a plain runner: it runs each file named on the command line (or stdin).
 *
 * Where the provider's comparison hooks are wrapped (cmplog_hooks.c), each
 * input's comparisons go to the ring the custom mutator reads (cmp.h):
 * shmf_cmp_begin() starts its table.  Elsewhere that function is not linked
 * (weak: NULL).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

void shmf_cmp_begin(const uint8_t *data, size_t size) __attribute__((weak));

static void run_one(const unsigned char *buf, size_t len)
{
    if (shmf_cmp_begin)
        shmf_cmp_begin(buf, len);
    shmf_fuzz_one(buf, len);
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

/*
 * AFL++ 4.04c (Debian 12's) starts its CMPLOG fork server with argv[0] set to
 * the -c binary but executes the plain target's path (cmplog_exec_child:
 * execv(fsrv->target_path, argv); fixed upstream later), so without this the
 * twin never runs and RedQueen sees no comparisons.  When afl-fuzz's CMPLOG
 * marker is set and argv[0] is another file than this one, become that file.
 * The fork server has not started yet (deferred: __AFL_INIT below), and its
 * pipes survive exec.
 */
static void become_cmplog_twin(char **argv)
{
    struct stat self, named;

    if (!getenv("___AFL_EINS_ZWEI_POLIZEI___") || !argv[0] || stat("/proc/self/exe", &self) != 0 ||
        stat(argv[0], &named) != 0)
        return;
    if (self.st_dev == named.st_dev && self.st_ino == named.st_ino)
        return;
    execv(argv[0], argv);
    fprintf(stderr, "shmfuzz: cannot run the CMPLOG twin %s: %s\n", argv[0], strerror(errno));
}

int main(int argc, char **argv)
{
    (void)argc;
    become_cmplog_twin(argv);
    if (shmf_fuzz_init() != 0)
        return 2;
#ifdef __AFL_HAVE_MANUAL_CONTROL
    __AFL_INIT();
#endif
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        run_one(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}
#else
static int run_stream(FILE *f)
{
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    run_one(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (shmf_fuzz_init() != 0)
        return 2;
    if (argc < 2)
        return run_stream(stdin);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "shmfuzz: cannot read %s\n", argv[i]);
            return 2;
        }
        run_stream(f);
        fclose(f);
    }
    return 0;
}
#endif
