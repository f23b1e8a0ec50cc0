/* Monkhorst-Pack k-point grids (H. J. Monkhorst and J. D. Pack, Phys. Rev. B 13,
 * 5188 (1976)) as ABINIT's ngkpt + one shiftk, reduced by the point group of the
 * crystal (rotations from spglib) and by time reversal.
 *
 * ABINIT's symkpt (m_symkpt.F90) folds a grid point k2 into an earlier k1 when
 * k2 = +-S k1 modulo a reciprocal lattice vector for some operation S. Since the
 * operations form a group this partitions the grid into the orbits of the group
 * restricted to the grid, also when the grid is not symmetric (chksymbreak 0: the
 * image of a point may fall off the grid, then it is not counted): each orbit
 * becomes one k-point whose weight is its size over the grid size. */
#include <math.h>
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

#include "../structure/structure.h"
#include "dft.h"


/* Distinct rotations of the space group (reduced coordinates, x' = W x + t);
 * *rot is new (free()). */
static mb_status point_group(const double lattice[9], int natoms, const double *frac,
                             const int *types, double symprec, int (**rot)[9], int *nrot) {
  double lat[3][3];
  for (int r = 0; r < 3; r++) /* spglib wants lattice vectors as columns */
    for (int k = 0; k < 3; k++) lat[k][r] = lattice[3 * r + k];
  double(*pos)[3] = mb__malloc((size_t)natoms, sizeof *pos);
  if (!pos) return MB_ERR_NOMEM;
  memcpy(pos, frac, (size_t)natoms * sizeof *pos);
  mb__spglib_lock(); /* spglib keeps global state: one lock for the whole library */
  SpglibDataset *ds = spg_get_dataset(lat, pos, types, natoms, symprec);
  mb__spglib_unlock();
  free(pos);
  mb_status st = MB_OK;
  if (!ds || ds->n_operations < 1) {
    st = mb__error(MB_ERR_SYMMETRY,
                   "mb__kpoints_mp: spglib found no symmetry (tolerance %g Bohr); "
                   "overlapping atoms?", symprec);
    goto done;
  }
  *rot = mb__malloc((size_t)ds->n_operations, sizeof **rot);
  if (!*rot) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  *nrot = 0;
  for (int o = 0; o < ds->n_operations; o++) {
    int w[9];
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) w[3 * a + b] = ds->rotations[o][a][b];
    int dup = 0; /* supercells repeat each rotation with several translations */
    for (int p = 0; p < *nrot && !dup; p++) dup = !memcmp((*rot)[p], w, sizeof w);
    if (!dup) memcpy((*rot)[(*nrot)++], w, sizeof w);
  }
done:
  if (ds) spg_free_dataset(ds);
  return st;
}

/* Index of reduced k on the grid (k_i = (m_i + s_i)/n_i modulo 1) or -1. */
static long grid_index(const double k[3], const int n[3], const double s[3]) {
  long idx = 0, stride = 1;
  for (int i = 0; i < 3; i++) {
    double x = k[i] * n[i] - s[i];
    double m = nearbyint(x);
    if (fabs(x - m) > 1e-8) return -1;
    long mi = ((long)m % n[i] + n[i]) % n[i];
    idx += stride * mi;
    stride *= n[i];
  }
  return idx;
}

mb_status mb__kpoints_mp(const double lattice[9], int natoms, const double *frac,
                         const int *types, const int n[3], const double s[3],
                         int use_symmetry, int time_reversal, double symprec,
                         mb__kpoints **out) {
  if (!lattice || !n || !s || !out || (use_symmetry && (!frac || !types)))
    return mb__error(MB_ERR_INVALID_ARG, "mb__kpoints_mp: NULL argument");
  *out = NULL;
  for (int i = 0; i < 3; i++) {
    if (n[i] < 1)
      return mb__error(MB_ERR_INVALID_ARG, "mb__kpoints_mp: grid n[%d] must be >= 1 (got %d)",
                       i, n[i]);
    if (!isfinite(s[i]))
      return mb__error(MB_ERR_INVALID_ARG, "mb__kpoints_mp: shift s[%d] is not finite", i);
  }
  double inv[9];
  if (mb__inv3(lattice, inv))
    return mb__error(MB_ERR_GEOMETRY, "mb__kpoints_mp: singular lattice");
  if (use_symmetry && natoms < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__kpoints_mp: natoms must be >= 1 (got %d)",
                     natoms);
  if (use_symmetry && !(symprec > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb__kpoints_mp: symprec must be > 0 (got %g)",
                     symprec);
  long ntot = (long)n[0] * n[1] * n[2];
  if (ntot > 100000000L)
    return mb__error(MB_ERR_RANGE, "mb__kpoints_mp: grid %dx%dx%d is too large", n[0], n[1],
                     n[2]);

  mb_status st = MB_OK;
  int(*rot)[9] = NULL, nrot = 1;
  long *owner = NULL, *count = NULL;
  mb__kpoints *kp = NULL;
  static const int identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  if (use_symmetry) {
    st = point_group(lattice, natoms, frac, types, symprec, &rot, &nrot);
    if (st) goto fail;
  } else {
    rot = mb__malloc(1, sizeof *rot);
    if (!rot) {
      st = MB_ERR_NOMEM;
      goto fail;
    }
    memcpy(rot[0], identity, sizeof identity);
  }
  owner = mb__malloc((size_t)ntot, sizeof *owner);
  count = mb__calloc((size_t)ntot, sizeof *count);
  kp = mb__calloc(1, sizeof *kp);
  if (!owner || !count || !kp) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  for (long i = 0; i < ntot; i++) owner[i] = -1;
  /* Grid points in ABINIT's order (first index fastest), each unclaimed point
   * claiming its images k' = +-W^T k (k.x is invariant under x -> W x). */
  int nk = 0;
  for (long idx = 0; idx < ntot; idx++) {
    if (owner[idx] >= 0) continue;
    long m[3] = {idx % n[0], (idx / n[0]) % n[1], idx / ((long)n[0] * n[1])};
    double k[3];
    for (int i = 0; i < 3; i++) k[i] = (m[i] + s[i]) / n[i];
    owner[idx] = nk;
    count[nk] = 1;
    for (int o = 0; o < nrot; o++)
      for (int sign = 1; sign >= (time_reversal ? -1 : 1); sign -= 2) {
        double kr[3];
        for (int i = 0; i < 3; i++)
          kr[i] = sign * (rot[o][i] * k[0] + rot[o][3 + i] * k[1] + rot[o][6 + i] * k[2]);
        long j = grid_index(kr, n, s);
        if (j >= 0 && owner[j] < 0) {
          owner[j] = nk;
          count[nk]++;
        }
      }
    nk++;
  }
  kp->nk = nk;
  kp->k = mb__malloc((size_t)nk, 3 * sizeof(double));
  kp->weight = mb__malloc((size_t)nk, sizeof(double));
  if (!kp->k || !kp->weight) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  for (long idx = 0; idx < ntot; idx++) {
    long ik = owner[idx];
    if (count[ik] == 0) continue; /* representative already written */
    long m[3] = {idx % n[0], (idx / n[0]) % n[1], idx / ((long)n[0] * n[1])};
    for (int i = 0; i < 3; i++) {
      double x = (m[i] + s[i]) / n[i];
      kp->k[3 * ik + i] = x - ceil(x - 0.5); /* fold to (-1/2, 1/2] as ABINIT prints */
    }
    kp->weight[ik] = (double)count[ik] / (double)ntot;
    count[ik] = 0;
  }
  free(rot);
  free(owner);
  free(count);
  *out = kp;
  return MB_OK;
fail:
  free(rot);
  free(owner);
  free(count);
  mb__kpoints_free(kp);
  return st;
}

void mb__kpoints_free(mb__kpoints *k) {
  if (!k) return;
  free(k->k);
  free(k->weight);
  free(k);
}
