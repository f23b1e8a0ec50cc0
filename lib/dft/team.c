/* A team of threads that share the work of one caller: the Hamiltonian applications
 * and dense algebra of one (spin, k-point) job, or the density of all of them
 * (kohnsham.h). The work of a call is cut into tasks whose number and bounds depend on
 * the problem's sizes only, never on the team's size; a task's result does not depend
 * on the member that runs it, and partial sums are added in task order. So the numbers
 * are the same bit for bit for any number of threads, and a team of one (no threads of
 * its own) does the same work, task after task, on the calling thread.
 *
 * Members take tasks one at a time from a counter under the team's lock (the caller
 * too), so a member that the system schedules late takes fewer of them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "kohnsham.h"

#define MIN_ROWS 256 /* rows of a slice of a tall matrix: zgemm stays at full speed */

typedef struct member {
  struct mb__team *team;
  int id;
} member;

struct mb__team {
  int size;              /* members, the caller (0) included */
  pthread_t *tid;        /* size - 1 threads */
  member *who;
  pthread_mutex_t lock;
  pthread_cond_t work;   /* tasks to take, or quit */
  pthread_cond_t done;   /* the last task of a run finished */
  int quit;
  /* the current run, guarded by lock */
  mb__team_fn fn;
  void *arg;
  int ntask, next, finished;
  /* the caller's scratch (mb__team_scratch) */
  void *scratch;
  size_t scratch_bytes;
};

/* Take and run tasks of the current run until none is left; lock held on entry and
 * exit. */
static void take_tasks(mb__team *t, int id) {
  while (t->next < t->ntask) {
    int task = t->next++;
    mb__team_fn fn = t->fn;
    void *arg = t->arg;
    pthread_mutex_unlock(&t->lock);
    fn(arg, task, id);
    pthread_mutex_lock(&t->lock);
    if (++t->finished == t->ntask) pthread_cond_signal(&t->done);
  }
}

static void *member_main(void *p) {
  member *m = p;
  mb__team *t = m->team;
  pthread_mutex_lock(&t->lock);
  for (;;) {
    while (!t->quit && t->next >= t->ntask) pthread_cond_wait(&t->work, &t->lock);
    if (t->quit) break;
    take_tasks(t, m->id);
  }
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

mb_status mb__team_create(int size, mb__team **out) {
  if (!out || size < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__team_create: size %d", size);
  *out = NULL;
  mb__team *t = mb__calloc(1, sizeof *t);
  if (!t) return MB_ERR_NOMEM;
  t->size = 1;
  if (size > 1) {
    t->tid = mb__malloc(size - 1, sizeof *t->tid);
    t->who = mb__malloc(size, sizeof *t->who);
    if (!t->tid || !t->who) {
      free(t->tid), free(t->who), free(t);
      return MB_ERR_NOMEM;
    }
  }
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->work, NULL);
  pthread_cond_init(&t->done, NULL);
  /* a thread that cannot start leaves a smaller team: the same results */
  for (int i = 1; i < size; i++) {
    t->who[i] = (member){t, i};
    if (pthread_create(&t->tid[i - 1], NULL, member_main, &t->who[i]) != 0) break;
    t->size = i + 1;
  }
  *out = t;
  return MB_OK;
}

void mb__team_free(mb__team *t) {
  if (!t) return;
  pthread_mutex_lock(&t->lock);
  t->quit = 1;
  pthread_cond_broadcast(&t->work);
  pthread_mutex_unlock(&t->lock);
  for (int i = 1; i < t->size; i++) pthread_join(t->tid[i - 1], NULL);
  pthread_cond_destroy(&t->work);
  pthread_cond_destroy(&t->done);
  pthread_mutex_destroy(&t->lock);
  free(t->tid), free(t->who), free(t->scratch);
  free(t);
}

int mb__team_size(const mb__team *t) { return t ? t->size : 1; }

void mb__team_run(mb__team *t, int ntask, mb__team_fn fn, void *arg) {
  if (!t || t->size == 1 || ntask <= 1) {
    for (int i = 0; i < ntask; i++) fn(arg, i, 0);
    return;
  }
  pthread_mutex_lock(&t->lock);
  t->fn = fn, t->arg = arg;
  t->ntask = ntask, t->next = 0, t->finished = 0;
  pthread_cond_broadcast(&t->work);
  take_tasks(t, 0);
  while (t->finished < t->ntask) pthread_cond_wait(&t->done, &t->lock);
  t->ntask = t->next = t->finished = 0;
  pthread_mutex_unlock(&t->lock);
}

void *mb__team_scratch(mb__team *t, size_t bytes) {
  if (bytes <= t->scratch_bytes) return t->scratch;
  free(t->scratch);
  t->scratch_bytes = 0;
  t->scratch = mb__malloc(bytes, 1);
  if (t->scratch) t->scratch_bytes = bytes;
  return t->scratch;
}

int mb__team_slices(long n, long min_size) {
  long k = min_size > 0 ? n / min_size : n;
  if (k > MB__TEAM_SLICES) k = MB__TEAM_SLICES;
  return k < 1 ? 1 : (int)k;
}

long mb__team_slice_start(long n, int nslice, int i) { return n * i / nslice; }

/* ---- BLAS by slices ------------------------------------------------------------- */

typedef struct gemm_task {
  int m, n, k, ns;
  double complex alpha, beta;
  const double complex *a, *b;
  int lda, ldb, ldc;
  double complex *c;
  const double complex *r; /* trsm: the triangle */
  int ldr;
} gemm_task;

/* C = (keep ? C : 0) + P_0 + P_1 + ... + P_{ns-1}, in this order, for C rows x n (leading
 * dimension ldc) and the partial products P_p rows x n one after the other in part
 * (real numbers: a complex matrix is 2 m rows of them). */
static void add_parts(double *c, size_t ldc, int rows, int n, const double *part, int ns,
                      int keep) {
  size_t mn = (size_t)rows * n;
  for (int j = 0; j < n; j++) {
    double *cj = c + (size_t)j * ldc;
    for (int i = 0; i < rows; i++) {
      double s = keep ? cj[i] : 0;
      for (int p = 0; p < ns; p++) s += part[p * mn + (size_t)j * rows + i];
      cj[i] = s;
    }
  }
}

/* partial product of rows [k0, k1) of A and B: m x n into c + task * m * n */
static void cn_slice(void *arg, int task, int id) {
  (void)id;
  const gemm_task *g = arg;
  const double complex one = 1, zero = 0;
  long k0 = mb__team_slice_start(g->k, g->ns, task);
  long k1 = mb__team_slice_start(g->k, g->ns, task + 1);
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, g->m, g->n, (int)(k1 - k0), &one,
              g->a + k0, g->lda, g->b + k0, g->ldb, &zero, g->c + (size_t)task * g->m * g->n,
              g->m);
}

mb_status mb__team_zgemm_cn(mb__team *t, int m, int n, int k, const double complex *a, int lda,
                            const double complex *b, int ldb, double complex beta,
                            double complex *c, int ldc) {
  if (m <= 0 || n <= 0) return MB_OK;
  /* slices of at least m and n rows too: the partial products (ns m n) then take no more
   * memory than B (k n) */
  long rows = MIN_ROWS;
  if (m > rows) rows = m;
  if (n > rows) rows = n;
  int ns = mb__team_slices(k, rows);
  if (ns == 1) { /* one slice: straight into C */
    const double complex one = 1;
    cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, m, n, k, &one, a, lda, b, ldb,
                &beta, c, ldc);
    return MB_OK;
  }
  size_t mn = (size_t)m * n;
  double complex *part = mb__team_scratch(t, mn * ns * sizeof *part);
  if (!part) return mb__error(MB_ERR_NOMEM, "mb__team_zgemm_cn: %d x %d x %d: out of memory",
                              ns, m, n);
  gemm_task g = {.m = m, .n = n, .k = k, .ns = ns, .a = a, .b = b, .lda = lda, .ldb = ldb,
                 .c = part};
  mb__team_run(t, ns, cn_slice, &g);
  add_parts((double *)c, 2 * (size_t)ldc, 2 * m, n, (const double *)part, ns, beta != 0);
  return MB_OK;
}

static void nn_slice(void *arg, int task, int id) {
  (void)id;
  const gemm_task *g = arg;
  long r0 = mb__team_slice_start(g->m, g->ns, task);
  long r1 = mb__team_slice_start(g->m, g->ns, task + 1);
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), g->n, g->k, &g->alpha,
              g->a + r0, g->lda, g->b, g->ldb, &g->beta, g->c + r0, g->ldc);
}

void mb__team_zgemm_nn(mb__team *t, int m, int n, int k, double complex alpha,
                       const double complex *a, int lda, const double complex *b, int ldb,
                       double complex beta, double complex *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  gemm_task g = {.m = m, .n = n, .k = k, .ns = mb__team_slices(m, MIN_ROWS), .alpha = alpha,
                 .beta = beta, .a = a, .b = b, .lda = lda, .ldb = ldb, .c = c, .ldc = ldc};
  mb__team_run(t, g.ns, nn_slice, &g);
}

static void trsm_slice(void *arg, int task, int id) {
  (void)id;
  const gemm_task *g = arg;
  const double complex one = 1;
  long r0 = mb__team_slice_start(g->m, g->ns, task);
  long r1 = mb__team_slice_start(g->m, g->ns, task + 1);
  cblas_ztrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)(r1 - r0),
              g->n, &one, g->r, g->ldr, g->c + r0, g->ldc);
}

void mb__team_ztrsm_ru(mb__team *t, int m, int n, const double complex *r, int ldr,
                       double complex *b, int ldb) {
  if (m <= 0 || n <= 0) return;
  gemm_task g = {.m = m, .n = n, .ns = mb__team_slices(m, MIN_ROWS), .r = r, .ldr = ldr,
                 .c = b, .ldc = ldb};
  mb__team_run(t, g.ns, trsm_slice, &g);
}

/* ---- the same in real arithmetic (real wavefunctions at Gamma, mb__basis.real) ------ */

typedef struct dgemm_task {
  int m, n, k, ns;
  double alpha, beta;
  const double *a, *b;
  int lda, ldb, ldc;
  double *c;
} dgemm_task;

static void tn_slice(void *arg, int task, int id) {
  (void)id;
  const dgemm_task *g = arg;
  long k0 = mb__team_slice_start(g->k, g->ns, task);
  long k1 = mb__team_slice_start(g->k, g->ns, task + 1);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, g->m, g->n, (int)(k1 - k0), 1.0,
              g->a + k0, g->lda, g->b + k0, g->ldb, 0.0, g->c + (size_t)task * g->m * g->n,
              g->m);
}

mb_status mb__team_dgemm_tn(mb__team *t, int m, int n, int k, const double *a, int lda,
                            const double *b, int ldb, double beta, double *c, int ldc) {
  if (m <= 0 || n <= 0) return MB_OK;
  long rows = 2 * MIN_ROWS; /* as mb__team_zgemm_cn, in real rows */
  if (m > rows) rows = m;
  if (n > rows) rows = n;
  int ns = mb__team_slices(k, rows);
  if (ns == 1) {
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, m, n, k, 1.0, a, lda, b, ldb, beta, c,
                ldc);
    return MB_OK;
  }
  size_t mn = (size_t)m * n;
  double *part = mb__team_scratch(t, mn * ns * sizeof *part);
  if (!part) return mb__error(MB_ERR_NOMEM, "mb__team_dgemm_tn: %d x %d x %d: out of memory",
                              ns, m, n);
  dgemm_task g = {.m = m, .n = n, .k = k, .ns = ns, .a = a, .b = b, .lda = lda, .ldb = ldb,
                  .c = part};
  mb__team_run(t, ns, tn_slice, &g);
  add_parts(c, (size_t)ldc, m, n, part, ns, beta != 0);
  return MB_OK;
}

static void dnn_slice(void *arg, int task, int id) {
  (void)id;
  const dgemm_task *g = arg;
  long r0 = mb__team_slice_start(g->m, g->ns, task);
  long r1 = mb__team_slice_start(g->m, g->ns, task + 1);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), g->n, g->k, g->alpha,
              g->a + r0, g->lda, g->b, g->ldb, g->beta, g->c + r0, g->ldc);
}

void mb__team_dgemm_nn(mb__team *t, int m, int n, int k, double alpha, const double *a,
                       int lda, const double *b, int ldb, double beta, double *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  dgemm_task g = {.m = m, .n = n, .k = k, .ns = mb__team_slices(m, 2 * MIN_ROWS),
                  .alpha = alpha, .beta = beta, .a = a, .b = b, .lda = lda, .ldb = ldb, .c = c,
                  .ldc = ldc};
  mb__team_run(t, g.ns, dnn_slice, &g);
}

static void dtrsm_slice(void *arg, int task, int id) {
  (void)id;
  const dgemm_task *g = arg;
  long r0 = mb__team_slice_start(g->m, g->ns, task);
  long r1 = mb__team_slice_start(g->m, g->ns, task + 1);
  cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)(r1 - r0),
              g->n, 1.0, g->a, g->lda, g->c + r0, g->ldc);
}

void mb__team_dtrsm_ru(mb__team *t, int m, int n, const double *r, int ldr, double *b,
                       int ldb) {
  if (m <= 0 || n <= 0) return;
  dgemm_task g = {.m = m, .n = n, .ns = mb__team_slices(m, 2 * MIN_ROWS), .a = r, .lda = ldr,
                  .c = b, .ldc = ldb};
  mb__team_run(t, g.ns, dtrsm_slice, &g);
}
