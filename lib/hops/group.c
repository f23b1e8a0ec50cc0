/* Classes of hops equivalent under the space group.
 *
 * spglib gives the operations (W, w) of the structure as given, in fractional
 * coordinates: x -> W x + w, with every pure translation of a centred or
 * supercell setting listed as an operation of its own. Operation g sends site i to
 * site g(i) in the cell L_i: W x_i + w = x_g(i) + L_i. A hop from x_i to x_j + S then
 * goes to the hop from x_g(i) + L_i to W (x_j + S) + w = x_g(j) + L_j + W S, i.e.,
 * moved back by the lattice translation L_i, to (g(i), g(j), L_j - L_i + W S). The
 * images of every hop under every operation, each put in its canonical direction
 * (hop reversal is the same hop), are joined by union-find; a class is a distinct
 * hop and its size the multiplicity (undirected hops per unit cell). */
#include <math.h>
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

#include "hops.h"

/* A site maps onto a site when the Cartesian distance is within this many times
 * symprec (spglib accepts the operations at symprec, and a few of its steps add
 * their own rounding). */
#define HOPS_MAP_FACTOR 3.0

static int uf_find(int *parent, int x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/* perm[o*n + i] = g(i), cell[3(o*n + i) + c] = L_i for every operation o. */
static mb_status map_sites(const mb_hops *h, const SpglibDataset *ds, int *perm, int *cell) {
  int n = h->nsites;
  double tol = HOPS_MAP_FACTOR * h->symprec;
  for (int o = 0; o < ds->n_operations; o++)
    for (int i = 0; i < n; i++) {
      double y[3];
      const double *x = h->site_frac + 3 * i;
      for (int a = 0; a < 3; a++)
        y[a] = ds->rotations[o][a][0] * x[0] + ds->rotations[o][a][1] * x[1] +
               ds->rotations[o][a][2] * x[2] + ds->translations[o][a];
      int best = -1;
      double best_d = INFINITY, best_l[3] = {0, 0, 0};
      for (int k = 0; k < n; k++) {
        double d[3], l[3], v[3];
        for (int a = 0; a < 3; a++) {
          l[a] = round(y[a] - h->site_frac[3 * k + a]);
          d[a] = y[a] - h->site_frac[3 * k + a] - l[a];
        }
        mb__vecmat3(d, h->s->lattice, v);
        double dist = mb__norm3(v);
        if (dist < best_d) best_d = dist, best = k, memcpy(best_l, l, sizeof l);
      }
      if (best < 0 || best_d > tol)
        return mb__error(MB_ERR_SYMMETRY, "hops: symmetry operation %d sends site %d (atom %d) "
                         "%g A away from any site (tolerance %g A)", o, i, h->site_atom[i],
                         best_d, tol);
      perm[o * n + i] = best;
      for (int a = 0; a < 3; a++) cell[3 * (o * n + i) + a] = (int)best_l[a];
    }
  return MB_OK;
}

/* Order of classes: shortest first, then by representative. */
static int group_compare(const void *pa, const void *pb) {
  const mb__hop_group *a = pa, *b = pb;
  if (fabs(a->length - b->length) > 1e-6) return a->length < b->length ? -1 : 1;
  return mb__hops_compare(&a->rep, &b->rep);
}

/* The representative of a class: from the lowest site, then to the lowest site, then
 * the smallest image (sum of |S|), then the canonical order. */
static int rep_better(const mb__hop *a, const mb__hop *b) {
  if (a->i != b->i) return a->i < b->i;
  if (a->j != b->j) return a->j < b->j;
  int na = abs(a->image[0]) + abs(a->image[1]) + abs(a->image[2]);
  int nb = abs(b->image[0]) + abs(b->image[1]) + abs(b->image[2]);
  if (na != nb) return na < nb;
  return mb__hops_compare(a, b) < 0;
}

mb_status mb__hops_group(mb_hops *h) {
  const mb_structure *s = h->s;
  int n = h->nsites, nh = h->nhops;
  SpglibDataset *ds = NULL;
  mb_status st0 = mb__structure_dataset(s, h->symprec, &ds);
  if (st0) {
    mb__error_prefix("hops");
    return st0;
  }
  int nops = ds->n_operations;
  int *perm = mb__malloc((size_t)nops * n, sizeof *perm);
  int *cell = mb__malloc(3 * (size_t)nops * n, sizeof *cell);
  int *parent = mb__malloc((size_t)nh, sizeof *parent);
  int *root_group = mb__malloc((size_t)nh, sizeof *root_group);
  mb_status st = MB_OK;
  h->hop_group = mb__malloc((size_t)nh, sizeof *h->hop_group);
  if (!perm || !cell || !parent || !root_group || !h->hop_group) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  if ((st = map_sites(h, ds, perm, cell))) goto done;
  for (int k = 0; k < nh; k++) parent[k] = k;
  for (int k = 0; k < nh; k++) {
    const mb__hop *hop = &h->hops[k];
    for (int o = 0; o < nops; o++) {
      const int *li = cell + 3 * (o * n + hop->i), *lj = cell + 3 * (o * n + hop->j);
      mb__hop img = {perm[o * n + hop->i], perm[o * n + hop->j], {0, 0, 0}};
      for (int a = 0; a < 3; a++)
        img.image[a] = lj[a] - li[a] + ds->rotations[o][a][0] * hop->image[0] +
                       ds->rotations[o][a][1] * hop->image[1] +
                       ds->rotations[o][a][2] * hop->image[2];
      img = mb__hops_canonical(img);
      /* An image missing from the list lies at max_length within rounding: the hop
       * stays in a class of its own rather than failing the search. */
      int m = mb__hops_lookup(h->hops, nh, &img);
      if (m < 0) continue;
      int a = uf_find(parent, k), b = uf_find(parent, m);
      if (a != b) parent[a < b ? b : a] = a < b ? a : b;
    }
  }
  /* number the classes, pick representatives */
  int ng = 0;
  for (int k = 0; k < nh; k++) root_group[k] = -1;
  h->groups = mb__calloc((size_t)nh, sizeof *h->groups);
  if (!h->groups) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (int k = 0; k < nh; k++) {
    int r = uf_find(parent, k);
    if (root_group[r] < 0) {
      root_group[r] = ng;
      h->groups[ng].rep = h->hops[k];
      ng++;
    }
    mb__hop_group *g = &h->groups[root_group[r]];
    g->multiplicity++;
    if (rep_better(&h->hops[k], &g->rep)) g->rep = h->hops[k];
  }
  h->ngroups = ng;
  for (int g = 0; g < ng; g++) {
    double v[3];
    mb__hops_vector(h, &h->groups[g].rep, v);
    h->groups[g].length = mb__norm3(v);
  }
  /* sort the classes; hop_group follows through the representatives */
  qsort(h->groups, (size_t)ng, sizeof *h->groups, group_compare);
  for (int g = 0; g < ng; g++) {
    int m = mb__hops_lookup(h->hops, nh, &h->groups[g].rep);
    root_group[uf_find(parent, m)] = g;
  }
  for (int k = 0; k < nh; k++) h->hop_group[k] = root_group[uf_find(parent, k)];
done:
  spg_free_dataset(ds);
  free(perm), free(cell), free(parent), free(root_group);
  return st;
}
