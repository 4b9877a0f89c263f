/*
 * diff_props.h -- what differential mode compares (docs/differential.md).
 *
 * SHMF_DIFF_PROPS(X) is the one table of compared properties: each op's
 * observable outcome is reduced, on each side, to one value per property, and
 * the values of the two sides are compared in this order; the first difference
 * no rule allows is the divergence.  A property's value is SHMF_DV_NA where it
 * does not apply (no block, not a NIC op, ...).  Where one side has a value and
 * the other has none, the value is compared with the property's canonical one
 * (what every correct provider shows there), if the property has one.
 *
 * X(ENUM, "name", scope, canonical value, "what it is")
 *   scope SYNC:   compared only while the two worlds are in step (same live
 *                 blocks; no allowed difference has changed either world yet);
 *         ALWAYS: depends on the op alone, compared to the end.
 *
 * Adding a property: a row here, and its value in diff.c (diff_observe_*).
 * The values are one vocabulary, SHMF_DIFF_VALUES(X), so rules can name them.
 */
#ifndef SHMF_DIFF_PROPS_H
#define SHMF_DIFF_PROPS_H

#define SHMF_DIFF_PROPS(X)                                                                         \
    X(LOAD, "load", ALWAYS, NA, "the provider loaded (first load and each reload)")                \
    X(ACCEPTED, "accepted", ALWAYS, REFUSED,                                                       \
      "a request the contract requires refused (unknown flag, Usage out of range, "                \
      "Length 0, no such node, VPort without PF VPort support, SG buffer without room "            \
      "for one element) was served or refused")                                                    \
    X(REFUSAL, "refusal", ALWAYS, INVALID_PARAMETER, "the status of a contract-required refusal")  \
    X(STATUS, "status", SYNC, NA,                                                                  \
      "the NdisAllocateSharedMemory status class of any other request")                            \
    X(BLOCK_LENGTH, "block-length", ALWAYS, EQUAL,                                                 \
      "a served block's SG bytes against the requested Length")                                    \
    X(SG_COUNT, "sg-count", ALWAYS, WITHIN,                                                        \
      "a served block's SG element count against the pages it spans")                              \
    X(CONTIGUOUS, "contiguous", ALWAYS, CONTIG,                                                    \
      "a CONTIGUOUS request's block is one physically contiguous run")                             \
    X(ALIGNMENT, "alignment", ALWAYS, ALIGNED,                                                     \
      "VirtualAddress and the first SG address on NdisGetSharedDataAlignment()")                   \
    X(NIC, "nic", SYNC, NA, "what the NIC model saw: a queue, ring or DMA op's result class")      \
    X(FINDING, "finding", ALWAYS, NONE,                                                            \
      "the verifier recorded a finding during the op (teardown: at the end)")

/* The values of every property. X(ENUM, "name") */
#define SHMF_DIFF_VALUES(X)                                                                        \
    X(NA, "n/a")                                                                                   \
    X(LOADED, "loaded")                                                                            \
    X(NOT_LOADED, "not-loaded")                                                                    \
    X(SERVED, "served")                                                                            \
    X(REFUSED, "refused")                                                                          \
    X(SUCCESS, "SUCCESS")                                                                          \
    X(RESOURCES, "RESOURCES")                                                                      \
    X(INVALID_PARAMETER, "INVALID_PARAMETER")                                                      \
    X(FAILURE, "FAILURE")                                                                          \
    X(OTHER_STATUS, "other-status")                                                                \
    X(EQUAL, "equal")                                                                              \
    X(SHORT, "short")                                                                              \
    X(LONG, "long")                                                                                \
    X(WITHIN, "within-pages")                                                                      \
    X(MORE, "more-than-pages")                                                                     \
    X(CONTIG, "contiguous")                                                                        \
    X(BROKEN, "not-contiguous")                                                                    \
    X(ALIGNED, "aligned")                                                                          \
    X(UNALIGNED, "unaligned")                                                                      \
    X(DONE, "done")                                                                                \
    X(DMA_REFUSED, "dma-refused")                                                                  \
    X(RING_RULE, "ring-rule-broken")                                                               \
    X(NOT_NOW, "not-allowed-now")                                                                  \
    X(NO_QUEUE, "no-queue")                                                                        \
    X(NO_QUEUE_ID, "no-queue-id")                                                                  \
    X(NO_MEMORY, "no-memory")                                                                      \
    X(NIC_ERROR, "error")                                                                          \
    X(NONE, "none")                                                                                \
    X(FOUND, "finding")

/* Requests the contract requires a provider to refuse (ndis-facts 1, 2, 4, 6;
   docs/differential.md).  Checked in this order; the first that applies is the
   request's reason.  The header, the queue id and IRQL are NDIS's to check (the
   runtime refuses those before any provider sees them).
   X(ENUM, "name", "what it is") */
#define SHMF_DIFF_REASONS(X)                                                                       \
    X(FLAGS, "unknown-flags", "Flags has a bit other than NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS")  \
    X(USAGE, "usage-out-of-range", "Usage is NdisSharedMemoryUsageMax or beyond")                  \
    X(LENGTH_ZERO, "length-zero", "Length is 0")                                                   \
    X(NODE, "node-invalid", "PreferredNode is neither MM_ANY_NODE_OK nor a node of the machine")   \
    X(VPORT, "vport-unsupported",                                                                  \
      "revision 2 with a non-default VPortId, to a provider whose characteristics do "             \
      "not set NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS")                               \
    X(SG_BUFFER, "sg-buffer-too-small",                                                            \
      "SGListBuffer is NULL or too small for a list of one element")

enum shmf_diff_prop {
#define SHMF_DIFF_PROP_ENUM(e, n, scope, canon, d) SHMF_DP_##e,
    SHMF_DIFF_PROPS(SHMF_DIFF_PROP_ENUM)
#undef SHMF_DIFF_PROP_ENUM
        SHMF_DIFF_PROP_COUNT
};

enum shmf_diff_value {
#define SHMF_DIFF_VALUE_ENUM(e, n) SHMF_DV_##e,
    SHMF_DIFF_VALUES(SHMF_DIFF_VALUE_ENUM)
#undef SHMF_DIFF_VALUE_ENUM
        SHMF_DIFF_VALUE_COUNT
};

enum shmf_diff_reason {
    SHMF_DR_NONE,
#define SHMF_DIFF_REASON_ENUM(e, n, d) SHMF_DR_##e,
    SHMF_DIFF_REASONS(SHMF_DIFF_REASON_ENUM)
#undef SHMF_DIFF_REASON_ENUM
        SHMF_DIFF_REASON_COUNT
};

#endif /* SHMF_DIFF_PROPS_H */
