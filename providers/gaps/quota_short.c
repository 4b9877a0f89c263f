/*
 * gaps/quota_short.c -- validation gap: SUCCESS with a shorter block when the
 * queue's quota runs out.
 *
 * Gap:      each queue may hold 2 MiB; a request that would pass it is cut to
 *           what is left (whole pages) and served, with the shorter Length
 *           written back into the parameters block, instead of failing with
 *           NDIS_STATUS_RESOURCES.  The SG list adds up to the (new) Length,
 *           so the verifier is satisfied; the caller gets less than it asked.
 * Contract: SUCCESS means a block of the requested Length.
 * Reached:  `alloc usage=4 length=4194304` (more than the quota at once), or
 *           three allocations of 768 KiB on one queue.  (A 2 MiB quota is the
 *           least the shipped rules let a provider give a queue, so its
 *           refusals past it are allowed: the short block is all that shows.)
 * Found by: differential mode only: divergence|alloc:block-length:short/equal.
 */
#define GAP_SHORT_ON_QUOTA
#include "gap_core.h"
