/* Image-dependent pair potential interpolation: Smidstrup, Pedersen, Stokbro &
 * Jonsson, J. Chem. Phys. 140, 214106 (2014). Every pair of atoms a, b has, in
 * image i of n (t = i / (n - 1)), the target distance
 *     d_t = d_0 + t (d_1 - d_0)
 * interpolated between its minimum-image distances in the end points, and each
 * image minimises
 *     S = sum_{a<b} w(d) (d - d_t)^2,   w(d) = 1 / d^4
 * (eq. 2 and 3 of the paper), which weights short, repulsive distances most.
 * The images are relaxed together as a NEB on S (improved tangent, spring 0.1,
 * no climbing image), starting from the linear path, so that they stay spread
 * along the path. Optimiser: the band's global L-BFGS (lbfgs.c) with steps of
 * at most 0.1 A per atom, until the largest NEB component of -dS/dx is below
 * 1e-4 A^-3 or after 1000 steps (S is cheap; not converging is not an error, the
 * path is only a starting guess). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"
#include "../structure/structure.h"

#define IDPP_SPRING 0.1
#define IDPP_MAX_MOVE 0.1
#define IDPP_FMAX 1e-4
#define IDPP_STEPS 1000

/* Minimum-image distance between atoms a and b of configuration x. */
static double pair_vector(const double lattice[9], const double inverse[9], const double *x,
                          int a, int b, double v[3]) {
  for (int k = 0; k < 3; k++) v[k] = x[3 * b + k] - x[3 * a + k];
  mb__minimum_image(lattice, inverse, v);
  return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

/* S and its forces -dS/dx for one image with target distances target[pair]. */
static double idpp_energy(int natoms, const double lattice[9], const double inverse[9],
                          const double *x, const double *target, double *f) {
  double s = 0, v[3];
  size_t p = 0;
  memset(f, 0, 3 * (size_t)natoms * sizeof(double));
  for (int a = 0; a < natoms; a++)
    for (int b = a + 1; b < natoms; b++, p++) {
      double d = pair_vector(lattice, inverse, x, a, b, v);
      if (!(d > 1e-8)) d = 1e-8;
      double dd = d - target[p], d4 = d * d * d * d;
      s += dd * dd / d4;
      /* dS/dd = 2 dd / d^4 - 4 dd^2 / d^5 */
      double g = (2 * dd / d4) * (1 - 2 * dd / d);
      for (int k = 0; k < 3; k++) {
        f[3 * a + k] += g * v[k] / d;
        f[3 * b + k] -= g * v[k] / d;
      }
    }
  return s;
}

mb_status mb__interpolate_idpp(int nimages, int natoms, const double lattice[9],
                               const double inverse[9], const int *mobile, double *pos) {
  if (natoms < 2) return MB_OK;
  size_t n = 3 * (size_t)natoms, npairs = (size_t)natoms * (natoms - 1) / 2;
  size_t nmove = (size_t)(nimages - 2) * n;
  mb_status st = MB_OK;
  double *d0 = mb__malloc(npairs, sizeof(double)), *d1 = mb__malloc(npairs, sizeof(double));
  double *target = mb__malloc(npairs, sizeof(double));
  double *energy = mb__malloc((size_t)nimages, sizeof(double));
  double *force = mb__calloc((size_t)nimages * n, sizeof(double));
  double *neb = mb__calloc((size_t)nimages * n, sizeof(double));
  mb__opt *o = mb__opt_new(MB_OPTIMIZER_LBFGS, nmove);
  if (!d0 || !d1 || !target || !energy || !force || !neb || !o) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  double v[3];
  size_t p = 0;
  for (int a = 0; a < natoms; a++)
    for (int b = a + 1; b < natoms; b++, p++) {
      d0[p] = pair_vector(lattice, inverse, pos, a, b, v);
      d1[p] = pair_vector(lattice, inverse, pos + (size_t)(nimages - 1) * n, a, b, v);
    }
  energy[0] = energy[nimages - 1] = 0; /* both end points meet their targets */
  for (int step = 0; step <= IDPP_STEPS; step++) {
    for (int i = 1; i < nimages - 1; i++) {
      double t = (double)i / (nimages - 1);
      for (size_t q = 0; q < npairs; q++) target[q] = d0[q] + t * (d1[q] - d0[q]);
      energy[i] = idpp_energy(natoms, lattice, inverse, pos + (size_t)i * n, target,
                              force + (size_t)i * n);
    }
    mb__neb_project(nimages, natoms, lattice, inverse, pos, energy, force, mobile, IDPP_SPRING,
                    -1, -1, neb, NULL, NULL);
    if (step == IDPP_STEPS || mb__max_abs(neb + n, nmove) < IDPP_FMAX) break;
    mb__opt_step(o, pos + n, neb + n, IDPP_MAX_MOVE);
  }
cleanup:
  free(d0);
  free(d1);
  free(target);
  free(energy);
  free(force);
  free(neb);
  mb__opt_free(o);
  return st;
}
