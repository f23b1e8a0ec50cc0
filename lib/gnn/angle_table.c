/* The angle features and the first line-graph layer's edge gate as tabulated
 * functions of the bond-angle cosine.
 *
 * Both depend on the cosine alone: t = angle_mlp.1(angle_mlp.0(rbf(cos))) and
 * g = line[0].edge_gate(t) (docs/model.md, section 3). At load they are
 * evaluated on a uniform grid of GNN_TABLE_N points over [-1, 1] (plus one point
 * beyond each end), and a prediction interpolates them with Catmull-Rom cubics
 * (E. Catmull and R. Rom, Computer Aided Geometric Design, 317 (1974)), whose
 * error is O(h^3): about 1e-9 of the feature scale here, far below float32
 * rounding of the full computation. This replaces T x (40E + EH + H^2)
 * multiply-adds per structure by 4H per triplet for each table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn.h"

static double grid_x(int i) { return -1.0 + (i - 1) * (2.0 / (GNN_TABLE_N - 1)); }

mb_status mb__gnn_angle_tables(mb_model *m) {
  const gnn_config *c = &m->cfg;
  if (c->alignn_layers < 1) return MB_OK;
  size_t H = (size_t)c->hidden, E = (size_t)c->embedding, P = GNN_TABLE_N + 2;
  size_t nrbf = (size_t)c->angle_n;
  double *x = mb__malloc(P, sizeof *x);
  float *rbf = mb__malloc(P * nrbf, sizeof *rbf), *mid = mb__malloc(P * E, sizeof *mid);
  float *tab = mb__malloc(2 * P * H, sizeof *tab);
  mb_status st = MB_OK;
  if (!x || !rbf || !mid || !tab) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (size_t i = 0; i < P; i++) x[i] = grid_x((int)i);
  mb__gnn_rbf(x, P, c->angle_lo, c->angle_hi, c->angle_n, rbf);
  mb__gnn_mlp_apply(&m->angle0, P, rbf, mid);
  mb__gnn_mlp_apply(&m->angle1, P, mid, tab);
  mb__gnn_linear_apply(&m->line[0].edge_gate, P, tab, tab + P * H);
  m->angle_table = tab;
  m->gate_table = tab + P * H;
  tab = NULL;
done:
  free(x);
  free(rbf);
  free(mid);
  free(tab);
  return st;
}

/* rows of table (GNN_TABLE_N + 2 rows of H) at the cosines x[0..n), into out. */
GNN_HOT void mb__gnn_table_lookup(const float *table, int H, const double *x, size_t n,
                              float *out) {
  const double scale = (GNN_TABLE_N - 1) / 2.0;
  for (size_t r = 0; r < n; r++) {
    double u = (x[r] + 1.0) * scale; /* x in [-1, 1] -> u in [0, N-1] */
    int i = (int)u;
    if (i > GNN_TABLE_N - 2) i = GNN_TABLE_N - 2;
    if (i < 0) i = 0;
    float f = (float)(u - i);
    /* Catmull-Rom weights of the points i-1, i, i+1, i+2 (table rows i .. i+3). */
    float f2 = f * f, f3 = f2 * f;
    float w0 = -0.5f * f3 + f2 - 0.5f * f, w1 = 1.5f * f3 - 2.5f * f2 + 1.0f;
    float w2 = -1.5f * f3 + 2.0f * f2 + 0.5f * f, w3 = 0.5f * f3 - 0.5f * f2;
    const float *restrict t0 = &table[(size_t)i * H], *restrict t1 = t0 + H;
    const float *restrict t2 = t1 + H, *restrict t3 = t2 + H;
    float *restrict o = &out[r * (size_t)H];
    for (int k = 0; k < H; k++) o[k] = w0 * t0[k] + w1 * t1[k] + w2 * t2[k] + w3 * t3[k];
  }
}
