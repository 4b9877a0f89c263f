/*
 * gaps/usage_range.c -- validation gap: any Usage is served.
 *
 * Gap:      Usage is never checked, so NdisSharedMemoryUsageMax and beyond
 *           (values no NDIS release defines) are served like receive buffers.
 * Contract: NDIS_SHARED_MEMORY_USAGE ends before NdisSharedMemoryUsageMax;
 *           anything else is a bad parameter.
 * Reached:  `alloc usage=10 length=4096`.
 * Found by: differential mode only: divergence|alloc:accepted:usage-out-of-range.
 */
#define GAP_ACCEPT_ANY_USAGE
#include "gap_core.h"
