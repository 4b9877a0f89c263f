/*
 * gaps/vport_ignored.c -- validation gap: a non-default VPortId is ignored.
 *
 * Gap:      revision-2 requests are served whatever their VPortId, although the
 *           provider's characteristics do not set
 *           NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS: memory meant
 *           for an SR-IOV PF VPort is handed out as if for the default one.
 *           (It reads VPortId only where revision 2 has it, so this is not
 *           buggy/rev1_vport's out-of-bounds read.)
 * Contract: a provider without PF VPort support refuses a non-default VPort.
 * Reached:  `alloc usage=4 length=4096 vport=1`.
 * Found by: differential mode only: divergence|alloc:accepted:vport-unsupported.
 */
#define GAP_IGNORE_VPORT
#include "gap_core.h"
