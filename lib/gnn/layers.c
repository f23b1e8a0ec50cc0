/* Layers of the graph network (docs/model.md, sections 2 and 3) in float32: Linear by
 * OpenBLAS sgemm, Norm, SiLU, radial basis functions and the edge-gated graph
 * convolution.
 *
 * The EGGC works on edges grouped by destination (see struct mb_graph), in blocks of
 * GNN_BLOCK edges: the block's gates g are computed, its messages are summed into the
 * destinations' num/den rows (consecutive, so the scatter-add walks memory forward),
 * and its edge features are updated, before the next block. Only one block of g is
 * ever stored, so a call needs O(nodes x H) scratch besides the features themselves.
 * Sums run in a fixed order, so results do not depend on threads.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>

#include "gnn.h"

/* The element-wise loops (activations, norms, the gated aggregation) take most
 * of the time after sgemm: GNN_HOT (gnn.h) compiles them twice, for baseline
 * x86-64 and for x86-64-v3 (AVX2 and FMA), and the loader picks the variant the
 * CPU runs (GNU ifunc). */

void mb__gnn_linear_apply(const gnn_linear *l, size_t n, const float *x, float *y) {
  if (n == 0) return;
  for (size_t r = 0; r < n; r++) memcpy(&y[r * (size_t)l->out], l->b, sizeof(float) * l->out);
  /* y[n, out] += x[n, in] . W^T, W stored [out, in] row-major. */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, l->out, l->in, 1.0f, x, l->in,
              l->w, l->in, 1.0f, y, l->out);
}

/* exp(x) for float32 without a libm call, so that loops over it vectorise:
 * x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two parts), exp(r)
 * by its degree-6 Taylor polynomial (relative error below 2e-7 on that interval),
 * times 2^n built in the exponent bits. Inputs are clamped to [-87, 87], where
 * expf neither overflows nor goes subnormal. */
static inline float fast_expf(float x) {
  x = x < -87.0f ? -87.0f : (x > 87.0f ? 87.0f : x);
  /* Round to nearest by adding and removing 1.5 * 2^23 (plain SSE2, vectorises). */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f; /* ln2 = 0.693359375 - 2.12194440e-4 */
  r = r + n * 2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* 1/d for d in [1, 6.1e37] (1 + fast_expf) without a division, so that the loops
 * are not bound by vdivps: a first guess from the exponent bits (relative error
 * below 12 %), then three Newton steps r <- r (2 - d r), each squaring the error:
 * below 3e-7 relative. */
static inline float recip_1_to_big(float d) {
  int32_t i;
  float r;
  memcpy(&i, &d, sizeof i);
  i = 0x7EF311C7 - i;
  memcpy(&r, &i, sizeof r);
  r = r * (2.0f - d * r);
  r = r * (2.0f - d * r);
  r = r * (2.0f - d * r);
  return r;
}

static inline float sigmoidf(float x) { return recip_1_to_big(1.0f + fast_expf(-x)); }

/* y = SiLU(Norm(x)) row by row, in one pass over each row while it is in cache;
 * with acc != NULL the result is added to acc (the residual connections of the
 * EGGC), otherwise it replaces x. */
GNN_HOT void mb__gnn_norm_silu(const gnn_norm *nm, size_t n, float *x, float *acc) {
  int c = nm->n;
  for (size_t r = 0; r < n; r++) {
    float *restrict row = &x[r * (size_t)c];
    float scale = 1.0f, shift = 0.0f;
    if (nm->kind == GNN_NORM_LAYERNORM) {
      /* Biased variance over the channels, eps 1e-5 (torch.nn.LayerNorm). */
      double mean = 0, var = 0;
      for (int k = 0; k < c; k++) mean += row[k];
      mean /= c;
      for (int k = 0; k < c; k++) var += (row[k] - mean) * (row[k] - mean);
      var /= c;
      scale = (float)(1.0 / sqrt(var + 1e-5));
      shift = (float)(-mean) * scale;
    }
    const float *restrict w = nm->w, *restrict b = nm->b;
    if (acc) {
      float *restrict out = &acc[r * (size_t)c];
      for (int k = 0; k < c; k++) {
        float y = (row[k] * scale + shift) * w[k] + b[k];
        out[k] += y * sigmoidf(y);
      }
    } else {
      for (int k = 0; k < c; k++) {
        float y = (row[k] * scale + shift) * w[k] + b[k];
        row[k] = y * sigmoidf(y);
      }
    }
  }
}

void mb__gnn_mlp_apply(const gnn_mlp *m, size_t n, const float *x, float *y) {
  mb__gnn_linear_apply(&m->lin, n, x, y);
  mb__gnn_norm_silu(&m->norm, n, y, NULL);
}

GNN_HOT void mb__gnn_rbf(const double *x, size_t rows, double lo, double hi, int count,
                     float *out) {
  /* ALIGNN's RBFExpansion: centres c_k = lo + k step, gamma = 1 / step. The
   * argument in double, the exponential in float (the features are float). */
  double step = (hi - lo) / (count - 1), gamma = 1.0 / step;
  for (size_t r = 0; r < rows; r++)
    for (int k = 0; k < count; k++) {
      double d = x[r] - (lo + k * step);
      out[r * (size_t)count + k] = fast_expf((float)(-gamma * d * d));
    }
}

GNN_HOT void mb__gnn_eggc_apply(const gnn_eggc *c, int H, size_t nnodes, float *h, size_t nedges,
                            float *e, const int *src, const int *dst, int update_edges,
                            const float *gate_table, const double *cosine, gnn_eggc_work *w) {
  size_t H4 = 4 * (size_t)H;
  /* nl[v] = [src_gate | dst_gate | src_update | dst_update](h[v]) in one sgemm. */
  const gnn_linear packed = {c->packed_w, c->packed_b, H, 4 * H};
  mb__gnn_linear_apply(&packed, nnodes, h, w->nl);
  memset(w->num, 0, sizeof(float) * nnodes * H);
  memset(w->den, 0, sizeof(float) * nnodes * H);
  for (size_t e0 = 0; e0 < nedges; e0 += GNN_BLOCK) {
    size_t nb = nedges - e0 < GNN_BLOCK ? nedges - e0 : GNN_BLOCK;
    float *g = w->g;
    if (gate_table)
      mb__gnn_table_lookup(gate_table, H, &cosine[e0], nb, g);
    else
      mb__gnn_linear_apply(&c->edge_gate, nb, &e[e0 * H], g);
    for (size_t r = 0; r < nb; r++) {
      size_t ed = e0 + r;
      /* Distinct arrays: restrict lets the compiler vectorise the channel loop. */
      float *restrict gr = &g[r * H];
      const float *restrict sg = &w->nl[(size_t)src[ed] * H4];          /* src_gate(h)[src] */
      const float *restrict dg = &w->nl[(size_t)dst[ed] * H4 + H];      /* dst_gate(h)[dst] */
      const float *restrict du = &w->nl[(size_t)src[ed] * H4 + 3 * H];  /* dst_update(h)[src] */
      float *restrict num = &w->num[(size_t)dst[ed] * H];
      float *restrict den = &w->den[(size_t)dst[ed] * H];
      /* In chunks of 64 channels, as three simple loops that vectorise. */
      for (int k0 = 0; k0 < H; k0 += 64) {
        int kn = H - k0 < 64 ? H - k0 : 64;
        float s[64];
        for (int k = 0; k < kn; k++) gr[k0 + k] += sg[k0 + k] + dg[k0 + k];
        for (int k = 0; k < kn; k++) s[k] = sigmoidf(gr[k0 + k]);
        for (int k = 0; k < kn; k++) {
          num[k0 + k] += s[k] * du[k0 + k];
          den[k0 + k] += s[k];
        }
      }
      /* e' = e + SiLU(norm_edges(g)) while the row is in L1 (the block's e rows
       * have already been read by the edge_gate sgemm above). */
      if (update_edges) mb__gnn_norm_silu(&c->norm_edges, 1, gr, &e[ed * H]);
    }
  }
  /* x = src_update(h) + num / (den + 1e-6); h' = h + SiLU(norm_nodes(x)) */
  float *x = w->num;
  for (size_t v = 0; v < nnodes; v++) {
    const float *su = &w->nl[v * H4 + 2 * H];
    float *xv = &x[v * H];
    const float *den = &w->den[v * H];
    for (int k = 0; k < H; k++) xv[k] = su[k] + xv[k] / (den[k] + 1e-6f);
  }
  mb__gnn_norm_silu(&c->norm_nodes, nnodes, x, h);
}
