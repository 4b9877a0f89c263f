/*
 * diff_internal.h -- what the differ's files share (diff.c records and
 * compares, diff_rules.c matches rules, diff_report.c prints and reports).
 */
#ifndef SHMF_DIFF_INTERNAL_H
#define SHMF_DIFF_INTERNAL_H

#include "diff.h"

#define SHMF_DIFF_OP_LOAD 0xffu /* diff_ev.code of the first load */

/* One op as one side saw it.  Values of diff_props.h, plus the request's facts
   that rule conditions read. */
struct diff_ev {
    int32_t op_index;
    uint8_t code; /* op code, or SHMF_DIFF_OP_LOAD */
    int8_t cpu;   /* -1: sequential */
    bool work_item;
    bool injected;                   /* a fault was injected during the op */
    uint8_t reason;                  /* enum shmf_diff_reason (allocs) */
    uint8_t v[SHMF_DIFF_PROP_COUNT]; /* enum shmf_diff_value per property */
    uint32_t own_blocks;             /* the miniport's live blocks after the op */
    /* allocs */
    bool contiguous;                   /* CONTIGUOUS was asked for */
    uint32_t length, pages, sg_room;   /* Length, its pages, SG elements that fit */
    uint64_t queue_bytes, total_bytes; /* refused: what the queue / all queues
                                          would hold with the request */
    /* when keep_text (replay): the op as it ran and its outcome */
    struct shmf_op op;
    char text[112];
};

/* Index of the first rule that allows property p to differ between a and b
   (values va, vb), or -1. */
int shmf__diff_rules_match(const struct shmf_diff_rules *rules, enum shmf_diff_prop p,
                           const struct diff_ev *a, const struct diff_ev *b, unsigned va,
                           unsigned vb);

/* Name of an event's op ("alloc", ..., "load"). */
const char *shmf__diff_op_name(const struct diff_ev *e);

#endif /* SHMF_DIFF_INTERNAL_H */
