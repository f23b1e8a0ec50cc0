/* DFT+U in Dudarev's form (hubbard.h): the pseudo-atomic projectors per k-point, the
 * occupation matrices, E_U, V_U applied to blocks of bands and the forces.
 *
 * Projectors. As the Kleinman-Bylander projectors of nonlocal.c,
 *   <k+G|phi^I_m> = e^{-iG.R_I} chi_l(|k+G|) Y_lm(k+G^) (-i)^l / sqrt(omega),
 * the plane-wave coefficients of the Bloch sum of the real orbital chi_l(r) Y_lm(r^)
 * centred on atom I (the phase e^{-ik.R_I} common to all G cancels in |.><.|). With
 * Phi (npw x nphi, column-major: site by site, m inner) and a block of bands Psi:
 *   C = Phi^H Psi (c_m = <phi_m|psi>),  W = V C (per site),  V_U Psi = Phi W.
 *
 * Occupations. n_mm' = sum w f c_m conj(c_m'). The k-points are reduced by time reversal
 * (kpoints.c), which maps c to its conjugate for real orbitals, so the sum over the full
 * set is the real part of the sum over the reduced one. With the space group in use
 * (symmetrize.c's operations x -> W x + t, atom I to map[I]), the sum over irreducible
 * k-points is averaged over the operations as the density is: the orbitals of atom I go
 * into those of J = S(I) as O_S phi^I_m = sum_m' D_m'm(R) phi^J_m', so an invariant
 * density matrix has n^J = D n^I D^T and
 *   n^J <- 1/N_op sum_S D(R_S) n^{S^-1(J)} D(R_S)^T,
 * D from the real harmonics themselves (mb__hubbard_ylm_rotation, by a Lebedev rule
 * exact for their products).
 *
 * Forces. E_U depends on the positions through the phases of Phi only:
 *   dE_U/dR_I = sum_kn w f sum_mm' V_mm' d(c_m conj c_m')/dR_I = 2 Re sum_m conj(W_m) dc_m,
 * dc_m = sum_G i G conj(phi_m(G)) psi(G), with V = dE_U/dn^sigma = U (1/2 - n^sigma) of the
 * output occupations. With nspin = 1 the two spins (2x) of half the occupations (1/2x)
 * give the same expression with the bands' full weights.
 *
 * The SCF (scf.c) builds n from each step's output bands; E_U[n_out] enters the energy of
 * the output state, and the next step's V_U comes from input occupations mixed along with
 * the density: the same Pulay coefficients (mixing.c's, found from the density residual
 * alone) applied to the occupations' history, with the density's mixing fraction as
 * preconditioner, where Quantum ESPRESSO puts the occupations into its Broyden vector.
 * Measured on NaCoO2 (Gamma, 25 Ha): 14 SCF steps at U = 4 and 8 eV, 18 at 15 eV, as
 * plain PBE (14); linear mixing took 21, 26 and did not converge at 15 eV in 80 steps,
 * and a Pulay mixing of the occupations by themselves stalled. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "hubbard.h"

#define HUB_BLOCK 64 /* bands per zgemm, as nonlocal.c */
#define HUB_HISTORY 8 /* Anderson history of the occupation matrices, as the density's */

typedef struct hub_site {
  int atom, l, orb; /* orb: index into the psp's orbitals */
  double u;         /* U_eff, Hartree */
  int col;          /* first column of the site in Phi */
  int off;          /* offset of its (2l+1)^2 block in one spin's matrices */
} hub_site;

/* One (spin, k-point): the Hamiltonian hook's data. The eigensolver may run the two spins
 * of a k-point on two threads at once, so each pair has its own scratch; the projectors
 * are the k-point's (owned by its spin-0 entry). */
typedef struct hub_kpoint {
  const mb__hubbard *h;
  int npw, spin;
  double complex *phi;  /* npw x nphi */
  double complex *c, *w; /* nphi x HUB_BLOCK scratch */
} hub_kpoint;

struct mb__hubbard {
  int nspin, nsite, nphi, nmat, natoms;
  hub_site *site;
  double *n_out, *n_in; /* nspin * nmat each */
  double *v_in;         /* U (1/2 - n_in): the Hamiltonian's */
  double *v_out;        /* U (1/2 - n_out): the forces' */
  double energy;        /* E_U[n_out] */
  /* Anderson mixing of the occupation matrices (mb__hubbard_mix) */
  int nhist, next, have_prev;
  double *dn, *dr;      /* HUB_HISTORY x len: n_in(i+1) - n_in(i), R(i+1) - R(i) */
  double *n_prev, *r_prev, *r;
  int nk;
  hub_kpoint *k;        /* nspin * nk: [spin * nk + ik] */
  double *start;        /* nsite: the orbital's atomic occupation per spin and m */
};

static void free_kpoints(mb__hubbard *h) {
  for (int i = 0; h->k && i < h->nspin * h->nk; i++) {
    if (i < h->nk) free(h->k[i].phi); /* spin 0 owns the projectors */
    free(h->k[i].c);
    free(h->k[i].w);
  }
  free(h->k);
  h->k = NULL;
  h->nk = 0;
}

void mb__hubbard_free(mb__hubbard *h) {
  if (!h) return;
  free_kpoints(h);
  free(h->site);
  free(h->n_out), free(h->n_in), free(h->v_in), free(h->v_out), free(h->start);
  free(h->dn), free(h->dr), free(h->n_prev), free(h->r_prev), free(h->r);
  free(h);
}

/* The arrays of a hubbard with nsite sites (h->nspin, nsite set). */
static mb_status alloc_state(mb__hubbard *h) {
  size_t len = (size_t)h->nspin * (h->nmat ? h->nmat : 1);
  h->site = mb__calloc(h->nsite, sizeof *h->site);
  h->start = mb__calloc(h->nsite, sizeof *h->start);
  h->n_out = mb__calloc(len, sizeof(double));
  h->n_in = mb__calloc(len, sizeof(double));
  h->v_in = mb__calloc(len, sizeof(double));
  h->v_out = mb__calloc(len, sizeof(double));
  h->dn = mb__calloc(HUB_HISTORY * len, sizeof(double));
  h->dr = mb__calloc(HUB_HISTORY * len, sizeof(double));
  h->n_prev = mb__calloc(len, sizeof(double));
  h->r_prev = mb__calloc(len, sizeof(double));
  h->r = mb__calloc(len, sizeof(double));
  return h->site && h->start && h->n_out && h->n_in && h->v_in && h->v_out && h->dn &&
                 h->dr && h->n_prev && h->r_prev && h->r
             ? MB_OK
             : MB_ERR_NOMEM;
}

int mb__hubbard_input_sites(const mb__scf_input *in) {
  const int nl = MB_PSP_LMAX + 1;
  int nsite = 0;
  for (int a = 0; in->hubbard_u && a < in->natoms; a++)
    for (int l = 0; l < nl; l++) nsite += in->hubbard_u[in->types[a] * nl + l] > 0;
  return nsite;
}

mb_status mb__hubbard_create(const mb__scf_input *in, int nspin, mb__hubbard **out) {
  static const char fn[] = "mb__hubbard_create";
  if (!in || !out) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", fn);
  *out = NULL;
  if (nspin != 1 && nspin != 2)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nspin %d (1 or 2)", fn, nspin);
  if (!in->hubbard_u) return MB_OK;
  const int nl = MB_PSP_LMAX + 1;
  int nsite = 0;
  for (int t = 0; t < in->ntypes; t++)
    for (int l = 0; l < nl; l++) {
      double u = in->hubbard_u[t * nl + l];
      if (!isfinite(u) || u < 0)
        return mb__error(MB_ERR_INVALID_ARG, "%s: U_eff = %g Ha for %s l = %d: it must be "
                         ">= 0", fn, u, in->psp[t]->path, l);
      if (u == 0) continue;
      const mb__psp *p = in->psp[t];
      if (p->norb == 0)
        return mb__error(MB_ERR_UNSUPPORTED, "%s: DFT+U projects on the pseudo-atomic "
                         "orbitals of a UPF file (PP_CHI), and this %s file has none; use the "
                         "UPF file of the same pseudopotential (e.g. ../shared/psp/"
                         "pseudodojo-nc-sr-04-pbe-nocc/<El>.upf)", p->path,
                         p->from_upf ? "UPF" : p->format == MB__PSP_HGH ? "HGH" : "psp8");
      if (mb__psp_orbital_of_l(p, l) < 0) {
        char have[128] = "";
        for (int i = 0; i < p->norb && strlen(have) + 12 < sizeof have; i++)
          snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", i ? " " : "",
                   p->orb[i].label);
        return mb__error(MB_ERR_UNSUPPORTED, "%s: DFT+U on l = %d (%c) needs a pseudo-atomic "
                         "orbital of that l; the file has %s", p->path, l, "spdf"[l], have);
      }
    }
  nsite = mb__hubbard_input_sites(in);
  if (nsite == 0) return MB_OK;
  mb__hubbard *h = mb__calloc(1, sizeof *h);
  if (!h) return MB_ERR_NOMEM;
  h->nspin = nspin, h->nsite = nsite, h->natoms = in->natoms;
  int is = 0, col = 0, off = 0;
  for (int a = 0; a < in->natoms; a++)
    for (int l = 0; l < nl; l++) {
      double u = in->hubbard_u[in->types[a] * nl + l];
      if (u > 0) col += 2 * l + 1, off += (2 * l + 1) * (2 * l + 1);
    }
  h->nphi = col, h->nmat = off;
  mb_status st = alloc_state(h);
  if (st != MB_OK) {
    mb__hubbard_free(h);
    return st;
  }
  col = off = 0;
  for (int a = 0; a < in->natoms; a++)
    for (int l = 0; l < nl; l++) {
      double u = in->hubbard_u[in->types[a] * nl + l];
      if (!(u > 0)) continue;
      const mb__psp *p = in->psp[in->types[a]];
      hub_site *s = h->site + is;
      s->atom = a, s->l = l, s->u = u, s->orb = mb__psp_orbital_of_l(p, l);
      s->col = col, s->off = off;
      /* electrons per spin and m in the atomic configuration, at most 1 */
      h->start[is] = fmin(1.0, p->orb[s->orb].occupation / (2.0 * (2 * l + 1)));
      col += 2 * l + 1, off += (2 * l + 1) * (2 * l + 1);
      is++;
    }
  *out = h;
  return MB_OK;
}

mb_status mb__hubbard_copy(const mb__hubbard *src, mb__hubbard **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb__hubbard_copy: NULL output");
  *out = NULL;
  if (!src) return MB_OK;
  mb__hubbard *h = mb__calloc(1, sizeof *h);
  if (!h) return MB_ERR_NOMEM;
  h->nspin = src->nspin, h->nsite = src->nsite, h->nphi = src->nphi, h->nmat = src->nmat;
  h->natoms = src->natoms, h->energy = src->energy;
  if (alloc_state(h) != MB_OK) {
    mb__hubbard_free(h);
    return MB_ERR_NOMEM;
  }
  size_t len = (size_t)h->nspin * h->nmat;
  memcpy(h->site, src->site, (size_t)h->nsite * sizeof *h->site);
  memcpy(h->start, src->start, (size_t)h->nsite * sizeof *h->start);
  memcpy(h->n_out, src->n_out, len * sizeof(double));
  memcpy(h->n_in, src->n_in, len * sizeof(double));
  memcpy(h->v_in, src->v_in, len * sizeof(double));
  memcpy(h->v_out, src->v_out, len * sizeof(double));
  *out = h;
  return MB_OK;
}

mb_status mb__hubbard_set_ions(mb__hubbard *h, const mb__scf *s) {
  if (!h || !s) return mb__error(MB_ERR_INVALID_ARG, "mb__hubbard_set_ions: NULL argument");
  free_kpoints(h);
  int nk = s->kp->nk;
  h->k = mb__calloc((size_t)nk * h->nspin, sizeof *h->k);
  if (!h->k) return MB_ERR_NOMEM;
  h->nk = nk;
  for (int i = 0; i < nk * h->nspin; i++) { /* scratch per (spin, k-point) */
    hub_kpoint *k = h->k + i;
    k->h = h, k->npw = s->kd[i % nk].basis->npw, k->spin = i / nk;
    k->c = mb__malloc((size_t)h->nphi * HUB_BLOCK, sizeof(double complex));
    k->w = mb__malloc((size_t)h->nphi * HUB_BLOCK, sizeof(double complex));
    if (!k->c || !k->w) return MB_ERR_NOMEM;
  }
  const double complex mil[4] = {1, -I, -1, I}; /* (-i)^l */
  double norm = 1 / sqrt(s->fft->omega);
  for (int ik = 0; ik < nk; ik++) {
    const mb__basis *b = s->kd[ik].basis;
    hub_kpoint *k = h->k + ik;
    int npw = b->npw;
    if (b->real) /* the SCF keeps the full sphere with +U (scf.c make_basis) */
      return mb__error(MB_ERR_INTERNAL, "mb__hubbard_set_ions: DFT+U on a real (half-sphere) "
                       "basis");
    k->phi = mb__malloc((size_t)npw * h->nphi, sizeof(double complex));
    if (!k->phi) return MB_ERR_NOMEM;
    for (int is = 0; is < h->nsite; is++) {
      const hub_site *st = h->site + is;
      const mb__psp *p = s->in.psp[s->types[st->atom]];
      const double *x = s->frac + 3 * st->atom;
      double ylm[7];
      for (int g = 0; g < npw; g++) {
        const int *m = b->g + 3 * g;
        const double *kg = b->kg + 3 * g;
        double q = sqrt(mb__dot3(kg, kg)), u[3] = {0, 0, 1};
        if (q > 1e-12)
          for (int c = 0; c < 3; c++) u[c] = kg[c] / q;
        mb__real_ylm(st->l, u, ylm);
        double ph = 2 * M_PI * (m[0] * x[0] + m[1] * x[1] + m[2] * x[2]);
        double complex f = cexp(-I * ph) * norm * mil[st->l] * mb__psp_orbital_ff(p, st->orb, q);
        for (int mm = 0; mm < 2 * st->l + 1; mm++)
          k->phi[(size_t)(st->col + mm) * npw + g] = f * ylm[mm];
      }
    }
    for (int sp = 1; sp < h->nspin; sp++) h->k[sp * nk + ik].phi = k->phi;
  }
  return MB_OK;
}

/* v = U (1/2 delta - n) for every site and spin. */
static void potential(const mb__hubbard *h, const double *n, double *v) {
  for (int sp = 0; sp < h->nspin; sp++)
    for (int is = 0; is < h->nsite; is++) {
      const hub_site *s = h->site + is;
      int dim = 2 * s->l + 1;
      size_t o = (size_t)sp * h->nmat + s->off;
      for (int i = 0; i < dim; i++)
        for (int j = 0; j < dim; j++)
          v[o + i * dim + j] = s->u * ((i == j ? 0.5 : 0.0) - n[o + i * dim + j]);
    }
}

void mb__hubbard_start(mb__hubbard *h, int warm) {
  if (!h) return;
  size_t len = (size_t)h->nspin * h->nmat;
  if (warm) {
    memcpy(h->n_in, h->n_out, len * sizeof(double));
  } else {
    memset(h->n_in, 0, len * sizeof(double));
    for (int sp = 0; sp < h->nspin; sp++)
      for (int is = 0; is < h->nsite; is++) {
        int dim = 2 * h->site[is].l + 1;
        double *n = h->n_in + (size_t)sp * h->nmat + h->site[is].off;
        for (int i = 0; i < dim; i++) n[i * dim + i] = h->start[is];
      }
  }
  potential(h, h->n_in, h->v_in);
  h->nhist = h->next = h->have_prev = 0;
}

void mb__hubbard_occ_begin(mb__hubbard *h) {
  if (h) memset(h->n_out, 0, (size_t)h->nspin * h->nmat * sizeof(double));
}

/* C = Phi^H Psi for nv <= HUB_BLOCK bands into k->c. */
static void project(const hub_kpoint *k, int nv, const double complex *psi) {
  const double complex one = 1, zero = 0;
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, k->h->nphi, nv, k->npw, &one,
              k->phi, k->npw, psi, k->npw, &zero, k->c, k->h->nphi);
}

/* W = V C per site for nv bands (v: one spin's matrices). */
static void apply_v(const mb__hubbard *h, const double *v, int nv, const double complex *c,
                    double complex *w) {
  int np = h->nphi;
  for (int b = 0; b < nv; b++)
    for (int is = 0; is < h->nsite; is++) {
      const hub_site *s = h->site + is;
      int dim = 2 * s->l + 1;
      const double *vs = v + s->off;
      const double complex *cb = c + (size_t)b * np + s->col;
      double complex *wb = w + (size_t)b * np + s->col;
      for (int i = 0; i < dim; i++) {
        double complex sum = 0;
        for (int j = 0; j < dim; j++) sum += vs[i * dim + j] * cb[j];
        wb[i] = sum;
      }
    }
}

/* ik and spin in range and, when npw >= 0, the basis of the projectors. */
static mb_status check_k(const mb__hubbard *h, int ik, int spin, int npw, const char *fn) {
  if (!h || ik < 0 || ik >= h->nk || spin < 0 || spin >= h->nspin ||
      (npw >= 0 && h->k[ik].npw != npw))
    return mb__error(MB_ERR_INVALID_ARG, "%s: k-point %d, spin %d or basis does not match",
                     fn, ik, spin);
  return MB_OK;
}

mb_status mb__hubbard_occ_add(mb__hubbard *h, int ik, int spin, int nband,
                              const double complex *psi, const double *weight) {
  mb_status st = check_k(h, ik, spin, -1, "mb__hubbard_occ_add");
  if (st != MB_OK) return st;
  const hub_kpoint *k = h->k + (size_t)spin * h->nk + ik; /* its own scratch */
  /* with nspin = 1 each spin holds half of the bands' occupation */
  double fac = h->nspin == 1 ? 0.5 : 1.0;
  double *n = h->n_out + (size_t)spin * h->nmat;
  int np = h->nphi;
  for (int v0 = 0; v0 < nband; v0 += HUB_BLOCK) {
    int nv = nband - v0 < HUB_BLOCK ? nband - v0 : HUB_BLOCK;
    project(k, nv, psi + (size_t)v0 * k->npw);
    for (int b = 0; b < nv; b++) {
      double wb = fac * weight[v0 + b];
      if (wb == 0) continue;
      for (int is = 0; is < h->nsite; is++) {
        const hub_site *s = h->site + is;
        int dim = 2 * s->l + 1;
        const double complex *c = k->c + (size_t)b * np + s->col;
        double *ns = n + s->off;
        for (int i = 0; i < dim; i++)
          for (int j = 0; j < dim; j++) ns[i * dim + j] += wb * creal(c[i] * conj(c[j]));
      }
    }
  }
  return MB_OK;
}

/* Lebedev's 26-point rule on the unit sphere (weights summing to 1), exact for
 * polynomials of degree 7: products of two harmonics of l <= 3. */
static void lebedev26(double x[26][3], double w[26]) {
  int n = 0;
  for (int c = 0; c < 3; c++)
    for (int s = -1; s <= 1; s += 2, n++) {
      x[n][0] = x[n][1] = x[n][2] = 0;
      x[n][c] = s;
      w[n] = 1.0 / 21;
    }
  double r2 = sqrt(0.5), r3 = sqrt(1.0 / 3);
  for (int c = 0; c < 3; c++) /* edges: the component c is 0 */
    for (int s1 = -1; s1 <= 1; s1 += 2)
      for (int s2 = -1; s2 <= 1; s2 += 2, n++) {
        x[n][c] = 0;
        x[n][(c + 1) % 3] = s1 * r2;
        x[n][(c + 2) % 3] = s2 * r2;
        w[n] = 4.0 / 105;
      }
  for (int s = 0; s < 8; s++, n++) {
    for (int c = 0; c < 3; c++) x[n][c] = (s >> c & 1 ? -1 : 1) * r3;
    w[n] = 9.0 / 280;
  }
}

void mb__hubbard_ylm_rotation(int l, const double rinv[9], double *d) {
  double x[26][3], w[26], ya[7], yb[7];
  int dim = 2 * l + 1;
  lebedev26(x, w);
  memset(d, 0, (size_t)dim * dim * sizeof(double));
  for (int k = 0; k < 26; k++) {
    double rx[3];
    for (int i = 0; i < 3; i++)
      rx[i] = rinv[3 * i] * x[k][0] + rinv[3 * i + 1] * x[k][1] + rinv[3 * i + 2] * x[k][2];
    mb__real_ylm(l, x[k], ya);
    mb__real_ylm(l, rx, yb);
    for (int a = 0; a < dim; a++) /* D_am = <Y_a|Y_m o R^-1> */
      for (int m = 0; m < dim; m++) d[a * dim + m] += 4 * M_PI * w[k] * ya[a] * yb[m];
  }
}

/* n of every site and spin <- its average over the space group. */
static mb_status symmetrise(mb__hubbard *h, const mb__symm *sym) {
  size_t len = (size_t)h->nspin * h->nmat;
  double *acc = mb__calloc(len, sizeof(double));
  double *d = mb__malloc(49, sizeof(double)), tmp[49];
  int *site_of = mb__malloc((size_t)h->natoms * (MB_PSP_LMAX + 1), sizeof(int));
  if (!acc || !d || !site_of) {
    free(acc), free(d), free(site_of);
    return mb__error(MB_ERR_NOMEM, "mb__hubbard_occ_end: out of memory");
  }
  for (int i = 0; i < h->natoms * (MB_PSP_LMAX + 1); i++) site_of[i] = -1;
  for (int is = 0; is < h->nsite; is++)
    site_of[h->site[is].atom * (MB_PSP_LMAX + 1) + h->site[is].l] = is;
  mb_status st = MB_OK;
  for (int o = 0; o < sym->nop && st == MB_OK; o++)
    for (int l = 0; l <= MB_PSP_LMAX; l++) {
      int dim = 2 * l + 1, have = 0;
      for (int is = 0; is < h->nsite; is++) have |= h->site[is].l == l;
      if (!have) continue;
      mb__hubbard_ylm_rotation(l, sym->rinv_c + 9 * o, d);
      for (int is = 0; is < h->nsite; is++) {
        const hub_site *s = h->site + is;
        if (s->l != l) continue;
        int j = site_of[sym->map[o * sym->natoms + s->atom] * (MB_PSP_LMAX + 1) + l];
        if (j < 0) { /* an operation maps a +U atom onto one without: cannot be */
          st = mb__error(MB_ERR_INVALID_ARG, "mb__hubbard_occ_end: symmetry operation %d "
                         "maps atom %d onto atom %d, which has no U on l = %d", o, s->atom,
                         sym->map[o * sym->natoms + s->atom], l);
          break;
        }
        for (int sp = 0; sp < h->nspin; sp++) {
          const double *n = h->n_out + (size_t)sp * h->nmat + s->off;
          double *a = acc + (size_t)sp * h->nmat + h->site[j].off;
          for (int i = 0; i < dim; i++) /* tmp = D n */
            for (int m = 0; m < dim; m++) {
              double sum = 0;
              for (int k = 0; k < dim; k++) sum += d[i * dim + k] * n[k * dim + m];
              tmp[i * dim + m] = sum;
            }
          for (int i = 0; i < dim; i++) /* a += tmp D^T / nop */
            for (int m = 0; m < dim; m++) {
              double sum = 0;
              for (int k = 0; k < dim; k++) sum += tmp[i * dim + k] * d[m * dim + k];
              a[i * dim + m] += sum / sym->nop;
            }
        }
      }
    }
  if (st == MB_OK) memcpy(h->n_out, acc, len * sizeof(double));
  free(acc), free(d), free(site_of);
  return st;
}

/* U_eff/2 sum_spins Tr[n (1 - n)] (n symmetric), the stored channel twice when nspin = 1. */
static double energy_of(const mb__hubbard *h, const double *n) {
  double e = 0;
  for (int sp = 0; sp < h->nspin; sp++)
    for (int is = 0; is < h->nsite; is++) {
      const hub_site *s = h->site + is;
      int dim = 2 * s->l + 1;
      const double *ns = n + (size_t)sp * h->nmat + s->off;
      double tr = 0;
      for (int i = 0; i < dim; i++) {
        tr += ns[i * dim + i];
        for (int j = 0; j < dim; j++) tr -= ns[i * dim + j] * ns[j * dim + i];
      }
      e += 0.5 * s->u * tr;
    }
  return h->nspin == 1 ? 2 * e : e;
}

mb_status mb__hubbard_occ_end(mb__hubbard *h, const mb__symm *sym) {
  if (!h) return MB_OK;
  /* symmetric part: the real part of the sum is symmetric up to rounding */
  for (int sp = 0; sp < h->nspin; sp++)
    for (int is = 0; is < h->nsite; is++) {
      int dim = 2 * h->site[is].l + 1;
      double *n = h->n_out + (size_t)sp * h->nmat + h->site[is].off;
      for (int i = 0; i < dim; i++)
        for (int j = 0; j < i; j++)
          n[i * dim + j] = n[j * dim + i] = 0.5 * (n[i * dim + j] + n[j * dim + i]);
    }
  if (sym) {
    mb_status st = symmetrise(h, sym);
    if (st != MB_OK) return st;
  }
  h->energy = energy_of(h, h->n_out);
  potential(h, h->n_out, h->v_out);
  return MB_OK;
}

double mb__hubbard_energy(const mb__hubbard *h) { return h ? h->energy : 0.0; }

/* Mixed along with the density: the same Pulay coefficients gamma (mb__mixer_history),
 * so that density and occupations follow one extrapolation, with beta for the
 * preconditioner:
 *   n_next = n_in + beta R - sum_j gamma_j (dn_j + beta dR_j),  R = n_out - n_in,
 * the differences dn, dR kept in a ring in step with the mixer's. When the mixer keeps
 * no history (or the rings are out of step) the mixing is linear. */
mb_status mb__hubbard_mix(mb__hubbard *h, const mb__mixer *mixer, double beta) {
  if (!h) return MB_OK;
  size_t len = (size_t)h->nspin * h->nmat;
  double *r = h->r;
  int size = 0, next = 0;
  const double *gamma = NULL;
  int k = mb__mixer_history(mixer, &size, &next, &gamma);
  if (size > HUB_HISTORY) size = 0; /* cannot follow: linear */
  for (size_t i = 0; i < len; i++) r[i] = h->n_out[i] - h->n_in[i];
  if (size > 0 && h->have_prev) {
    double *dn = h->dn + (size_t)h->next * len, *dr = h->dr + (size_t)h->next * len;
    for (size_t i = 0; i < len; i++) {
      dn[i] = h->n_in[i] - h->n_prev[i];
      dr[i] = r[i] - h->r_prev[i];
    }
    h->next = (h->next + 1) % size;
    if (h->nhist < size) h->nhist++;
  }
  if (size > 0) {
    memcpy(h->n_prev, h->n_in, len * sizeof(double));
    memcpy(h->r_prev, r, len * sizeof(double));
    h->have_prev = 1;
  }
  if (size == 0 || k != h->nhist || next != h->next) k = 0;
  for (size_t x = 0; x < len; x++) {
    double v = h->n_in[x] + beta * r[x];
    for (int j = 0; j < k; j++)
      v -= gamma[j] * (h->dn[(size_t)j * len + x] + beta * h->dr[(size_t)j * len + x]);
    h->n_in[x] = v;
  }
  potential(h, h->n_in, h->v_in);
  return MB_OK;
}

void *mb__hubbard_kdata(mb__hubbard *h, int ik, int spin) {
  if (!h || ik < 0 || ik >= h->nk || spin < 0 || spin >= h->nspin) return NULL;
  return h->k + (size_t)spin * h->nk + ik;
}

mb_status mb__hubbard_apply(void *data, const mb__basis *basis, int nvec,
                            const double complex *psi, double complex *hpsi) {
  hub_kpoint *k = data;
  if (!k || !basis || basis->npw != k->npw || nvec < 0 || (nvec && (!psi || !hpsi)))
    return mb__error(MB_ERR_INVALID_ARG, "mb__hubbard_apply: basis or vectors do not match");
  const mb__hubbard *h = k->h;
  const double complex one = 1;
  const double *v = h->v_in + (size_t)k->spin * h->nmat;
  for (int v0 = 0; v0 < nvec; v0 += HUB_BLOCK) {
    int nv = nvec - v0 < HUB_BLOCK ? nvec - v0 : HUB_BLOCK;
    project(k, nv, psi + (size_t)v0 * k->npw);
    apply_v(h, v, nv, k->c, k->w);
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, k->npw, nv, h->nphi, &one, k->phi,
                k->npw, k->w, h->nphi, &one, hpsi + (size_t)v0 * k->npw, k->npw);
  }
  return MB_OK;
}

mb_status mb__hubbard_forces(const mb__hubbard *h, int ik, int spin, const mb__basis *basis,
                             const double recip[9], int nband, const double complex *psi,
                             const double *weight, double *forces) {
  if (!basis || !forces || (nband > 0 && (!psi || !weight)))
    return mb__error(MB_ERR_INVALID_ARG, "mb__hubbard_forces: NULL argument");
  mb_status st = check_k(h, ik, spin, basis->npw, "mb__hubbard_forces");
  if (st != MB_OK) return st;
  const hub_kpoint *k = h->k + ik;
  int npw = k->npw, np = h->nphi, nb = nband < HUB_BLOCK ? nband : HUB_BLOCK;
  if (nband <= 0) return MB_OK;
  const double complex one = 1, zero = 0;
  const double *v = h->v_out + (size_t)spin * h->nmat;
  double *gc = mb__malloc((size_t)npw * 3, sizeof(double));
  double complex *xg = mb__malloc((size_t)npw * 3 * nb, sizeof(double complex));
  double complex *dc = mb__malloc((size_t)np * 3 * nb, sizeof(double complex));
  double complex *c = mb__malloc((size_t)np * nb, sizeof(double complex));
  double complex *w = mb__malloc((size_t)np * nb, sizeof(double complex));
  int *atom = mb__malloc(np, sizeof(int));
  if (!gc || !xg || !dc || !c || !w || !atom) {
    st = mb__error(MB_ERR_NOMEM, "mb__hubbard_forces: out of memory");
    goto cleanup;
  }
  for (int is = 0; is < h->nsite; is++)
    for (int m = 0; m < 2 * h->site[is].l + 1; m++) atom[h->site[is].col + m] = h->site[is].atom;
  for (int g = 0; g < npw; g++) {
    const int *m = basis->g + 3 * g;
    for (int x = 0; x < 3; x++)
      gc[3 * g + x] = m[0] * recip[x] + m[1] * recip[3 + x] + m[2] * recip[6 + x];
  }
  for (int v0 = 0; v0 < nband; v0 += HUB_BLOCK) {
    int nv = nband - v0 < HUB_BLOCK ? nband - v0 : HUB_BLOCK;
    const double complex *x = psi + (size_t)v0 * npw;
    /* C = Phi^H Psi (own scratch: the k-point's belongs to the eigensolver) and W = V C */
    cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, nv, npw, &one, k->phi, npw, x,
                npw, &zero, c, np);
    apply_v(h, v, nv, c, w);
    for (int xx = 0; xx < 3; xx++)
      for (int b = 0; b < nv; b++) {
        double complex *col = xg + (size_t)(xx * nv + b) * npw;
        const double complex *xb = x + (size_t)b * npw;
        for (int g = 0; g < npw; g++) col[g] = gc[3 * g + xx] * xb[g];
      }
    cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, 3 * nv, npw, &one, k->phi,
                npw, xg, npw, &zero, dc, np);
    for (int b = 0; b < nv; b++) {
      double wb = weight[v0 + b];
      if (wb == 0) continue;
      const double complex *wv = w + (size_t)b * np;
      for (int xx = 0; xx < 3; xx++) {
        const double complex *d = dc + (size_t)(xx * nv + b) * np;
        for (int j = 0; j < np; j++) /* dc_j = i d_j */
          forces[3 * atom[j] + xx] -= wb * 2 * creal(conj(wv[j]) * I * d[j]);
      }
    }
  }
cleanup:
  free(gc), free(xg), free(dc), free(c), free(w), free(atom);
  return st;
}

int mb__hubbard_nsite(const mb__hubbard *h) { return h ? h->nsite : 0; }

void mb__hubbard_site(const mb__hubbard *h, int i, int *atom, int *l, double *u) {
  if (!h || i < 0 || i >= h->nsite) return;
  const hub_site *s = h->site + i;
  if (atom) *atom = s->atom;
  if (l) *l = s->l;
  if (u) *u = s->u;
}

int mb__hubbard_nspin(const mb__hubbard *h) { return h ? h->nspin : 0; }

const double *mb__hubbard_occupation(const mb__hubbard *h, int i, int spin) {
  if (!h || i < 0 || i >= h->nsite || spin < 0 || spin >= h->nspin) return NULL;
  return h->n_out + (size_t)spin * h->nmat + h->site[i].off;
}
