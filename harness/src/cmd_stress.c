/* cmd_stress.c -- `shmfuzz stress` (see stress.c). */
#include "cli.h"

int shmf_cmd_stress(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return shmf_usage_error("stress: not built yet");
}
