/* Sites of the mobile species and the candidate hops: every pair of sites (periodic
 * images included, a site and its own image too) within max_length, from a neighbour
 * list of the sites alone. The list holds each hop twice (i -> j + S and
 * j -> i - S); only the canonical direction is kept, so each undirected hop of the
 * unit cell appears once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hops.h"

/* Hops are searched this much beyond max_length, and kept when within max_length
 * plus the same slack: a hop that is exactly max_length long (a cubic lattice
 * constant) is not lost to rounding, and symmetry images of a kept hop, equal in
 * length to rounding, are kept with it. */
#define HOPS_LENGTH_SLACK 1e-6

mb_status mb__hops_enumerate(mb_hops *h) {
  const mb_structure *s = h->s;
  int n = 0;
  for (int a = 0; a < s->natoms; a++) n += s->numbers[a] == h->z;
  h->site_atom = mb__malloc((size_t)n, sizeof *h->site_atom);
  h->site_frac = mb__malloc(3 * (size_t)n, sizeof *h->site_frac);
  int *z = mb__malloc((size_t)n, sizeof *z);
  mb_structure *sites = NULL;
  mb_neighbors *nl = NULL;
  int *pi = NULL, *pj = NULL, *shift = NULL;
  mb_status st = MB_OK;
  if (!h->site_atom || !h->site_frac || !z) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  h->nsites = n;
  for (int a = 0, k = 0; a < s->natoms; a++) {
    if (s->numbers[a] != h->z) continue;
    h->site_atom[k] = a;
    for (int c = 0; c < 3; c++) {
      double f = s->frac[3 * a + c] - floor(s->frac[3 * a + c]);
      h->site_frac[3 * k + c] = f >= 1.0 ? 0.0 : f; /* -1e-17 - floor() rounds up to 1 */
    }
    z[k++] = h->z;
  }
  if ((st = mb_structure_create(s->lattice, n, h->site_frac, MB_COORDS_FRACTIONAL, z, &sites)))
    goto done;
  double cutoff = h->max_length + HOPS_LENGTH_SLACK;
  size_t npairs;
  if ((st = mb_neighbors_cutoff(sites, cutoff, &nl)) || (st = mb_neighbors_count(nl, &npairs)))
    goto done;
  if (npairs == 0) {
    st = mb__error(MB_ERR_RANGE, "hops: no two sites are within the max length %g A", h->max_length);
    goto done;
  }
  pi = mb__malloc(npairs, sizeof *pi);
  pj = mb__malloc(npairs, sizeof *pj);
  shift = mb__malloc(3 * npairs, sizeof *shift);
  h->hops = mb__malloc(npairs / 2 + 1, sizeof *h->hops);
  if (!pi || !pj || !shift || !h->hops) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  if ((st = mb_neighbors_pairs(nl, pi, pj, shift, NULL, NULL))) goto done;
  int count = 0;
  for (size_t p = 0; p < npairs; p++) {
    mb__hop hop = {pi[p], pj[p], {shift[3 * p], shift[3 * p + 1], shift[3 * p + 2]}};
    mb__hop c = mb__hops_canonical(hop);
    if (mb__hops_compare(&c, &hop) != 0) continue;
    if ((size_t)count >= npairs / 2 + 1) { /* the list is symmetric: cannot happen */
      st = mb__error(MB_ERR_INTERNAL, "hops: neighbour list is not symmetric");
      goto done;
    }
    h->hops[count++] = hop;
  }
  h->nhops = count;
  qsort(h->hops, (size_t)count, sizeof *h->hops, mb__hops_compare);
done:
  free(z), free(pi), free(pj), free(shift);
  mb_neighbors_free(nl);
  mb_structure_free(sites);
  return st;
}
