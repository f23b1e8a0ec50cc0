/* Ewald energy, forces and stress of point ions in a uniform compensating
 * background (P. P. Ewald, Ann. Phys. 369, 253 (1921); with the self and background
 * terms as in R. M. Martin, "Electronic Structure" (2004), app. F; the same energy
 * as ABINIT's "Ewald energy"):
 *
 *   E = 1/2 sum_ij sum_L' Z_i Z_j erfc(eta r)/r                      (real space)
 *     + 2 pi/omega sum_{G != 0} exp(-G^2/(4 eta^2))/G^2 |S(G)|^2     (reciprocal)
 *     - eta/sqrt(pi) sum_i Z_i^2                                     (self)
 *     - pi (sum_i Z_i)^2 / (2 omega eta^2)                           (background)
 *
 * with r = |x_i - x_j + L| (the term i = j, L = 0 left out) and the structure
 * factor S(G) = sum_j Z_j exp(i G.x_j). The total does not depend on eta. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dft.h"

/* Both sums are cut where their terms fall below exp(-EW_S^2) ~ 1e-18 of the
 * leading ones: real space at r = EW_S/eta, reciprocal space at G = 2 eta EW_S. */
#define EW_S 6.45

typedef struct ew_acc {
  double e;       /* energy */
  double *f;      /* forces (3*natoms) or NULL */
  double s[9];    /* omega * sigma */
} ew_acc;

/* Real-space part. Every lattice translation n.A with |d + n.A| < rcut is visited
 * for the pair vector d (fractional difference wrapped to [-1/2, 1/2)): a vector
 * of length r has fractional components of at most r / h_k, h_k the distance
 * between the lattice planes, which bounds n_k for any cell shape. */
static void ewald_real(const double lat[9], int natoms, const double *frac,
                       const double *zion, double eta, ew_acc *acc) {
  double h[3];
  mb__cell_heights(lat, h);
  double rcut = EW_S / eta;
  int nmax[3];
  for (int k = 0; k < 3; k++) nmax[k] = (int)ceil(rcut / h[k] + 0.5);
  const double two_over_sqrtpi = 2.0 / sqrt(M_PI);
  for (int i = 0; i < natoms; i++) {
    for (int j = 0; j < natoms; j++) {
      double df[3];
      for (int k = 0; k < 3; k++) {
        df[k] = frac[3 * i + k] - frac[3 * j + k];
        df[k] -= floor(df[k] + 0.5);
      }
      double zz = zion[i] * zion[j];
      for (int n0 = -nmax[0]; n0 <= nmax[0]; n0++)
        for (int n1 = -nmax[1]; n1 <= nmax[1]; n1++)
          for (int n2 = -nmax[2]; n2 <= nmax[2]; n2++) {
            double f[3] = {df[0] + n0, df[1] + n1, df[2] + n2}, d[3];
            mb__vecmat3(f, lat, d);
            double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            if (r2 >= rcut * rcut || r2 < 1e-20) continue; /* i = j, L = 0 */
            double r = sqrt(r2);
            double erfc_r = erfc(eta * r) / r;
            acc->e += 0.5 * zz * erfc_r;
            /* phi'(r)/r for phi = erfc(eta r)/r */
            double dphi = -(erfc_r + two_over_sqrtpi * eta * exp(-eta * eta * r2)) / r2;
            if (acc->f)
              for (int a = 0; a < 3; a++) acc->f[3 * i + a] -= zz * dphi * d[a];
            for (int a = 0; a < 3; a++)
              for (int b = 0; b < 3; b++) acc->s[3 * a + b] += 0.5 * zz * dphi * d[a] * d[b];
          }
    }
  }
}

/* Reciprocal-space part over all G = m.B with 0 < |G| < gcut; |m_k| <= gcut |a_k| / 2 pi
 * since m_k = G.a_k / 2 pi. */
static mb_status ewald_recip(const double lat[9], const double rec[9], double omega,
                             int natoms, const double *frac, const double *zion, double eta,
                             ew_acc *acc) {
  double gcut = 2.0 * eta * EW_S;
  int mmax[3];
  for (int k = 0; k < 3; k++) mmax[k] = (int)floor(gcut * mb__norm3(lat + 3 * k) / (2 * M_PI));
  double *sn = mb__malloc((size_t)natoms, 2 * sizeof(double));
  if (!sn) return MB_ERR_NOMEM;
  const double pref = 2.0 * M_PI / omega, inv4eta2 = 0.25 / (eta * eta);
  for (int m0 = -mmax[0]; m0 <= mmax[0]; m0++)
    for (int m1 = -mmax[1]; m1 <= mmax[1]; m1++)
      for (int m2 = -mmax[2]; m2 <= mmax[2]; m2++) {
        if (!m0 && !m1 && !m2) continue;
        double m[3] = {m0, m1, m2}, g[3];
        mb__vecmat3(m, rec, g);
        double g2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
        if (g2 >= gcut * gcut) continue;
        double sre = 0, sim = 0;
        for (int j = 0; j < natoms; j++) {
          double ph = 2 * M_PI * (m0 * frac[3 * j] + m1 * frac[3 * j + 1] + m2 * frac[3 * j + 2]);
          sn[2 * j] = cos(ph);
          sn[2 * j + 1] = sin(ph);
          sre += zion[j] * sn[2 * j];
          sim += zion[j] * sn[2 * j + 1];
        }
        double w = pref * exp(-g2 * inv4eta2) / g2, s2 = sre * sre + sim * sim;
        acc->e += w * s2;
        /* d(w)/d(eps_ab) = w [2 G_a G_b (1/(4 eta^2) + 1/G^2) - delta_ab] */
        double c = 2.0 * w * s2 * (inv4eta2 + 1.0 / g2);
        for (int a = 0; a < 3; a++) {
          for (int b = 0; b < 3; b++) acc->s[3 * a + b] += c * g[a] * g[b];
          acc->s[4 * a] -= w * s2;
        }
        if (acc->f)
          for (int i = 0; i < natoms; i++) {
            /* Im[exp(i G.x_i) S*(G)] */
            double im = sn[2 * i + 1] * sre - sn[2 * i] * sim;
            for (int a = 0; a < 3; a++) acc->f[3 * i + a] += 2.0 * w * zion[i] * im * g[a];
          }
      }
  free(sn);
  return MB_OK;
}

mb_status mb__ewald(const double lattice[9], int natoms, const double *frac,
                    const double *zion, double *energy, double *forces, double *stress) {
  if (!lattice || !frac || !zion || !energy)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ewald: NULL argument");
  if (natoms < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ewald: natoms must be >= 1 (got %d)", natoms);
  for (int k = 0; k < 9; k++)
    if (!isfinite(lattice[k]))
      return mb__error(MB_ERR_INVALID_ARG, "mb__ewald: lattice[%d] is not finite", k);
  for (int i = 0; i < natoms; i++) {
    if (!isfinite(zion[i]))
      return mb__error(MB_ERR_INVALID_ARG, "mb__ewald: charge of atom %d is not finite", i);
    for (int k = 0; k < 3; k++)
      if (!isfinite(frac[3 * i + k]))
        return mb__error(MB_ERR_INVALID_ARG, "mb__ewald: position of atom %d is not finite", i);
  }
  double inv[9], rec[9];
  if (mb__inv3(lattice, inv))
    return mb__error(MB_ERR_GEOMETRY, "mb__ewald: singular lattice (volume %g Bohr^3)",
                     mb__det3(lattice));
  for (int i = 0; i < 3; i++) /* b_i = 2 pi (column i of A^-1) */
    for (int k = 0; k < 3; k++) rec[3 * i + k] = 2 * M_PI * inv[3 * k + i];
  double omega = fabs(mb__det3(lattice));
  /* eta that balances the work of both sums: natoms^2 (EW_S/eta)^3 / omega pair terms
   * against natoms (2 eta EW_S)^3 omega / (8 pi^3) structure-factor terms */
  double eta = sqrt(M_PI) * pow((double)natoms / (omega * omega), 1.0 / 6.0);
  ew_acc acc = {0};
  if (forces) {
    memset(forces, 0, 3 * (size_t)natoms * sizeof *forces);
    acc.f = forces;
  }
  ewald_real(lattice, natoms, frac, zion, eta, &acc);
  mb_status st = ewald_recip(lattice, rec, omega, natoms, frac, zion, eta, &acc);
  if (st) return st;
  double zsum = 0, z2sum = 0;
  for (int i = 0; i < natoms; i++) {
    zsum += zion[i];
    z2sum += zion[i] * zion[i];
  }
  double ebg = -M_PI * zsum * zsum / (2.0 * omega * eta * eta);
  acc.e += -eta / sqrt(M_PI) * z2sum + ebg;
  for (int a = 0; a < 3; a++) acc.s[4 * a] -= ebg; /* the background scales as 1/omega */
  *energy = acc.e;
  if (stress)
    for (int k = 0; k < 9; k++) stress[k] = acc.s[k] / omega;
  return MB_OK;
}
