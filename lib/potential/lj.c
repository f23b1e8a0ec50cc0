/* Lennard-Jones, as ASE 3.22's ase.calculators.lj.LennardJones:
 *
 *   u(r) = 4 eps ((sigma/r)^12 - (sigma/r)^6)   for r <= rc, else 0,
 *
 * with either the energy shifted to zero at rc (u - u(rc); forces jump to zero
 * there) or, smooth = 1, u multiplied by a cutoff function of q = r^2 that goes
 * from 1 at q = ro^2 to 0 at q = rc^2 with a continuous first derivative
 * (the polynomial of JAX-MD / HOOMD-blue that ASE uses):
 *
 *   fc(q) = (qc - q)^2 (qc + 2 q - 3 qo) / (qc - qo)^3   for qo <= q < qc.
 *
 * The energy is half the sum over the full list of pairs. */
#include <math.h>
#include <string.h>

#include "potential.h"

mb_status mb__lj_compute(const mb_potential *p, const mb_structure *s, double *energy,
                         double *forces) {
  const double eps = p->epsilon, sigma2 = p->sigma * p->sigma;
  const double rc = mb__lj_cutoff(p), ro = mb__lj_onset(p);
  const double qc = rc * rc, qo = ro * ro, dq3 = (qc - qo) * (qc - qo) * (qc - qo);
  const double sr6c = pow(sigma2 / qc, 3);
  const double e0 = 4.0 * eps * (sr6c * sr6c - sr6c); /* u(rc), the shift */
  mb_pairs pr;
  mb_status st = mb__pairs_build(s, rc, &pr);
  if (st != MB_OK) return st;
  double e = 0.0;
  for (int i = 0; i < pr.natoms; i++) {
    double fi[3] = {0.0, 0.0, 0.0}, ei = 0.0;
    for (size_t k = pr.first[i]; k < pr.first[i + 1]; k++) {
      const double *d = pr.vector + 3 * k;
      const double q = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      if (q > qc) continue;
      const double c6 = sigma2 * sigma2 * sigma2 / (q * q * q), c12 = c6 * c6;
      double u = 4.0 * eps * (c12 - c6);
      double g = -24.0 * eps * (2.0 * c12 - c6) / q; /* (du/dr) / r */
      if (p->smooth) {
        double fc = 1.0, dfc = 0.0; /* fc and d fc / d q */
        if (q >= qo) {
          fc = (qc - q) * (qc - q) * (qc + 2.0 * q - 3.0 * qo) / dq3;
          dfc = 6.0 * (qc - q) * (qo - q) / dq3;
        }
        g = fc * g + 2.0 * dfc * u; /* d(fc u)/dr / r, since dq/dr = 2 r */
        u *= fc;
      } else {
        u -= e0;
      }
      ei += u;
      for (int c = 0; c < 3; c++) fi[c] += g * d[c];
    }
    e += 0.5 * ei;
    if (forces) memcpy(forces + 3 * i, fi, sizeof fi);
  }
  mb__pairs_free(&pr);
  *energy = e;
  return MB_OK;
}
