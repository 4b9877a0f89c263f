/*
 * stress_report.c -- the stress runner's reports: the finding JSON (with the
 * serialized trace and serialized replay attempts), run.json, the printed
 * finding and the progress line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "sha256.h"
#include "stress_internal.h"

/* === Reports === */

static json_t *op_text(const struct shmf_op *op)
{
    char line[256];
    shmf_op_format(line, sizeof(line), op);
    return json_string(line);
}

/* The finding's kind and signature (kind|function, as every finding.json). */
static void finding_place(const struct shmf_finding *f, char *sig, size_t n, char *kind, size_t kn)
{
    shmf_finding_kind_name(f, kind, kn);
    shmf_finding_signature(f, NULL, sig, n);
}

static const char *failing_op_name(const struct st_world *w)
{
    return w->have_first && !w->first_teardown ? shmf_op_name(w->first_op.code) : "teardown";
}

/* Serialize the processors' last `keep` logged ops by sequence number into one
   program, with `cpu index=N` where the processor changes.  Drops raise, lower
   and work ops when `no_irql`.  Returns the program index of seq `mark` or
   SHMF_MARKER_NONE. */
static size_t serialize(struct st_world *w, unsigned keep, bool no_irql, uint64_t mark,
                        struct shmf_prog *p)
{
    uint64_t pos[SHMF_MAX_CPUS], end[SHMF_MAX_CPUS];
    size_t marker = SHMF_MARKER_NONE;
    int last_cpu = -1;
    shmf_prog_init(p);
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        uint64_t k = keep < SHMF_STRESS_LOG_KEEP ? keep : SHMF_STRESS_LOG_KEEP;
        end[i] = c->nlog;
        pos[i] = c->nlog > k ? c->nlog - k : 0;
    }
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < w->ncpus; i++) {
            if (pos[i] >= end[i])
                continue;
            const struct log_ent *e = &w->cpus[i].log[pos[i] % SHMF_STRESS_LOG_KEEP];
            if (best < 0 || e->seq < w->cpus[best].log[pos[best] % SHMF_STRESS_LOG_KEEP].seq)
                best = (int)i;
        }
        if (best < 0 || p->nops + 2 > SHMF_OPS_MAX)
            break;
        const struct log_ent *e = &w->cpus[best].log[pos[best]++ % SHMF_STRESS_LOG_KEEP];
        unsigned code = e->op.code;
        if (no_irql && (code == SHMF_OP_RAISE || code == SHMF_OP_LOWER || code == SHMF_OP_WORK))
            continue;
        if (best != last_cpu) {
            struct shmf_op cpu_op = {.code = SHMF_OP_CPU};
            cpu_op.a[SHMF_ARG_CPU_INDEX] = (uint32_t)best;
            p->ops[p->nops++] = cpu_op;
            last_cpu = best;
        }
        if (e->seq == mark)
            marker = p->nops;
        p->ops[p->nops++] = e->op;
    }
    return marker;
}

/* sha256 of the encoded program into sha ("" when it cannot be encoded). */
static void prog_sha256(const struct shmf_prog *p, char sha[65])
{
    size_t len = shmf_prog_encoded_size(p);
    uint8_t *bytes = malloc(len ? len : 1);
    sha[0] = 0;
    if (bytes && shmf_prog_encode(p, bytes, len, &len) == 0)
        shmf_sha256_hex(bytes, len, sha);
    free(bytes);
}

static void out_path(struct st_world *w, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", w->o->out_dir ? w->o->out_dir : ".", name);
}

static int write_prog(const char *path, const struct shmf_prog *p, const char *comment)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "# %s\n", comment);
    int rc = shmf_prog_print(f, p, SHMF_MARKER_NONE);
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

struct replay {
    const struct st_world *w;
    const struct shmf_prog *p;
};

static void replay_in_child(void *ud, int fd)
{
    const struct replay *r = ud;
    struct shmf_exec_opts eo = {.verify_flags = r->w->o->verify_flags};
    struct shmf_exec_result res;
    char k[80] = "";
    shmf_rt_set_finding_handler(NULL, NULL);
    shmf_exec_run(r->w->o->target, r->p, &eo, &res);
    if (res.findings)
        shmf_finding_kind_name(&res.first, k, sizeof(k));
    if (write(fd, k, strlen(k)) < 0)
        _exit(3);
}

/* Run `p` single-threaded in a fresh world in a child process (a crash of the
   provider must not take the report with it).  Writes the kind found into kind
   ("" when clean). */
static void replay_child(struct st_world *w, const struct shmf_prog *p, char *kind, size_t n)
{
    struct replay r = {w, p};
    int status = shmf_run_forked(replay_in_child, &r, kind, n);
    if (status != -1 && !kind[0] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        snprintf(kind, n, "crash");
}

static bool same_kind(const char *want, const char *got)
{
    if (!strcmp(want, got))
        return true;
    /* A crash's type may be worded differently by the replay's death. */
    return !strncmp(want, "crash", 5) && !strncmp(got, "crash", 5);
}

/* Try serialized replays; on success write stress-repro.ops. */
static json_t *try_replay(struct st_world *w, const char *kind)
{
    static const struct {
        unsigned keep;
        bool no_irql;
        const char *name;
    } variants[] = {{SHMF_STRESS_LOG, false, "last-64-per-cpu"},
                    {SHMF_STRESS_LOG_KEEP, false, "last-1024-per-cpu"},
                    {SHMF_STRESS_LOG_KEEP, true, "last-1024-per-cpu-without-irql-ops"}};
    struct shmf_prog *p = shmf_prog_new();
    json_t *tried = json_array();
    json_t *out = NULL;
    char got[80], path[4096];
    if (!p || !tried)
        goto done;
    for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        serialize(w, variants[v].keep, variants[v].no_irql, UINT64_MAX, p);
        replay_child(w, p, got, sizeof(got));
        json_array_append_new(tried, json_pack("{s:s, s:I, s:s}", "variant", variants[v].name,
                                               "ops", (json_int_t)p->nops, "kind", got));
        if (!got[0] || !same_kind(kind, got))
            continue;
        out_path(w, "stress-repro.ops", path, sizeof(path));
        char comment[256];
        snprintf(comment, sizeof(comment),
                 "shmfuzz stress seed %" PRIu64 ": serialized replay (%s) reproducing %s",
                 w->o->seed, variants[v].name, kind);
        int rc = write_prog(path, p, comment);
        char sha[65];
        prog_sha256(p, sha);
        char cmd[4400];
        snprintf(cmd, sizeof(cmd), "shmfuzz replay --provider %s %s", w->o->provider, path);
        out = json_pack("{s:b, s:b, s:s, s:s, s:s, s:s, s:o}", "attempted", 1, "reproduced",
                        rc == 0, "variant", variants[v].name, "input", path, "input_sha256", sha,
                        "reproduce", cmd, "tried", json_incref(tried));
        goto done;
    }
    out = json_pack("{s:b, s:b, s:s, s:o}", "attempted", 1, "reproduced", 0, "reason",
                    "no serialized order of the logged ops reproduced the finding kind: the "
                    "interleaving matters (use --mode interleave to replay it from the seed)",
                    "tried", json_incref(tried));
done:
    json_decref(tried);
    shmf_prog_free(p);
    return out;
}

static json_t *processors_json(struct st_world *w)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < w->ncpus && arr; i++) {
        struct st_cpu *c = &w->cpus[i];
        json_t *log = json_array(), *seqs = json_array();
        uint64_t from = c->nlog > SHMF_STRESS_LOG ? c->nlog - SHMF_STRESS_LOG : 0;
        for (uint64_t k = from; k < c->nlog; k++) {
            const struct log_ent *e = &c->log[k % SHMF_STRESS_LOG_KEEP];
            json_array_append_new(log, op_text(&e->op));
            json_array_append_new(seqs, json_integer((json_int_t)e->seq));
        }
        json_array_append_new(arr,
                              json_pack("{s:I, s:I, s:o, s:o, s:I, s:I}", "cpu", (json_int_t)i,
                                        "execs", (json_int_t)c->ops, "log", log, "log_seq", seqs,
                                        "irql", (json_int_t)(c->oc.nraises ? c->oc.raises[0] : 0),
                                        "deferred", (json_int_t)c->oc.nwork));
    }
    return arr;
}

static json_t *seed_json(uint64_t seed)
{
    if (seed <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)seed);
    char b[24];
    snprintf(b, sizeof(b), "0x%" PRIx64, seed);
    return json_string(b);
}

static const char *mode_name(const struct st_world *w)
{
    return w->interleave ? "interleave" : "threads";
}

static json_t *reproduce_cmd(struct st_world *w)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "shmfuzz stress --provider %s --mode %s --threads %u --seed %" PRIu64 " --ops %" PRIu64
             "%s",
             w->o->provider, mode_name(w), w->ncpus, w->o->seed,
             w->o->ops ? w->o->ops : atomic_load(&w->issued),
             w->o->verify_flags ? "" : " --verify-off");
    return json_string(cmd);
}

/* The replay attempt (try_replay) into `replay` and, when it reproduced the
   finding, its command into `reproduce_serialized`. */
static void replay_fields(struct st_world *w, const char *kind, bool replay,
                          struct shmf_finding_fields *ff)
{
    if (!replay || w->crashed) {
        ff->replay = json_pack("{s:b, s:b, s:s}", "attempted", 0, "reproduced", 0, "reason",
                               w->crashed ? "the stress process crashed; "
                                            "replay stress-trace.ops by hand"
                                          : "processors did not stop");
        return;
    }
    ff->replay = try_replay(w, kind);
    json_t *rep = json_object_get(ff->replay, "reproduce");
    if (json_is_true(json_object_get(ff->replay, "reproduced")) && rep)
        ff->reproduce_serialized = json_incref(rep);
}

/* finding.json through the one builder (shmf_finding_build): the fields every
   finding has, `trace` and `input` being the processors' last ops serialized by
   sequence (stress-trace.ops), plus the stress runner's own fields. */
json_t *shmf__finding_json(struct st_world *w, const struct shmf_finding *f, bool replay)
{
    char kind[80], path[4096];
    struct shmf_prog *p = shmf_prog_new();
    if (!p)
        return NULL;
    size_t m =
        serialize(w, SHMF_STRESS_LOG, false, w->first_teardown ? UINT64_MAX : w->first_seq, p);
    out_path(w, "stress-trace.ops", path, sizeof(path));
    write_prog(path, p, "shmfuzz stress: the processors' last ops, serialized by sequence");
    size_t len = shmf_prog_encoded_size(p);
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes || shmf_prog_encode(p, bytes, len, &len) != 0)
        len = 0;
    json_t *cmd = reproduce_cmd(w);
    struct shmf_finding_src src = {.f = f,
                                   .trace = p,
                                   .op_index = m == SHMF_MARKER_NONE ? -1 : (int32_t)m,
                                   .op = failing_op_name(w),
                                   .input = bytes,
                                   .input_len = len,
                                   .input_path = path,
                                   .provider = w->o->provider,
                                   .engine = "stress",
                                   .reproduce = json_string_value(cmd)};
    struct shmf_finding_fields ff;
    int rc = cmd ? shmf_finding_fields_fill(&ff, &src) : -ENOMEM;
    json_decref(cmd);
    free(bytes);
    shmf_prog_free(p);
    if (rc)
        return NULL;
    shmf_finding_kind_name(f, kind, sizeof(kind));
    ff.mode = json_string(mode_name(w));
    ff.seed = seed_json(w->o->seed);
    ff.threads = json_integer((json_int_t)w->ncpus);
    ff.seq = w->first_teardown ? NULL : json_integer((json_int_t)w->first_seq);
    ff.teardown = json_boolean(w->first_teardown);
    ff.processors = processors_json(w);
    if (w->have_first && !w->first_teardown)
        ff.failing_op = op_text(&w->first_op);
    replay_fields(w, kind, replay, &ff);
    return shmf_finding_build(&ff);
}

/* run.json through the one builder (shmf_run_build): execs and exec_per_s count
   the ops the processors executed. */
json_t *shmf__run_json(struct st_world *w, double duration)
{
    uint64_t total = 0, spins = 0, contended = 0;
    uint64_t mix[SHMF_OP_COUNT] = {0};
    json_t *per = json_array(), *jmix = json_object(), *findings = json_array();
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        uint64_t ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
        total += ops;
        spins += c->spins;
        contended += c->contended;
        for (unsigned k = 0; k < SHMF_OP_COUNT; k++)
            mix[k] += c->mix[k];
        json_array_append_new(per, json_pack("{s:I, s:I, s:f, s:I, s:I}", "cpu", (json_int_t)i,
                                             "execs", (json_int_t)ops, "exec_per_s",
                                             duration > 0 ? (double)ops / duration : 0.0, "spins",
                                             (json_int_t)c->spins, "contended",
                                             (json_int_t)c->contended));
    }
    if (w->interleave) {
        spins = w->il.spins;
        contended = w->il.contended;
    }
    for (unsigned k = 0; k < SHMF_OP_COUNT; k++)
        if (mix[k])
            json_object_set_new(jmix, shmf_op_name(k), json_integer((json_int_t)mix[k]));
    if (w->finding_json)
        json_array_append(findings, w->finding_json);
    json_t *cont = json_pack("{s:I, s:I}", "spins", (json_int_t)spins, "contended_acquires",
                             (json_int_t)contended);
    if (w->interleave) {
        json_object_set_new(cont, "switches", json_integer((json_int_t)w->il.switches));
        json_object_set_new(cont, "scheduling_points", json_integer((json_int_t)w->il.points));
    }
    struct shmf_run_fields rf = {
        .engine = json_string("stress"),
        .provider = json_string(w->o->provider),
        .mode = json_string(mode_name(w)),
        .seed = seed_json(w->o->seed),
        .threads = json_integer((json_int_t)w->ncpus),
        .duration_s = json_real(duration),
        .execs = json_integer((json_int_t)total),
        .exec_per_s = json_real(duration > 0 ? (double)total / duration : 0.0),
        .per_thread = per,
        .op_mix = jmix,
        .contention = cont,
        .findings = findings,
        .verify = json_boolean(w->o->verify_flags != 0),
        .interrupted = json_boolean(w->o->interrupted && *w->o->interrupted),
        .findings_total = json_integer((json_int_t)shmf_rt_finding_count()),
        .build = json_string(shmf_build_string()),
        .ops_limit = json_integer((json_int_t)w->o->ops),
        .seconds_limit = json_real(w->o->seconds),
    };
    return shmf_run_build(&rf);
}

void shmf__print_finding(struct st_world *w, const struct shmf_finding *f)
{
    char kind[80], sig[256];
    finding_place(f, sig, sizeof(sig), kind, sizeof(kind));
    if (w->o->progress)
        fputc('\n', stderr);
    printf("finding: %s: %s\n  function: %s\n  rule: %s\n  cpu: %u\n  op: %s\n"
           "  signature: %s\n",
           kind, f->message, f->function, f->rule, f->cpu, failing_op_name(w), sig);
    json_t *r = w->finding_json ? json_object_get(w->finding_json, "replay") : NULL;
    if (json_is_true(json_object_get(r, "reproduced")))
        printf("  serialized replay reproduces it: %s\n",
               json_string_value(json_object_get(r, "reproduce")));
    else
        printf("  serialized replay: not reproduced; reproduce with: %s\n",
               json_string_value(json_object_get(w->finding_json, "reproduce")));
    fflush(stdout);
}

int shmf__write_reports(struct st_world *w, double duration, const char *run_path, char *failed,
                        size_t n)
{
    char path[4096];
    int rc = 0;
    if (w->finding_json) {
        out_path(w, "stress-finding.json", path, sizeof(path));
        rc = shmf_json_write_atomic(w->finding_json, path);
        if (rc)
            snprintf(failed, n, "%s", path);
    }
    if (run_path && rc == 0) {
        json_t *j = shmf__run_json(w, duration);
        rc = j ? shmf_json_write_atomic(j, run_path) : -ENOMEM;
        if (rc)
            snprintf(failed, n, "%s", run_path);
        json_decref(j);
    }
    return rc;
}

void shmf__progress(struct st_world *w, double t)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < w->ncpus; i++)
        total += __atomic_load_n(&w->cpus[i].ops, __ATOMIC_RELAXED);
    double el = t - w->t0;
    fprintf(stderr, "\rstress %s: %5.0fs  %10" PRIu64 " ops  %9.0f ops/s  live %4u  findings %u ",
            mode_name(w), el, total, el > 0 ? (double)total / el : 0.0, shmf_rt_block_count(),
            shmf_rt_finding_count());
}
