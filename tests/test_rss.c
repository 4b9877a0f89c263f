/*
 * test_rss.c -- no state leaks between inputs: run the seed programs through
 * shmf_exec_run in one process, N times in all, and compare the RSS after a
 * warm-up with the RSS at the end (/proc/self/statm).
 *
 * usage: test_rss RUNS SLACK_KIB FILE...   (files: encoded seed programs)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exec.h"

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE);
VOID ShmfProviderUnload(NDIS_HANDLE);

static long rss_kib(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return fprintf(stderr, "usage: test_rss RUNS SLACK_KIB FILE...\n"), 2;
    long runs = atol(argv[1]), slack = atol(argv[2]);
    int nprogs = argc - 3;
    struct shmf_prog **progs = calloc((size_t)nprogs, sizeof(*progs));
    static unsigned char buf[1 << 16];
    for (int i = 0; i < nprogs; i++) {
        FILE *f = fopen(argv[3 + i], "rb");
        if (!f)
            return fprintf(stderr, "test_rss: cannot read %s\n", argv[3 + i]), 2;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        progs[i] = shmf_prog_new();
        shmf_prog_decode(progs[i], buf, n);
    }
    struct shmf_target t = {
        {"reference", ShmfProviderSetOptions, ShmfProviderUnload, NULL}, 0, "", NULL};
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    struct shmf_exec_result res;
    long warm = runs / 10 > 200 ? runs / 10 : 200, before = 0;
    bool after_finding = false;
    for (long r = 0; r < runs; r++) {
        if (r == warm)
            before = rss_kib();
        shmf_exec_run(&t, progs[r % nprogs], &opts, &res);
        if (res.findings) {
            fprintf(stderr, "test_rss: finding on %s\n", argv[3 + r % nprogs]);
            after_finding = true;
            break;
        }
    }
    long after = rss_kib();
    for (int i = 0; i < nprogs; i++)
        shmf_prog_free(progs[i]);
    free(progs);
    printf("test_rss: %ld runs of %d programs: RSS %ld KiB after %ld warm-up runs, %ld KiB at "
           "the end (slack %ld KiB)\n",
           runs, nprogs, before, warm, after, slack);
    return after_finding || after - before > slack ? 1 : 0;
}
