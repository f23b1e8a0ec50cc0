/* The forward pass (docs/model.md, sections 2-3) and batch prediction.
 *
 * One call allocates one arena: atom features h [N, H], edge features e [M, H],
 * triplet features t [T, H], the EGGC scratch (4 + 2 rows of H per node of the larger
 * graph, one block of gates) and the input-embedding blocks. Layers update features
 * in place, so the peak is about (T + 7 max(N, M) + N) H floats: for the 1027-atom band
 * of the em data (M = 12856 edges, T = 161486 triplets, H = 128) about 130 MB.
 *
 * Threads: mb_model_predict_batch runs one structure per worker thread; each structure
 * is computed by one thread in a fixed order, so results do not depend on nthreads.
 * OpenBLAS may thread each sgemm as well (OPENBLAS_NUM_THREADS); with nthreads > 1
 * users should set OPENBLAS_NUM_THREADS=1 (or call openblas_set_num_threads(1)) to avoid
 * oversubscription. libmigbar never changes that global setting itself.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn.h"

typedef struct arena {
  float *base;
  float *h, *e, *t, *xin, *rbf, *mid;
  gnn_eggc_work w;
} arena;

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static mb_status arena_alloc(const mb_model *m, const mb_graph *g, arena *a) {
  const gnn_config *c = &m->cfg;
  size_t H = (size_t)c->hidden, E = (size_t)c->embedding, B = GNN_BLOCK;
  size_t N = (size_t)g->natoms, M = g->nedges, T = g->ntriplets;
  size_t nodes = N > M ? N : M;
  size_t nrbf = (size_t)(c->edge_n > c->angle_n ? c->edge_n : c->angle_n);
  size_t sizes[9] = {N * H, M * H, T * H, N * (E + 1), B * nrbf, B * E,
                     nodes * 4 * H, nodes * H, nodes * H};
  size_t gsize = B * H, total = round16(gsize);
  if (T > SIZE_MAX / 64 / H || nodes > SIZE_MAX / 64 / H)
    return mb__error(MB_ERR_NOMEM, "graph of %zu triplets too large", T);
  for (int i = 0; i < 9; i++) total += round16(sizes[i]);
  a->base = mb__malloc(total, sizeof(float));
  if (!a->base) return MB_ERR_NOMEM;
  float *p = a->base;
  float **slot[9] = {&a->h, &a->e, &a->t, &a->xin, &a->rbf, &a->mid, &a->w.nl, &a->w.num,
                     &a->w.den};
  for (int i = 0; i < 9; i++) {
    *slot[i] = p;
    p += round16(sizes[i]);
  }
  a->w.g = p;
  return MB_OK;
}

/* rows of an input feature: rbf(x) -> mlp0 -> mlp1, in blocks, into out [rows, H]. */
static void embed(const gnn_mlp *m0, const gnn_mlp *m1, const double *x, size_t rows,
                  double lo, double hi, int nrbf, arena *a, float *out) {
  size_t H = (size_t)m1->lin.out;
  for (size_t r0 = 0; r0 < rows; r0 += GNN_BLOCK) {
    size_t nb = rows - r0 < GNN_BLOCK ? rows - r0 : GNN_BLOCK;
    mb__gnn_rbf(&x[r0], nb, lo, hi, nrbf, a->rbf);
    mb__gnn_mlp_apply(m0, nb, a->rbf, a->mid);
    mb__gnn_mlp_apply(m1, nb, a->mid, &out[r0 * H]);
  }
}

/* Mean (and attention) pooling and the head, in double precision; r holds R + nband
 * doubles of scratch. */
static void readout(const mb_model *m, const mb_graph *g, const float *h, double *r,
                    double *outputs) {
  const gnn_config *c = &m->cfg;
  int H = c->hidden, N = g->natoms, R = m->readout;
  double *att = r + R;
  memset(r, 0, sizeof(double) * R);
  for (int i = 0; i < N; i++)
    for (int k = 0; k < H; k++) r[k] += h[(size_t)i * H + k];
  for (int k = 0; k < H; k++) r[k] /= N;
  if (c->pooling == GNN_POOL_MEAN_ATTENTION) {
    /* alpha = softmax over band atoms of attention(h_i); p = sum alpha_i h_i */
    double amax = -INFINITY, sum = 0;
    for (int i = 0; i < g->nband; i++) {
      double s = m->attention.b[0];
      for (int k = 0; k < H; k++) s += (double)m->attention.w[k] * h[(size_t)i * H + k];
      att[i] = s;
      if (s > amax) amax = s;
    }
    for (int i = 0; i < g->nband; i++) sum += (att[i] = exp(att[i] - amax));
    for (int i = 0; i < g->nband; i++)
      for (int k = 0; k < H; k++) r[H + k] += att[i] / sum * h[(size_t)i * H + k];
  }
  for (int p = 0; p < c->ntargets; p++) {
    double y = m->head.b[p];
    for (int k = 0; k < R; k++) y += (double)m->head.w[(size_t)p * R + k] * r[k];
    outputs[p] = y * c->target_std[p] + c->target_mean[p];
  }
}

/* The forward pass over a built graph. */
static mb_status forward(const mb_model *m, const mb_structure *s, const mb_graph *g,
                         double *outputs) {
  const gnn_config *c = &m->cfg;
  int H = c->hidden, E = c->embedding, in = E + (c->band_flags ? 1 : 0);
  size_t N = (size_t)g->natoms, M = g->nedges, T = g->ntriplets;
  arena a = {0};
  double *r = mb__malloc((size_t)m->readout + (size_t)g->nband, sizeof *r);
  if (!r) return MB_ERR_NOMEM;
  mb_status st = arena_alloc(m, g, &a);
  if (st) {
    free(r);
    return st;
  }
  /* Atoms: embedding row Z, then the band flag column. */
  for (size_t i = 0; i < N; i++) {
    memcpy(&a.xin[i * in], &m->embedding[(size_t)s->numbers[i] * E], sizeof(float) * E);
    if (c->band_flags) a.xin[i * in + E] = (int)i < g->nband ? 1.0f : 0.0f;
  }
  mb__gnn_mlp_apply(&m->atom, N, a.xin, a.h);
  embed(&m->edge0, &m->edge1, g->len, M, c->edge_lo, c->edge_hi, c->edge_n, &a, a.e);
  /* Angle features from the table of the cosine (angle_table.c), or computed
   * directly when the model was loaded without tables. */
  if (m->angle_table)
    mb__gnn_table_lookup(m->angle_table, H, g->cosine, T, a.t);
  else if (c->alignn_layers > 0)
    embed(&m->angle0, &m->angle1, g->cosine, T, c->angle_lo, c->angle_hi, c->angle_n, &a, a.t);
  int nconv = 2 * c->alignn_layers + c->gcn_layers, k = 0;
  /* Features nobody reads later are not updated: t after the last line-graph layer,
   * e after the last convolution. */
  for (int l = 0; l < c->alignn_layers; l++) {
    mb__gnn_eggc_apply(&m->line[l], H, M, a.e, T, a.t, g->ta, g->tb, l + 1 < c->alignn_layers,
                   l == 0 ? m->gate_table : NULL, g->cosine, &a.w);
    k++;
    mb__gnn_eggc_apply(&m->atomg[l], H, N, a.h, M, a.e, g->src, g->dst, ++k < nconv, NULL, NULL,
                   &a.w);
  }
  for (int l = 0; l < c->gcn_layers; l++)
    mb__gnn_eggc_apply(&m->gcn[l], H, N, a.h, M, a.e, g->src, g->dst, ++k < nconv, NULL, NULL,
                   &a.w);
  readout(m, g, a.h, r, outputs);
  free(r);
  free(a.base);
  return MB_OK;
}

static mb_status check_nband(const mb_model *m, const mb_structure *s, int nband) {
  if (nband < 0 || nband > s->natoms)
    return mb__error(MB_ERR_INVALID_ARG, "nband = %d outside 0..%d", nband, s->natoms);
  int band = m->cfg.band_flags || m->cfg.pooling == GNN_POOL_MEAN_ATTENTION;
  if (band && nband < 1)
    return mb__error(MB_ERR_INVALID_ARG,
                     "the model reads migration bands: nband must be >= 1 (it is %d)", nband);
  return MB_OK;
}

MB_API mb_status mb_model_predict_structure(const mb_model *m, const mb_structure *s,
                                            int nband, double *outputs) {
  if (!m || !s || !outputs)
    return mb__error(MB_ERR_INVALID_ARG, "mb_model_predict_structure: NULL argument");
  mb_status st = check_nband(m, s, nband);
  if (st) return st;
  mb_graph *g = NULL;
  if ((st = mb__gnn_graph_create(s, m->cfg.k, nband, m->cfg.line_graph, &g))) return st;
  double *y = mb__malloc((size_t)m->cfg.ntargets, sizeof *y);
  if (!y) st = MB_ERR_NOMEM;
  else st = forward(m, s, g, y);
  if (!st) memcpy(outputs, y, sizeof *y * (size_t)m->cfg.ntargets);
  free(y);
  mb_graph_free(g);
  return st;
}

/* ---- batch --------------------------------------------------------------------------- */

typedef struct batch {
  const mb_model *m;
  const mb_structure *const *s;
  const int *nband;
  int n;
  double *y;               /* n*P */
  pthread_mutex_t lock;
  int next;                /* next structure to take */
  int err_index;           /* lowest failing structure, or n */
  mb_status err_status;
  char err_msg[512];
} batch;

static void *worker(void *arg) {
  batch *b = arg;
  int P = b->m->cfg.ntargets;
  for (;;) {
    pthread_mutex_lock(&b->lock);
    int i = b->next < b->n && b->next < b->err_index ? b->next++ : -1;
    pthread_mutex_unlock(&b->lock);
    if (i < 0) break;
    mb_status st = mb_model_predict_structure(b->m, b->s[i], b->nband ? b->nband[i] : 0,
                                              &b->y[(size_t)i * P]);
    if (st) {
      /* mb_last_error is per thread: keep the message for the caller. */
      pthread_mutex_lock(&b->lock);
      if (i < b->err_index) {
        b->err_index = i;
        b->err_status = st;
        snprintf(b->err_msg, sizeof b->err_msg, "%s", mb_last_error());
      }
      pthread_mutex_unlock(&b->lock);
    }
  }
  return NULL;
}

MB_API mb_status mb_model_predict_batch(const mb_model *m, int n,
                                        const mb_structure *const *structures,
                                        const int *nband, int nthreads, double *outputs) {
  if (!m || n < 0 || (n > 0 && (!structures || !outputs)) || nthreads < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb_model_predict_batch: bad argument");
  for (int i = 0; i < n; i++)
    if (!structures[i])
      return mb__error(MB_ERR_INVALID_ARG, "mb_model_predict_batch: structure %d is NULL", i);
  if (n == 0) return MB_OK;
  if (nthreads == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = cores > 0 && cores < 4096 ? (int)cores : 1;
  }
  if (nthreads > n) nthreads = n;
  int P = m->cfg.ntargets;
  batch b = {.m = m, .s = structures, .nband = nband, .n = n, .err_index = n};
  b.y = mb__malloc((size_t)n * P, sizeof *b.y);
  if (!b.y) return MB_ERR_NOMEM;
  pthread_t *tid = NULL;
  int started = 0;
  pthread_mutex_init(&b.lock, NULL);
  if (nthreads > 1 && (tid = malloc(sizeof *tid * (size_t)(nthreads - 1))))
    for (; started < nthreads - 1; started++)
      if (pthread_create(&tid[started], NULL, worker, &b)) break;
  worker(&b); /* the calling thread works too */
  for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
  free(tid);
  pthread_mutex_destroy(&b.lock);
  mb_status st = MB_OK;
  if (b.err_index < n)
    st = mb__error(b.err_status, "structure %d: %s", b.err_index, b.err_msg);
  else
    memcpy(outputs, b.y, sizeof *b.y * (size_t)n * P);
  free(b.y);
  return st;
}
