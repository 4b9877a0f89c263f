/*
 * gaps/length_zero.c -- validation gap: Length 0 is served.
 *
 * Gap:      the length check only caps the size (Length > 4 MiB); a request of
 *           Length 0 gets one page behind a block whose SG list has a single
 *           zero-length element.  Nothing crashes, nothing leaks, the SG list
 *           adds up to Length: the verifier has nothing to report.
 * Contract: Length 0 asks for nothing; NDIS_STATUS_INVALID_PARAMETER.
 * Reached:  `alloc usage=4 length=0`.
 * Found by: differential mode only (`--against reference`):
 *           divergence|alloc:accepted:length-zero.
 */
#define GAP_ACCEPT_LENGTH_ZERO
#include "gap_core.h"
