/*
 * Op-stream v1 codec: the fuzz input format of shmfuzz (see docs/opstream.md).
 *
 * An input is an 8-byte header followed by records. A record is one opcode byte
 * (taken modulo SHMF_OP_COUNT) followed by that op's fixed-size little-endian
 * arguments. Decoding is total: every byte string is a program, bytes past the end
 * read as zero, and records past SHMF_OPS_MAX are ignored.
 *
 * Contract for every function in this header: pointer arguments are non-NULL unless
 * stated otherwise; int functions return 0 on success or a negative errno. The codec
 * is pure C with no global state and no dependency on the runtime, so it is safe to
 * call from several threads on distinct objects.
 */
#ifndef SHMF_OPSTREAM_H
#define SHMF_OPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SHMF_OPSTREAM_VERSION 1   /**< Current format version (header byte 0). */
#define SHMF_HEADER_SIZE 8        /**< Encoded header size in bytes. */
#define SHMF_OPS_MAX 4096         /**< Records beyond this count are ignored. */
#define SHMF_OP_MAX_ARGS 11       /**< Largest argument count of any op (alloc). */
#define SHMF_MARKER_NONE SIZE_MAX /**< "No marked op" for the printers. */

/** Fault flag bit 0: fail the first allocation at each call site. */
#define SHMF_FAULT_F_FIRST_PER_SITE 0x01

/*
 * The single list of ops and their fields, in opcode order. OP(NAME, name, flags,
 * weight) opens an op: `flags` are its SHMF_OPF_* properties, `weight` its share of
 * the stress runner's generated mix (0: never generated); each following
 * F(OP, FIELD, field, width, fmt) adds an argument of `width` bytes (1, 2 or 4)
 * printed in decimal (D) or hex (X). Every table (opcode enum, names, argument-index
 * enums, widths, properties, the executor's and the stress runner's per-op rules)
 * is generated from this list; the dictionary's records come from SHMF_OP_DICT
 * below. Appending an op or a field changes the binary format and must bump
 * SHMF_OPSTREAM_VERSION. Adding an op: one OP entry here (+ its fields and at least
 * one SHMF_OP_DICT token), its handler in the op engine, its tests
 * (docs/architecture.md).
 */
/** Op properties (the `flags` column of SHMF_OP_LIST). */
enum shmf_op_flag {
    SHMF_OPF_PASSIVE = 1u << 0,   /**< needs PASSIVE_LEVEL: deferred to a work item when raised */
    SHMF_OPF_LOADED = 1u << 1,    /**< does nothing while the provider is not loaded */
    SHMF_OPF_EXCLUSIVE = 1u << 2, /**< runs alone among interleaved processors */
    SHMF_OPF_ALLOCATES = 1u << 3, /**< makes the provider allocate (fault targets) */
};

#define SHMF_OP_LIST(OP, F)                                                                        \
    OP(RELOAD, reload, SHMF_OPF_PASSIVE | SHMF_OPF_EXCLUSIVE, 0)                                   \
    OP(ALLOC, alloc, SHMF_OPF_PASSIVE | SHMF_OPF_LOADED | SHMF_OPF_ALLOCATES, 22)                  \
    F(ALLOC, TYPE, type, 1, X)                                                                     \
    F(ALLOC, REV, rev, 1, D)                                                                       \
    F(ALLOC, SIZE, size, 2, X)                                                                     \
    F(ALLOC, FLAGS, flags, 4, X)                                                                   \
    F(ALLOC, QUEUE, queue, 1, D)                                                                   \
    F(ALLOC, NODE, node, 4, X)                                                                     \
    F(ALLOC, USAGE, usage, 1, D)                                                                   \
    F(ALLOC, LENGTH, length, 4, D)                                                                 \
    F(ALLOC, VPORT, vport, 4, D)                                                                   \
    F(ALLOC, SGMODE, sgmode, 1, D)                                                                 \
    F(ALLOC, SGLEN, sglen, 4, D)                                                                   \
    OP(FREE, free, SHMF_OPF_PASSIVE, 18)                                                           \
    F(FREE, SLOT, slot, 1, D)                                                                      \
    OP(TOUCH, touch, 0, 14)                                                                        \
    F(TOUCH, SLOT, slot, 1, D)                                                                     \
    F(TOUCH, WRITE, write, 1, D)                                                                   \
    F(TOUCH, OFFSET, offset, 4, D)                                                                 \
    F(TOUCH, LEN, len, 1, D)                                                                       \
    OP(RAISE, raise, 0, 6)                                                                         \
    F(RAISE, LEVEL, level, 1, D)                                                                   \
    OP(LOWER, lower, 0, 6)                                                                         \
    OP(DPC, dpc, SHMF_OPF_LOADED, 6)                                                               \
    F(DPC, QUEUE, queue, 1, D)                                                                     \
    OP(WORK, work, 0, 4)                                                                           \
    OP(QALLOC, qalloc, SHMF_OPF_PASSIVE | SHMF_OPF_LOADED | SHMF_OPF_ALLOCATES, 2)                 \
    F(QALLOC, ORDER, order, 1, D)                                                                  \
    F(QALLOC, BUFSIZE, bufsize, 2, D)                                                              \
    OP(QFREE, qfree, SHMF_OPF_PASSIVE | SHMF_OPF_LOADED | SHMF_OPF_EXCLUSIVE, 2)                   \
    F(QFREE, QUEUE, queue, 1, D)                                                                   \
    OP(POST, post, SHMF_OPF_LOADED, 5)                                                             \
    F(POST, QUEUE, queue, 1, D)                                                                    \
    F(POST, COUNT, count, 1, D)                                                                    \
    OP(DRAIN, drain, SHMF_OPF_LOADED, 2)                                                           \
    F(DRAIN, QUEUE, queue, 1, D)                                                                   \
    F(DRAIN, COUNT, count, 1, D)                                                                   \
    OP(RET, ret, SHMF_OPF_LOADED, 4)                                                               \
    F(RET, QUEUE, queue, 1, D)                                                                     \
    F(RET, COUNT, count, 1, D)                                                                     \
    OP(RX, rx, SHMF_OPF_LOADED, 5)                                                                 \
    F(RX, QUEUE, queue, 1, D)                                                                      \
    F(RX, COUNT, count, 1, D)                                                                      \
    F(RX, PKTLEN, pktlen, 2, D)                                                                    \
    OP(TX, tx, SHMF_OPF_LOADED, 4)                                                                 \
    F(TX, QUEUE, queue, 1, D)                                                                      \
    F(TX, PKTLEN, pktlen, 2, D)                                                                    \
    OP(FAULT, fault, 0, 0)                                                                         \
    F(FAULT, MODE, mode, 1, D)                                                                     \
    F(FAULT, N, n, 2, D)                                                                           \
    OP(CPU, cpu, 0, 0)                                                                             \
    F(CPU, INDEX, index, 1, D)

#define SHMF__OP_ENUM(U, l, ...) SHMF_OP_##U,
#define SHMF__NO_FIELD(O, U, l, w, fmt)

/** Opcodes; SHMF_OP_COUNT is the modulus applied to opcode bytes. */
enum shmf_opcode { SHMF_OP_LIST(SHMF__OP_ENUM, SHMF__NO_FIELD) SHMF_OP_COUNT };

/*
 * Argument indices into shmf_op.a[]: SHMF_ARG_<OP>_<FIELD>, counting from 0 for each
 * op. Each OP entry resets the running value to -1 so its first field gets 0.
 */
#define SHMF__ARG_RESET(U, l, ...) SHMF__ARG_BASE_##U = -1,
#define SHMF__ARG_ENUM(O, U, l, w, fmt) SHMF_ARG_##O##_##U,
enum shmf_arg_index { SHMF_OP_LIST(SHMF__ARG_RESET, SHMF__ARG_ENUM) };

/* Per-op properties, from the list's flags and weight columns. */
#define SHMF__OP_FLAGS(U, l, flags, weight) (flags),
#define SHMF__OP_WEIGHT(U, l, flags, weight) (weight),
static const uint8_t shmf__op_flags[SHMF_OP_COUNT] = {SHMF_OP_LIST(SHMF__OP_FLAGS, SHMF__NO_FIELD)};
static const uint8_t shmf__op_weights[SHMF_OP_COUNT] = {
    SHMF_OP_LIST(SHMF__OP_WEIGHT, SHMF__NO_FIELD)};

/** True when op `code` has every property in `flags` (SHMF_OPF_*). */
static inline bool shmf_op_is(unsigned code, unsigned flags)
{
    return code < SHMF_OP_COUNT && (shmf__op_flags[code] & flags) == flags;
}

/** The op's weight in the stress runner's generated mix (0: never generated). */
static inline unsigned shmf_op_weight(unsigned code)
{
    return code < SHMF_OP_COUNT ? shmf__op_weights[code] : 0;
}

/*
 * Dictionary records for libFuzzer / AFL++ (`shmfuzz dict`, corpus/shmfuzz.dict):
 * T(OP, token, "fields") is one whole record of op OP in the text form, encoded
 * through this codec, so the dictionary follows the format. Every op has at least
 * one (checked by the test `dict_in_step`). Sequences and little-endian values are
 * in cmd_dict.c.
 */
#define SHMF_OP_DICT(T)                                                                            \
    T(ALLOC, alloc_r1_4k, "type=0x80 rev=1 size=0x40 usage=4 length=4096")                         \
    T(ALLOC, alloc_r2_4k, "type=0x80 rev=2 size=0x44 usage=4 length=4096")                         \
    T(ALLOC, alloc_r2_64k_contig, "type=0x80 rev=2 size=0x44 flags=0x1 usage=4 length=65536")      \
    T(ALLOC, alloc_r2_q1_anynode,                                                                  \
      "type=0x80 rev=2 size=0x44 queue=1 node=0x80000000 usage=4 length=8192")                     \
    T(ALLOC, alloc_r2_4097, "type=0x80 rev=2 size=0x44 usage=8 length=4097")                       \
    T(ALLOC, alloc_r2_len0, "type=0x80 rev=2 size=0x44 usage=4 length=0")                          \
    T(ALLOC, alloc_r2_lenmax, "type=0x80 rev=2 size=0x44 usage=4 length=4294967295")               \
    T(ALLOC, alloc_r2_small_sg,                                                                    \
      "type=0x80 rev=2 size=0x44 usage=4 length=16384 sgmode=1 sglen=16")                          \
    T(ALLOC, alloc_r2_vport1, "type=0x80 rev=2 size=0x44 usage=4 length=4096 vport=1")             \
    T(ALLOC, alloc_r1_size44, "type=0x80 rev=1 size=0x44 usage=4 length=4096")                     \
    T(ALLOC, alloc_r2_size40, "type=0x80 rev=2 size=0x40 usage=4 length=4096")                     \
    T(ALLOC, alloc_badtype, "type=0x81 rev=2 size=0x44 usage=4 length=4096")                       \
    T(FREE, free_0, "slot=0")                                                                      \
    T(FREE, free_1, "slot=1")                                                                      \
    T(TOUCH, touch_write_0, "slot=0 write=1 offset=0 len=64")                                      \
    T(TOUCH, touch_write_4095, "slot=0 write=1 offset=4095 len=2")                                 \
    T(TOUCH, touch_read_end, "slot=0 write=0 offset=4294967295 len=255")                           \
    T(RAISE, raise_dispatch, "level=2")                                                            \
    T(RAISE, raise_apc, "level=1")                                                                 \
    T(LOWER, lower, "")                                                                            \
    T(DPC, dpc_0, "queue=0")                                                                       \
    T(DPC, dpc_1, "queue=1")                                                                       \
    T(WORK, work, "")                                                                              \
    T(RELOAD, reload, "")                                                                          \
    T(QALLOC, qalloc_256x2k, "order=8 bufsize=2048")                                               \
    T(QALLOC, qalloc_16x1514, "order=4 bufsize=1514")                                              \
    T(QFREE, qfree_1, "queue=1")                                                                   \
    T(POST, post_1_16, "queue=1 count=16")                                                         \
    T(DRAIN, drain_1_16, "queue=1 count=16")                                                       \
    T(RET, ret_1_16, "queue=1 count=16")                                                           \
    T(RX, rx_1_4_1514, "queue=1 count=4 pktlen=1514")                                              \
    T(RX, rx_1_1_65535, "queue=1 count=1 pktlen=65535")                                            \
    T(TX, tx_0_1514, "queue=0 pktlen=1514")                                                        \
    T(FAULT, fault_off, "mode=0 n=0")                                                              \
    T(FAULT, fault_nth_1, "mode=1 n=1")                                                            \
    T(FAULT, fault_first_per_site, "mode=2 n=0")                                                   \
    T(CPU, cpu_1, "index=1")

/** Fault-plan modes of the `fault` op (field `mode`). */
enum shmf_fault_mode {
    SHMF_FAULT_OFF = 0,           /**< No injected failures. */
    SHMF_FAULT_NTH = 1,           /**< Fail the Nth allocation, N = field `n`. */
    SHMF_FAULT_FIRST_PER_SITE = 2 /**< Fail the first allocation at each site. */
};

/** The 8-byte header: all fields are kept as decoded, even unknown values. */
struct shmf_header {
    uint8_t version;     /**< Format version; SHMF_OPSTREAM_VERSION today. */
    uint8_t fault_flags; /**< SHMF_FAULT_F_* bits; other bits are kept. */
    uint16_t fail_nth;   /**< Fail the Nth allocation (0 = never). */
    uint16_t fail_every; /**< Fail every Nth allocation (0 = never). */
    uint16_t reserved;   /**< Kept verbatim. */
};

/** One decoded op. Invariant: code < SHMF_OP_COUNT, a[i] fits field i's width, and
 *  a[i] == 0 for i >= shmf_op_nargs(code). */
struct shmf_op {
    uint8_t code;
    uint32_t a[SHMF_OP_MAX_ARGS];
};

/** A decoded program (about 200 KB: allocate with shmf_prog_new, not on the stack). */
struct shmf_prog {
    struct shmf_header hdr;
    uint32_t nops; /**< Invariant: nops <= SHMF_OPS_MAX. */
    struct shmf_op ops[SHMF_OPS_MAX];
};

/** Description of one argument field (for printers and code generators). */
struct shmf_field_desc {
    const char *name; /**< Lower-case field name as used in the text form. */
    uint8_t width;    /**< Encoded width in bytes: 1, 2 or 4. */
    bool hex;         /**< The printers write this field in hex. */
};

/* === Op and field metadata === */

/** Name of an op ("alloc"), or NULL when code >= SHMF_OP_COUNT. */
const char *shmf_op_name(unsigned code);
/** Opcode for a name of `len` bytes (not necessarily NUL-terminated).
 *  @return the opcode, or -EINVAL for an unknown name. */
int shmf_op_from_name(const char *name, size_t len);
/** Number of argument fields of op `code` (0 when out of range). */
unsigned shmf_op_nargs(unsigned code);
/** Field `idx` of op `code`, or NULL when either is out of range. */
const struct shmf_field_desc *shmf_op_field(unsigned code, unsigned idx);
/** Index of field `name` (`len` bytes) of op `code`.
 *  @return the index, or -EINVAL when the op has no such field. */
int shmf_op_field_from_name(unsigned code, const char *name, size_t len);
/** Encoded record size (opcode byte + arguments), or 0 when code is out of range. */
size_t shmf_op_encoded_size(unsigned code);
/** Largest value a field of `width` bytes holds (0xFF, 0xFFFF or 0xFFFFFFFF). */
uint32_t shmf_field_max(unsigned width);

/* === Programs === */

/** Allocate a program holding the default header and no ops; NULL when out of memory. */
struct shmf_prog *shmf_prog_new(void);
/** Free a program; NULL is allowed. */
void shmf_prog_free(struct shmf_prog *p);
/** Reset to the default header (version SHMF_OPSTREAM_VERSION, no faults) and no ops. */
void shmf_prog_init(struct shmf_prog *p);
/** True when headers and the first nops ops are equal (padding is ignored). */
bool shmf_prog_equal(const struct shmf_prog *a, const struct shmf_prog *b);

/* === Binary form === */

/** Decode any byte string; it cannot fail. pre: data may be NULL when size == 0. */
void shmf_prog_decode(struct shmf_prog *p, const uint8_t *data, size_t size);
/** Bytes shmf_prog_encode writes for `p`. pre: p satisfies the shmf_op invariant. */
size_t shmf_prog_encoded_size(const struct shmf_prog *p);
/** Encode `p` into buf[0..size); *len_out gets the encoded length (also on -ENOSPC).
 *  Values are masked to their field widths and opcodes reduced mod SHMF_OP_COUNT.
 *  @return 0, or -ENOSPC when size < shmf_prog_encoded_size(p) (nothing written). */
int shmf_prog_encode(const struct shmf_prog *p, uint8_t *buf, size_t size, size_t *len_out);

/* === Text form === */

/** Parse the text form (`len` bytes, need not be NUL-terminated; text may be NULL
 *  when len == 0) into `p`. Lines hold `name field=value ...` (decimal or 0x-hex,
 *  any order, omitted fields are 0), an optional first line `shmfuzz-ops v=.. ...`
 *  (default: version SHMF_OPSTREAM_VERSION, no faults), '#' comments, blank lines,
 *  and the "> " / "  " prefixes the printers add. On error `p` is unspecified and
 *  a message naming the line and token goes to err[0..errlen) (err may be NULL when
 *  errlen == 0).
 *  @return 0, -EINVAL for a syntax error, unknown op or field, bad or too wide
 *          value, or misplaced header; -E2BIG for more than SHMF_OPS_MAX ops. */
int shmf_prog_parse(struct shmf_prog *p, const char *text, size_t len, char *err, size_t errlen);
/** Print the text form to `f`: the header line, then one op per line. When `marker`
 *  is an op index, that line starts with "> " and every other op line with "  ".
 *  @return 0, or -EIO when writing fails. */
int shmf_prog_print(FILE *f, const struct shmf_prog *p, size_t marker);
/** Same as shmf_prog_print into buf[0..size), NUL-terminated; *len_out gets the text
 *  length without the NUL, also on -ENOSPC. buf may be NULL when size == 0, which
 *  makes this a size query.
 *  @return 0, or -ENOSPC when size <= text length (buf then holds a truncated text). */
int shmf_prog_format(char *buf, size_t size, size_t *len_out, const struct shmf_prog *p,
                     size_t marker);
/** Format one op as "name field=value ..." like snprintf (no prefix, no newline).
 *  @return the length the full text needs, excluding the NUL. */
size_t shmf_op_format(char *buf, size_t size, const struct shmf_op *op);

/* === Dictionary (opstream_dict.c) === */

/** Write the libFuzzer / AFL++ dictionary (corpus/shmfuzz.dict) to `f`.
 *  @return 0; -ENOENT when an op has no SHMF_OP_DICT token, -EINVAL when a token
 *          does not parse (a message on stderr), -EIO when writing fails. */
int shmf_dict_write(FILE *f);

#endif /* SHMF_OPSTREAM_H */
