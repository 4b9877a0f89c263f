/*
 * afl_target.c -- the AFL++ target: persistent mode with shared-memory test
 * cases (__AFL_LOOP, __AFL_FUZZ_TESTCASE_BUF).  Built without afl-clang-fast it
 * is a plain runner: it runs each file named on the command line (or stdin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_common.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(void)
{
    if (shmf_fuzz_init() != 0)
        return 2;
#ifdef __AFL_HAVE_MANUAL_CONTROL
    __AFL_INIT();
#endif
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        shmf_fuzz_one(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}
#else
static int run_stream(FILE *f)
{
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    shmf_fuzz_one(buf, n);
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
