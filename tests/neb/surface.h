/* The analytic band of tests/neb/test_write.c and test_checkpoint.c: a C force
 * callback giving one atom (Cu) the energy
 *     E(x, y, z) = V0 sin^2(pi (x - 1) / 4) + k/2 ((y - 5)^2 + (z - 5)^2)
 * (period 4 A along x) and a second atom (Au) a harmonic well around (3, 2, 8). */
#ifndef MB_TEST_SURFACE_H
#define MB_TEST_SURFACE_H

#include <math.h>

#define V0 0.5
#define KSPRING 2.0

static int surface(const double *lattice, int natoms, const int *numbers,
                   const double *pos, double *energy, double *forces, void *user) {
  (void)lattice, (void)natoms, (void)numbers, (void)user;
  const double u = M_PI * (pos[0] - 1) / 4;
  double e = V0 * sin(u) * sin(u);
  forces[0] = -V0 * (M_PI / 4) * sin(2 * u);
  for (int k = 1; k < 3; k++) {
    e += 0.5 * KSPRING * (pos[k] - 5) * (pos[k] - 5);
    forces[k] = -KSPRING * (pos[k] - 5);
  }
  const double site[3] = {3, 2, 8};
  for (int k = 0; k < 3; k++) {
    e += 0.5 * KSPRING * (pos[3 + k] - site[k]) * (pos[3 + k] - site[k]);
    forces[3 + k] = -KSPRING * (pos[3 + k] - site[k]);
  }
  *energy = e;
  return 0;
}

#endif
