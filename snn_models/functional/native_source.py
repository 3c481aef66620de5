"""C source of the fused LIF kernels (kept in a .py file so every install ships it).

Forward reads the input current once and writes only the spikes and the final membrane. It
keeps nothing else: backward recomputes the membrane from the saved input current, one chunk
of neurons at a time into a buffer that stays in cache, then runs the reverse-time recursion
over that chunk. Recomputing costs one multiply-add per element, far less than allocating,
writing and reading back a ``(T, B, N)`` potential. It also means a layer driven by a direct
(repeated) input keeps only ``(B, N)`` for backward instead of ``(T, B, N)``.

Neurons are independent, so threads split the neuron axis into chunks, and each chunk walks
through time with its membrane in a small local buffer (L1 cache), vectorised across neurons.
The threads are plain pthreads started per call, not an OpenMP pool: a pool does not survive
``fork()`` (Celery and gunicorn fork), and a second OpenMP runtime next to torch's own invites
trouble.
"""

SOURCE = r"""
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256
#define MAX_THREADS 64
#define MIN_PARALLEL_WORK 32768
#define HALF_PI 1.57079632679489661923

enum { SUBTRACT = 0, ZERO = 1 };
enum { ATAN = 0, SIGMOID = 1, TRIANGLE = 2 };

/* Split chunks [0, chunks) over `threads` workers; each calls body(arg, first, last).
   Threads are created per call (no pool), so the library stays safe across fork(). */
typedef void (*chunk_body)(void *arg, int64_t first, int64_t last);
typedef struct { chunk_body body; void *arg; int64_t first, last; } range_job;

static void *run_range(void *p) {
    range_job *job = (range_job *)p;
    job->body(job->arg, job->first, job->last);
    return 0;
}

static void parallel_chunks(chunk_body body, void *arg, int64_t chunks, int threads, int64_t work) {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > chunks) threads = (int)chunks;
    if (threads <= 1 || work < MIN_PARALLEL_WORK) { body(arg, 0, chunks); return; }
    pthread_t ids[MAX_THREADS];
    range_job jobs[MAX_THREADS];
    int started[MAX_THREADS];
    for (int k = 0; k < threads; ++k) {
        jobs[k].body = body; jobs[k].arg = arg;
        jobs[k].first = chunks * k / threads; jobs[k].last = chunks * (k + 1) / threads;
    }
    for (int k = 1; k < threads; ++k)
        started[k] = pthread_create(&ids[k], 0, run_range, &jobs[k]) == 0;
    run_range(&jobs[0]);
    for (int k = 1; k < threads; ++k) {
        if (started[k]) pthread_join(ids[k], 0);
        else run_range(&jobs[k]);  /* could not start a thread: do its share here */
    }
}

/* Every loop-invariant decision is taken outside the inner loops, so they vectorise. */

/* Charge one step of a chunk: u = alpha v + scale x, then reset v; STORE(i, u, s) saves. */
#define CHARGE_LOOP(T, STORE)                                                               \
    if (subtract) {                                                                         \
        for (int64_t i = 0; i < len; ++i) {                                                 \
            T u = alpha * v[i] + scale * xt[i];                                             \
            T s = u >= theta ? (T)1 : (T)0;                                                 \
            STORE;                                                                          \
            v[i] = u - theta * s;                                                           \
        }                                                                                   \
    } else {                                                                                \
        for (int64_t i = 0; i < len; ++i) {                                                 \
            T u = alpha * v[i] + scale * xt[i];                                             \
            T s = u >= theta ? (T)1 : (T)0;                                                 \
            STORE;                                                                          \
            v[i] = u * ((T)1 - s);                                                          \
        }                                                                                   \
    }

/* g_u = g_v * dv/du + g_s * sg and g_v(previous step) = alpha * g_u. The reset mode and
   detaching enter dv/du as 0/1 constants: one branch-free loop per surrogate. */
#define BACKWARD_LOOP(T, SURROGATE)                                                         \
    for (int64_t i = 0; i < len; ++i) {                                                     \
        T u = ut[i], z = u - theta, sg = SURROGATE;                                         \
        T keep = z >= 0 ? (T)0 : (T)1;                                                      \
        T jac = ((T)1 - zero_mode) * ((T)1 - through * theta * sg)                          \
              + zero_mode * (keep - through * u * sg);                                      \
        T gu = gv[i] * jac + gst[i] * sg;                                                   \
        g[i] = gu;                                                                          \
        gxt[i] = scale * gu;                                                                \
        gv[i] = alpha * gu;                                                                 \
    }

#define DEFINE_KERNELS(T, SUFFIX, EXP)                                                      \
typedef struct {                                                                            \
    const T *x; int64_t xs; const T *v0; T *spikes, *v_last;                                \
    int64_t steps, n; T alpha, scale, threshold; int reset;                                 \
} forward_args_##SUFFIX;                                                                    \
                                                                                            \
static void forward_chunks_##SUFFIX(void *p, int64_t first, int64_t last) {                 \
    const forward_args_##SUFFIX *a = (const forward_args_##SUFFIX *)p;                      \
    const T alpha = a->alpha, scale = a->scale, theta = a->threshold;                       \
    const int64_t n = a->n, steps = a->steps;                                               \
    const int subtract = a->reset == SUBTRACT;                                              \
    T v[CHUNK];                                                                             \
    for (int64_t c = first; c < last; ++c) {                                                \
        int64_t lo = c * CHUNK, len = (n - lo < CHUNK) ? n - lo : CHUNK;                    \
        if (a->v0) memcpy(v, a->v0 + lo, (size_t)len * sizeof(T));                          \
        else memset(v, 0, (size_t)len * sizeof(T));                                         \
        for (int64_t t = 0; t < steps; ++t) {                                               \
            const T *restrict xt = a->x + t * a->xs + lo;                                   \
            T *restrict st = a->spikes + t * n + lo;                                        \
            CHARGE_LOOP(T, st[i] = s)                                                       \
        }                                                                                   \
        memcpy(a->v_last + lo, v, (size_t)len * sizeof(T));                                 \
    }                                                                                       \
}                                                                                           \
                                                                                            \
void lif_forward_##SUFFIX(const T *x, int64_t xs, const T *v0, T *spikes, T *v_last,       \
                          int64_t steps, int64_t n, T alpha, T scale, T threshold,          \
                          int reset, int threads) {                                         \
    forward_args_##SUFFIX a = {x, xs, v0, spikes, v_last, steps, n, alpha, scale,           \
                               threshold, reset};                                           \
    parallel_chunks(forward_chunks_##SUFFIX, &a, (n + CHUNK - 1) / CHUNK, threads, steps * n); \
}                                                                                           \
                                                                                            \
typedef struct {                                                                            \
    const T *x; int64_t xs; const T *v0, *grad_spikes, *grad_v_last;                        \
    T *grad_x, *grad_v0, *grad_alpha;                                                       \
    int64_t steps, n; T alpha, scale, threshold; int reset, detach_reset, kind;             \
    T width; int decay_input, sum_time; volatile int failed;                                \
} backward_args_##SUFFIX;                                                                   \
                                                                                            \
static void backward_chunks_##SUFFIX(void *p, int64_t first, int64_t last) {                \
    backward_args_##SUFFIX *a = (backward_args_##SUFFIX *)p;                                \
    const T alpha = a->alpha, scale = a->scale, theta = a->threshold, w = a->width;         \
    const T zero_mode = a->reset == ZERO ? (T)1 : (T)0;                                     \
    const T through = a->detach_reset ? (T)0 : (T)1;                                        \
    const T input_decays = a->decay_input ? (T)1 : (T)0;                                    \
    const int subtract = a->reset == SUBTRACT;                                              \
    const int64_t n = a->n, steps = a->steps;                                               \
    T v[CHUNK], gv[CHUNK], ga[CHUNK], g[CHUNK], gstep[CHUNK], gsum[CHUNK];                  \
    T *ubuf = (T *)malloc(sizeof(T) * (size_t)steps * CHUNK);                               \
    if (!ubuf) { a->failed = 1; return; }                                                   \
    for (int64_t c = first; c < last; ++c) {                                                \
        int64_t lo = c * CHUNK, len = (n - lo < CHUNK) ? n - lo : CHUNK;                    \
        if (a->v0) memcpy(v, a->v0 + lo, (size_t)len * sizeof(T));                          \
        else memset(v, 0, (size_t)len * sizeof(T));                                         \
        for (int64_t t = 0; t < steps; ++t) {                                               \
            const T *restrict xt = a->x + t * a->xs + lo;                                   \
            T *restrict ub = ubuf + t * CHUNK;                                              \
            CHARGE_LOOP(T, ub[i] = u)                                                       \
        }                                                                                   \
        if (a->grad_v_last) memcpy(gv, a->grad_v_last + lo, (size_t)len * sizeof(T));       \
        else memset(gv, 0, (size_t)len * sizeof(T));                                        \
        memset(ga, 0, (size_t)len * sizeof(T));                                             \
        memset(gsum, 0, (size_t)len * sizeof(T));                                           \
        for (int64_t t = steps - 1; t >= 0; --t) {                                          \
            const T *restrict ut = ubuf + t * CHUNK;                                        \
            const T *restrict gst = a->grad_spikes + t * n + lo;                            \
            /* a constant input gets one gradient, summed over time, instead of T rows */   \
            T *restrict gxt = a->sum_time ? gstep : a->grad_x + t * n + lo;                 \
            switch (a->kind) {                                                              \
            case ATAN:                                                                      \
                BACKWARD_LOOP(T, (w / (T)2) / ((T)1 + ((T)HALF_PI * w * z) * ((T)HALF_PI * w * z))) \
                break;                                                                      \
            case SIGMOID:                                                                   \
                BACKWARD_LOOP(T, (w / ((T)1 + EXP(-w * z))) * ((T)1 - (T)1 / ((T)1 + EXP(-w * z)))) \
                break;                                                                      \
            default:                                                                        \
                BACKWARD_LOOP(T, ((T)1 - w * (z < 0 ? -z : z)) > 0 ? w * ((T)1 - w * (z < 0 ? -z : z)) : (T)0) \
            }                                                                               \
            if (a->sum_time)                                                                \
                for (int64_t i = 0; i < len; ++i) gsum[i] += gstep[i];                      \
            if (a->grad_alpha) {                                                            \
                /* du[t]/dalpha = v[t-1] (- x[t] when the input decays too) */              \
                const T *restrict xt = a->x + t * a->xs + lo;                               \
                if (t > 0) {                                                                \
                    const T *restrict up = ubuf + (t - 1) * CHUNK;                          \
                    for (int64_t i = 0; i < len; ++i) {                                     \
                        T fired = up[i] >= theta ? (T)1 : (T)0;                             \
                        T vp = subtract ? up[i] - theta * fired : up[i] * ((T)1 - fired);   \
                        ga[i] += g[i] * (vp - input_decays * xt[i]);                        \
                    }                                                                       \
                } else {                                                                    \
                    for (int64_t i = 0; i < len; ++i) {                                     \
                        T vp = a->v0 ? a->v0[lo + i] : (T)0;                                \
                        ga[i] += g[i] * (vp - input_decays * xt[i]);                        \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        if (a->sum_time) memcpy(a->grad_x + lo, gsum, (size_t)len * sizeof(T));             \
        if (a->grad_v0) memcpy(a->grad_v0 + lo, gv, (size_t)len * sizeof(T));               \
        if (a->grad_alpha) memcpy(a->grad_alpha + lo, ga, (size_t)len * sizeof(T));         \
    }                                                                                       \
    free(ubuf);                                                                             \
}                                                                                           \
                                                                                            \
int lif_backward_##SUFFIX(const T *x, int64_t xs, const T *v0, const T *grad_spikes,       \
                          const T *grad_v_last, T *grad_x, T *grad_v0, T *grad_alpha,       \
                          int64_t steps, int64_t n, T alpha, T scale, T threshold,          \
                          int reset, int detach_reset, int kind, T width, int decay_input,  \
                          int sum_time, int threads) {                                      \
    backward_args_##SUFFIX a = {x, xs, v0, grad_spikes, grad_v_last, grad_x, grad_v0,       \
                                grad_alpha, steps, n, alpha, scale, threshold, reset,       \
                                detach_reset, kind, width, decay_input, sum_time, 0};       \
    parallel_chunks(backward_chunks_##SUFFIX, &a, (n + CHUNK - 1) / CHUNK, threads, steps * n); \
    return a.failed;                                                                        \
}

DEFINE_KERNELS(float, f32, expf)
DEFINE_KERNELS(double, f64, exp)
"""
