/* The ALIGNN-style graph of a structure (docs/model.md, section 1).
 *
 * Every k-nearest-neighbour pair (i, j, S), v = r_j + S.L - r_i, gives the directed
 * edges j(S) -> i (vector -v) and i(-S) -> j (vector +v). An edge is keyed by
 * (dst, src, image shift of src); sorting the keys groups the edges by destination
 * and puts duplicates (pairs found from both ends) next to each other, where they are
 * dropped. The line graph joins a = (u -> v) to b = (v -> w): for each edge b in
 * order, every edge into src(b), so triplets come out grouped by b.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn.h"

typedef struct edge_key {
  int dst, src, shift[3];
  double vec[3];
} edge_key;

static int key_cmp(const void *pa, const void *pb) {
  const edge_key *a = pa, *b = pb;
  if (a->dst != b->dst) return a->dst < b->dst ? -1 : 1;
  if (a->src != b->src) return a->src < b->src ? -1 : 1;
  for (int c = 0; c < 3; c++)
    if (a->shift[c] != b->shift[c]) return a->shift[c] < b->shift[c] ? -1 : 1;
  return 0;
}

static int same_key(const edge_key *a, const edge_key *b) {
  return a->dst == b->dst && a->src == b->src && a->shift[0] == b->shift[0] &&
         a->shift[1] == b->shift[1] && a->shift[2] == b->shift[2];
}

MB_API void mb_graph_free(mb_graph *g) {
  if (!g) return;
  free(g->src);
  free(g->dst);
  free(g->vec);
  free(g->len);
  free(g->in_first);
  free(g->ta);
  free(g->tb);
  free(g->cosine);
  free(g->t_first);
  free(g);
}

/* Edges from the neighbour list, sorted and deduplicated. */
static mb_status build_edges(const mb_structure *s, int k, mb_graph *g) {
  mb_neighbors *nl = NULL;
  edge_key *keys = NULL;
  int *pi = NULL, *pj = NULL, *ps = NULL;
  double *pv = NULL;
  mb_status st = mb_neighbors_knn(s, k, &nl);
  if (st != MB_OK) goto done;
  size_t np = 0;
  mb_neighbors_count(nl, &np);
  if (np > (size_t)INT_MAX / 2) {
    st = mb__error(MB_ERR_RANGE, "graph: %zu neighbour pairs are too many", np);
    goto done;
  }
  pi = mb__malloc(np, sizeof *pi);
  pj = mb__malloc(np, sizeof *pj);
  ps = mb__malloc(3 * np, sizeof *ps);
  pv = mb__malloc(3 * np, sizeof *pv);
  keys = mb__malloc(2 * np, sizeof *keys);
  if (!pi || !pj || !ps || !pv || !keys) { st = MB_ERR_NOMEM; goto done; }
  mb_neighbors_pairs(nl, pi, pj, ps, NULL, pv);
  for (size_t p = 0; p < np; p++) {
    edge_key *a = &keys[2 * p], *b = &keys[2 * p + 1];
    a->src = pj[p];
    a->dst = pi[p];
    b->src = pi[p];
    b->dst = pj[p];
    for (int c = 0; c < 3; c++) {
      a->shift[c] = ps[3 * p + c];
      b->shift[c] = -ps[3 * p + c];
      a->vec[c] = -pv[3 * p + c];
      b->vec[c] = pv[3 * p + c];
    }
  }
  qsort(keys, 2 * np, sizeof *keys, key_cmp);
  size_t m = 0;
  for (size_t p = 0; p < 2 * np; p++)
    if (m == 0 || !same_key(&keys[m - 1], &keys[p])) keys[m++] = keys[p];
  g->nedges = m;
  g->src = mb__malloc(m, sizeof *g->src);
  g->dst = mb__malloc(m, sizeof *g->dst);
  g->vec = mb__malloc(3 * m, sizeof *g->vec);
  g->len = mb__malloc(m, sizeof *g->len);
  g->in_first = mb__calloc((size_t)g->natoms + 1, sizeof *g->in_first);
  if (!g->src || !g->dst || !g->vec || !g->len || !g->in_first) { st = MB_ERR_NOMEM; goto done; }
  for (size_t e = 0; e < m; e++) {
    g->src[e] = keys[e].src;
    g->dst[e] = keys[e].dst;
    memcpy(&g->vec[3 * e], keys[e].vec, sizeof keys[e].vec);
    g->len[e] = mb__norm3(keys[e].vec);
    g->in_first[keys[e].dst + 1]++;
  }
  for (int v = 0; v < g->natoms; v++) g->in_first[v + 1] += g->in_first[v];
done:
  free(keys);
  free(pi);
  free(pj);
  free(ps);
  free(pv);
  mb_neighbors_free(nl);
  return st;
}

/* Triplets a -> b sharing the atom u = src(b) = dst(a); with band_only, only those
 * whose u is a band atom (u < nband), the band line graph of docs/model.md 1.4. */
static mb_status build_triplets(mb_graph *g, int band_only) {
  size_t m = g->nedges, t = 0;
  g->t_first = mb__malloc(m + 1, sizeof *g->t_first);
  if (!g->t_first) return MB_ERR_NOMEM;
  g->t_first[0] = 0;
  for (size_t b = 0; b < m; b++) {
    int u = g->src[b];
    if (!band_only || u < g->nband) t += g->in_first[u + 1] - g->in_first[u];
    g->t_first[b + 1] = t;
  }
  g->ntriplets = t;
  g->ta = mb__malloc(t, sizeof *g->ta);
  g->tb = mb__malloc(t, sizeof *g->tb);
  g->cosine = mb__malloc(t, sizeof *g->cosine);
  if (!g->ta || !g->tb || !g->cosine) return MB_ERR_NOMEM;
  t = 0;
  for (size_t b = 0; b < m; b++) {
    int u = g->src[b];
    if (band_only && u >= g->nband) continue;
    const double *rb = &g->vec[3 * b];
    for (size_t a = g->in_first[u]; a < g->in_first[u + 1]; a++, t++) {
      const double *ra = &g->vec[3 * a];
      /* Bond angle at the shared atom: between -r_a (towards a's source) and r_b. */
      double c = -mb__dot3(ra, rb) / (g->len[a] * g->len[b]);
      g->ta[t] = (int)a;
      g->tb[t] = (int)b;
      g->cosine[t] = c > 1 ? 1 : c < -1 ? -1 : c;
    }
  }
  return MB_OK;
}

MB_API mb_status mb_graph_create(const mb_structure *s, int k, int nband, mb_graph **out) {
  return mb__gnn_graph_create(s, k, nband, GNN_LINE_FULL, out);
}

mb_status mb__gnn_graph_create(const mb_structure *s, int k, int nband, int line, mb_graph **out) {
  if (!s || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_graph_create: NULL argument");
  if (k < 1) return mb__error(MB_ERR_INVALID_ARG, "mb_graph_create: k = %d, must be >= 1", k);
  if (nband < 0 || nband > s->natoms)
    return mb__error(MB_ERR_INVALID_ARG, "mb_graph_create: nband = %d outside 0..%d", nband,
                     s->natoms);
  mb_graph *g = mb__calloc(1, sizeof *g);
  if (!g) return MB_ERR_NOMEM;
  g->natoms = s->natoms;
  g->nband = nband;
  mb_status st = build_edges(s, k, g);
  if (st == MB_OK) st = build_triplets(g, line == GNN_LINE_BAND);
  if (st != MB_OK) {
    mb_graph_free(g);
    return st;
  }
  *out = g;
  return MB_OK;
}

MB_API mb_status mb_graph_sizes(const mb_graph *g, int *natoms, size_t *nedges,
                                size_t *ntriplets) {
  if (!g) return mb__error(MB_ERR_INVALID_ARG, "mb_graph_sizes: NULL graph");
  if (natoms) *natoms = g->natoms;
  if (nedges) *nedges = g->nedges;
  if (ntriplets) *ntriplets = g->ntriplets;
  return MB_OK;
}

MB_API mb_status mb_graph_edges(const mb_graph *g, int *src, int *dst, double *vector) {
  if (!g) return mb__error(MB_ERR_INVALID_ARG, "mb_graph_edges: NULL graph");
  if (src) memcpy(src, g->src, g->nedges * sizeof *src);
  if (dst) memcpy(dst, g->dst, g->nedges * sizeof *dst);
  if (vector) memcpy(vector, g->vec, 3 * g->nedges * sizeof *vector);
  return MB_OK;
}

MB_API mb_status mb_graph_triplets(const mb_graph *g, int *a, int *b, double *cosine) {
  if (!g) return mb__error(MB_ERR_INVALID_ARG, "mb_graph_triplets: NULL graph");
  if (a) memcpy(a, g->ta, g->ntriplets * sizeof *a);
  if (b) memcpy(b, g->tb, g->ntriplets * sizeof *b);
  if (cosine) memcpy(cosine, g->cosine, g->ntriplets * sizeof *cosine);
  return MB_OK;
}
