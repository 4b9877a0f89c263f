/*
 * empty_target.c -- bench/throughput's baseline: an engine target that does
 * nothing useful with its bytes, built with the same flags (sanitizers,
 * instrumentation, engine) as the provider targets, so the ratio of their
 * exec/s is what shmfuzz's per-input work costs.
 */
#include <stddef.h>
#include <stdint.h>

static volatile uint8_t sink;

static void consume(const uint8_t *data, size_t size)
{
    uint8_t x = 0;
    for (size_t i = 0; i < size && i < 16; i++)
        x ^= data[i];
    sink = x;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
#include <unistd.h>
__AFL_FUZZ_INIT();

int main(void)
{
#ifdef __AFL_HAVE_MANUAL_CONTROL
    __AFL_INIT();
#endif
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        consume(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}
#elif defined(SHMF_EMPTY_LIBFUZZER)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    consume(data, size);
    return 0;
}
#else
int main(void)
{
    return 0;
}
#endif
