/* Morse, as ASE 3.22's ase.calculators.morse.MorsePotential:
 *
 *   E(r) = eps e (e - 2),   e = exp(rho0 (1 - r/r0)),
 *
 * times a smooth cutoff between r1 = 1.9 r0 and r2 = 2.7 r0 (ASE's fixed rcut1,
 * rcut2): with s = 1 - (r - r1)/(r2 - r1), fc = 1 for s >= 1, the quintic
 * 6 s^5 - 15 s^4 + 10 s^3 for 0 < s < 1 (C^2, from JuLIP.jl), 0 beyond. The
 * energy is half the sum over the full list of pairs. */
#include <math.h>
#include <string.h>

#include "potential.h"

/* ASE's rcut1 and rcut2, in units of r0. */
#define MORSE_RCUT1 1.9
#define MORSE_RCUT2 2.7

mb_status mb__morse_compute(const mb_potential *p, const mb_structure *s, double *energy,
                            double *forces) {
  const double eps = p->epsilon, r0 = p->r0, rho0 = p->rho0;
  const double r1 = MORSE_RCUT1 * r0, r2 = MORSE_RCUT2 * r0, w = r2 - r1;
  const double pre = -2.0 * eps * rho0 / r0; /* dE/dr = pre e (e - 1) */
  mb_pairs pr;
  mb_status st = mb__pairs_build(s, r2, &pr);
  if (st != MB_OK) return st;
  double e = 0.0;
  for (int i = 0; i < pr.natoms; i++) {
    double fi[3] = {0.0, 0.0, 0.0}, ei = 0.0;
    for (size_t k = pr.first[i]; k < pr.first[i + 1]; k++) {
      const double r = pr.distance[k];
      const double sc = 1.0 - (r - r1) / w;
      if (!(sc > 0.0)) continue;
      double fc = 1.0, dfc = 0.0; /* fc and d fc / d r */
      if (sc < 1.0) {
        const double s2 = sc * sc, s3 = s2 * sc;
        fc = 6.0 * s3 * s2 - 15.0 * s2 * s2 + 10.0 * s3;
        dfc = -(30.0 * s2 * s2 - 60.0 * s3 + 30.0 * s2) / w;
      }
      const double ex = exp(rho0 * (1.0 - r / r0));
      const double u = eps * ex * (ex - 2.0);
      const double g = (pre * ex * (ex - 1.0) * fc + u * dfc) / r; /* dE/dr / r */
      ei += u * fc;
      const double *d = pr.vector + 3 * k;
      for (int c = 0; c < 3; c++) fi[c] += g * d[c];
    }
    e += 0.5 * ei;
    if (forces) memcpy(forces + 3 * i, fi, sizeof fi);
  }
  mb__pairs_free(&pr);
  *energy = e;
  return MB_OK;
}
