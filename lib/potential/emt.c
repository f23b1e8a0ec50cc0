/* Effective-medium theory as ASE 3.22's ase.calculators.emt.EMT (default
 * asap_cutoff=False): K. W. Jacobsen, P. Stoltze, J. K. Norskov, Surf. Sci. 366,
 * 394 (1996). For atoms i of species a with neighbours j of species b at r_ij:
 *
 *   sigma_i = sum_j chi_ab exp(-eta2_b (r - beta s0_b)) theta(r) / gamma1_a
 *   s_i     = -ln(sigma_i / 12) / (beta eta2_a)            (neutral-sphere radius)
 *   E_c,i   = E0_a ((1 + lambda_a s_i) exp(-lambda_a s_i) - 1) + 6 V0_a exp(-kappa_a s_i)
 *   E_AS    = -sum_i sum_j V0_a chi_ab exp(-kappa_b (r/beta - s0_b)) theta(r) / (2 gamma2_a)
 *   E       = sum_i E_c,i + E_AS
 *
 * with chi_ab = n0_b / n0_a, beta = 1.809 (ASE's rounding of (16 pi/3)^(1/3)/sqrt 2),
 * and a Fermi cutoff theta(r) = 1 / (1 + exp(acut (r - rc))). As in ASE, rc is
 * halfway between the third and fourth fcc shells of the element with the largest
 * s0 in the whole table (Ag), acut makes theta = 1e-4 at the fourth shell, pairs
 * count up to rc + 0.5 A, and gamma1, gamma2 normalise the sums over the first
 * three fcc shells (12, 6, 24 neighbours) of each element's own reference lattice
 * to 1. An atom with no neighbour gets E_c = -E0 (the limit s -> infinity).
 *
 * Forces: each directed pair i->j carries i's density and pair terms; their
 * derivatives in r_ij, kept from the energy pass, act on both atoms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "potential.h"

#define EMT_BETA 1.809
#define EMT_MAXSP 16 /* more than the table holds */

/* Derived constants of one species (lengths in A). */
typedef struct species {
  const mb_emt_element *el;
  double e0, v0, s0, eta2, kappa, lambda, n0, gamma1, gamma2;
} species;

typedef struct emt_setup {
  double rc, rlist, acut;
  int nsp;
  species sp[EMT_MAXSP];
  /* csig[a][b] exp(-eta2_b r) theta: b's contribution to sigma of an a atom;
   * cpair[a][b] exp(-kappa_b r / beta) theta: the pair energy of (a, b) seen from a. */
  double csig[EMT_MAXSP][EMT_MAXSP], cpair[EMT_MAXSP][EMT_MAXSP];
} emt_setup;

static void setup_cutoff(emt_setup *t) {
  const double r3 = sqrt(3.0), r4 = 2.0;
  t->rc = EMT_BETA * mb__emt_max_s0() * MB_EMT_BOHR * 0.5 * (r3 + r4);
  const double rr = t->rc * 2.0 * r4 / (r3 + r4); /* the fourth shell */
  t->acut = log(9999.0) / (rr - t->rc);
  t->rlist = t->rc + 0.5;
}

static void setup_species(const emt_setup *t, const mb_emt_element *el, species *p) {
  p->el = el;
  p->e0 = el->e0;
  p->v0 = el->v0;
  p->s0 = el->s0 * MB_EMT_BOHR;
  p->eta2 = el->eta2 / MB_EMT_BOHR;
  p->kappa = el->kappa / MB_EMT_BOHR;
  p->lambda = el->lambda / MB_EMT_BOHR;
  p->n0 = el->n0 / (MB_EMT_BOHR * MB_EMT_BOHR * MB_EMT_BOHR);
  static const int shell_n[3] = {12, 6, 24};
  p->gamma1 = p->gamma2 = 0.0;
  for (int k = 0; k < 3; k++) {
    const double r = p->s0 * EMT_BETA * sqrt(k + 1.0);
    const double w = shell_n[k] / (12.0 * (1.0 + exp(t->acut * (r - t->rc))));
    p->gamma1 += w * exp(-p->eta2 * (r - EMT_BETA * p->s0));
    p->gamma2 += w * exp(-p->kappa / EMT_BETA * (r - EMT_BETA * p->s0));
  }
}

/* Species of every atom; fails for an element without parameters. */
static mb_status setup(const mb_structure *s, int natoms, int *spec, emt_setup *t) {
  int *z = mb__malloc((size_t)natoms, sizeof *z);
  if (!z) return MB_ERR_NOMEM;
  mb_status st = mb_structure_numbers(s, z);
  setup_cutoff(t);
  t->nsp = 0;
  for (int i = 0; i < natoms && st == MB_OK; i++) {
    int a = 0;
    while (a < t->nsp && t->sp[a].el->z != z[i]) a++;
    if (a == t->nsp) {
      const mb_emt_element *el = mb__emt_element(z[i]);
      if (!el) {
        const char *sym = "?";
        mb_element_symbol(z[i], &sym);
        st = mb__error(MB_ERR_UNSUPPORTED,
                       "EMT has no parameters for %s (atom %d, Z = %d); it knows Al Cu Ag "
                       "Au Ni Pd Pt (and H C N O, not for serious use)", sym, i, z[i]);
        break;
      }
      setup_species(t, el, &t->sp[t->nsp++]);
    }
    spec[i] = a;
  }
  free(z);
  if (st != MB_OK) return st;
  for (int a = 0; a < t->nsp; a++)
    for (int b = 0; b < t->nsp; b++) {
      const species *pa = &t->sp[a], *pb = &t->sp[b];
      const double chi = pb->n0 / pa->n0;
      t->csig[a][b] = chi / pa->gamma1 * exp(pb->eta2 * EMT_BETA * pb->s0);
      t->cpair[a][b] = 0.5 * pa->v0 * chi / pa->gamma2 * exp(pb->kappa * pb->s0);
    }
  return MB_OK;
}

mb_status mb__emt_compute(const mb_structure *s, double *energy, double *forces) {
  int natoms = 0;
  mb_status st = mb_structure_natoms(s, &natoms);
  if (st != MB_OK) return st;
  mb_pairs pr = {0};
  double *pw = NULL;
  emt_setup *t = mb__malloc(1, sizeof *t);
  int *spec = mb__malloc((size_t)natoms, sizeof *spec);
  double *sigma = mb__calloc((size_t)natoms, sizeof *sigma);
  double *deds = mb__malloc((size_t)natoms, sizeof *deds);
  if (!t || !spec || !sigma || !deds) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  st = setup(s, natoms, spec, t);
  if (st == MB_OK) st = mb__pairs_build(s, t->rlist, &pr);
  if (st != MB_OK) goto cleanup;
  /* Per pair, for the forces: i's density term, i's pair term, -theta'/theta. */
  if (forces && !(pw = mb__malloc(3 * (pr.npairs ? pr.npairs : 1), sizeof *pw))) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  const double rc = t->rc, rlist = t->rlist, acut = t->acut;

  /* Pass 1: densities sigma_i and the pair energy, as seen from each atom i. */
  double e = 0.0;
  for (int i = 0; i < natoms; i++) {
    const int a = spec[i];
    double sig = 0.0, pair = 0.0;
    for (size_t k = pr.first[i]; k < pr.first[i + 1]; k++) {
      const double r = pr.distance[k];
      double ds = 0.0, dp = 0.0, dth = 0.0;
      if (r < rlist) {
        const int b = spec[pr.j[k]];
        const double x = exp(acut * (r - rc)), theta = 1.0 / (1.0 + x);
        ds = t->csig[a][b] * exp(-t->sp[b].eta2 * r) * theta;
        dp = t->cpair[a][b] * exp(-t->sp[b].kappa / EMT_BETA * r) * theta;
        dth = acut * x * theta;
        sig += ds;
        pair += dp;
      }
      if (pw) {
        pw[3 * k] = ds;
        pw[3 * k + 1] = dp;
        pw[3 * k + 2] = dth;
      }
    }
    sigma[i] = sig;
    e -= pair;
  }

  /* Cohesive functions and their derivatives dE_c,i / d sigma_i. */
  for (int i = 0; i < natoms; i++) {
    const species *p = &t->sp[spec[i]];
    if (!(sigma[i] > 0.0)) { /* no neighbour: s -> infinity */
      e -= p->e0;
      deds[i] = 0.0;
      continue;
    }
    const double ds = -log(sigma[i] / 12.0) / (EMT_BETA * p->eta2);
    const double x = p->lambda * ds, y = exp(-x);
    const double z = 6.0 * p->v0 * exp(-p->kappa * ds);
    e += p->e0 * ((1.0 + x) * y - 1.0) + z;
    deds[i] = (x * y * p->e0 * p->lambda + p->kappa * z) / (sigma[i] * EMT_BETA * p->eta2);
  }

  /* Pass 2: forces. The terms of pair i->j seen from i depend on r_ij only; with
   * g = their derivative in r and d = r_j - r_i, they push i by g d/r and j by
   * -g d/r (the mirror pair j->i adds j's own terms). An atom's pairs with its
   * own images come in +-d couples that cancel, as they must. */
  if (forces) {
    memset(forces, 0, (size_t)natoms * 3 * sizeof *forces);
    for (int i = 0; i < natoms; i++) {
      const double dedsi = deds[i];
      for (size_t k = pr.first[i]; k < pr.first[i + 1]; k++) {
        const double *w = pw + 3 * k;
        if (w[0] == 0.0 && w[1] == 0.0) continue;
        const int j = pr.j[k];
        const species *pb = &t->sp[spec[j]];
        const double g = (-dedsi * w[0] * (pb->eta2 + w[2]) +
                          w[1] * (pb->kappa / EMT_BETA + w[2])) / pr.distance[k];
        const double *d = pr.vector + 3 * k;
        for (int c = 0; c < 3; c++) {
          forces[3 * i + c] += g * d[c];
          forces[3 * j + c] -= g * d[c];
        }
      }
    }
  }
  *energy = e;

cleanup:
  mb__pairs_free(&pr);
  free(pw);
  free(t);
  free(spec);
  free(sigma);
  free(deds);
  return st;
}
