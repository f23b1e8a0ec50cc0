/* What a calculation will be, said before it starts (issue 14: no silent mismatch or
 * silent stall): each element's pseudopotential and the functional it was made with,
 * a warning where that is not the calculation's functional (ABINIT warns the same) or
 * where an odd electron count has fixed occupations without spin, and the size of the
 * run (plane waves, FFT box, memory, time per SCF step) before any of it is allocated
 * or planned, refusing a run that cannot fit in the machine's memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hubbard.h"
#include "scf.h"

/* libxc ids of the functionals the engine names (x, c), for the labels below */
static const struct { int x, c; const char *name; } known[] = {
  {101, 130, "PBE"}, {116, 133, "PBEsol"}, {263, 267, "SCAN"}, {497, 498, "r2SCAN"},
  {493, 494, "rSCAN"}, {117, 130, "RPBE"}, {102, 130, "revPBE"}};

typedef struct xc_label {
  int family;     /* 1 LDA, 2 GGA, 4 meta-GGA; 0 unknown */
  int x, c;       /* libxc ids (0 when not from libxc) */
  char text[64];  /* "LDA", "PBE", "libxc 118+131", "ABINIT ixc 23" */
} xc_label;

/* The functional of ABINIT code ixc (a calculation's, or a file's pspxc). The LDAs are
 * one label: their parametrisations of the same correlation energy differ by less than
 * a pseudopotential's own error. */
static xc_label label_of(int ixc) {
  xc_label l = {0, 0, 0, ""};
  if (ixc >= 1 && ixc <= 10) {
    l.family = 1;
  } else if (ixc == 11) {
    l.family = 2, l.x = 101, l.c = 130;
  } else if (ixc < 0 && ixc > -1000000) {
    mb__xc *xc = NULL;
    if (mb__xc_from_ixc(ixc, 1, &xc) == MB_OK) {
      l.family = xc->family;
      l.x = -ixc / 1000, l.c = -ixc % 1000;
      mb__xc_free(xc);
    }
  }
  if (l.family == 1) {
    l.x = l.c = 0;
    snprintf(l.text, sizeof l.text, "LDA");
    return l;
  }
  for (size_t k = 0; k < sizeof known / sizeof *known; k++)
    if (l.x == known[k].x && l.c == known[k].c) {
      snprintf(l.text, sizeof l.text, "%s", known[k].name);
      return l;
    }
  if (l.family) snprintf(l.text, sizeof l.text, "libxc %d+%d", l.x, l.c);
  else snprintf(l.text, sizeof l.text, "ABINIT ixc %d", ixc);
  return l;
}

static int same_functional(const xc_label *a, const xc_label *b) {
  if (a->family == 1 && b->family == 1) return 1;
  if (a->family && b->family) return a->x == b->x && a->c == b->c;
  return !strcmp(a->text, b->text);
}

static const char *symbol_of(const mb__psp *p) {
  const char *sym = NULL;
  return mb_element_symbol((int)lround(p->zatom), &sym) == MB_OK ? sym : "?";
}

static const char *format_of(const mb__psp *p) {
  if (p->from_upf) return "UPF";
  return p->format == MB__PSP_HGH ? "HGH" : "psp8";
}

/* Pseudopotentials and functionals: one INFO line per element, a WARNING per mismatch. */
static void check_functionals(const mb__scf_input *in, const xc_label *calc_label,
                              const mb_logger *log) {
  const xc_label calc = *calc_label;
  for (int t = 0; t < in->ntypes; t++) {
    const mb__psp *p = in->psp[t];
    xc_label made = label_of(p->pspxc);
    mb__log(log, MB_LOG_INFO, "%s: pseudopotential %s (%s, %s, %g valence electrons)",
            symbol_of(p), p->path, format_of(p), made.text, p->zion);
    if (same_functional(&calc, &made)) continue;
    if (calc.family == 4 && made.family == 2)
      mb__log(log, MB_LOG_INFO, "%s: the meta-GGA %s on a %s pseudopotential (the usual "
              "practice: there are no meta-GGA pseudopotential tables)", symbol_of(p),
              calc.text, made.text);
    else
      mb__log(log, MB_LOG_WARNING, "warning: %s: the pseudopotential %s was made with %s, "
              "the calculation uses %s: the ion cores and the valence are then described by "
              "different functionals (ABINIT warns the same); use a %s pseudopotential "
              "(--pseudo %s=FILE) or the functional %s", symbol_of(p),
              p->path, made.text, calc.text, calc.text, symbol_of(p), made.text);
  }
}

/* An odd electron count with fixed occupations and no spin half-fills the top band. */
static void check_electrons(const mb__scf_input *in, const mb_logger *log) {
  double nelect = -in->charge;
  for (int a = 0; a < in->natoms; a++) nelect += in->psp[in->types[a]]->zion;
  double half = 0.5 * nelect;
  if (in->occopt == 1 && in->nspin != 2 && fabs(half - floor(half + 0.5)) > 1e-6)
    mb__log(log, MB_LOG_WARNING, "warning: %g electrons with fixed occupations and no spin: "
            "the highest band holds one electron, a state that is neither a closed-shell "
            "insulator nor a metal; use smearing (--smearing) for a metal or spin "
            "polarisation (--spin) for an unpaired electron", nelect);
}

/* Size: plane waves per k-point (the sphere's volume over the Brillouin zone's), the
 * FFT box, memory and a time per SCF step from a model of the engine's two costs,
 * FFTs (a * bands * box log2 box per k-point and spin, meta-GGAs 3x) and the dense
 * subspace algebra (b * plane waves * bands^2). At the time-reversal-invariant k-points
 * (real wavefunctions, mb__basis.real) half the plane waves are stored, two bands share
 * a transform and the algebra is real: half the FFT cost, a quarter of the dense one.
 * a and b fitted to the engine's times on 32- and 64-atom Si cells (issue 14's table,
 * one core) and rescaled for the sphere-aware transforms (0.55 of the work). */
static mb_status check_size(const mb__scf_input *in, int mgga, int nthreads,
                            const mb_logger *log) {
  double omega = fabs(mb__det3(in->lattice));
  int n[3];
  mb_status st = mb__fft_size(in->lattice, in->ecut, in->boxcutmin, n);
  if (st) return st;
  double ntot = (double)n[0] * n[1] * n[2];
  double npw = omega * pow(2 * in->ecut, 1.5) / (6 * M_PI * M_PI);
  mb__kpoints *kp = NULL;
  int nk = in->ngkpt[0] * in->ngkpt[1] * in->ngkpt[2], nreal = 0;
  if (mb__kpoints_mp(in->lattice, in->natoms, in->frac, in->types, in->ngkpt, in->shiftk,
                     in->use_symmetry, 1, 1e-5, &kp) == MB_OK) {
    nk = kp->nk;
    int plus_u = mb__hubbard_input_sites(in) > 0;
    for (int ik = 0; ik < nk; ik++)
      nreal += mb__scf_real_kpoint(kp->k + 3 * ik, in->full_sphere, plus_u);
    mb__kpoints_free(kp);
  }
  int nsp = in->nspin == 2 ? 2 : 1, nb = in->nband, nproj = 0;
  for (int at = 0; at < in->natoms; at++) {
    const mb__psp *p = in->psp[in->types[at]];
    for (int l = 0; l <= p->lmax && l <= MB_PSP_LMAX; l++) nproj += p->nproj[l] * (2 * l + 1);
  }
  /* (spin, k-point) jobs run side by side on up to nthreads threads, the threads left
   * over joining them as teams (scf.c, team.c): every thread works */
  int jobs = nk * nsp, par = nthreads < jobs ? nthreads : jobs;
  /* plane waves stored per k-point, on average and at most */
  double npw_avg = npw * (nk - 0.5 * nreal) / nk, npw_max = nreal == nk ? 0.5 * npw : npw;
  /* bytes: wavefunctions of every k-point and spin; for each job under way the LOBPCG
   * blocks (X, W, P and their H images and two work copies, 3 nband wide each) and the
   * projectors of its k-point; ~40 real fields on the box per spin (densities,
   * potentials, mixing history) and 4 complex FFT arrays per thread */
  double mem = 16 * npw_avg * nb * jobs + par * 16 * npw_max * (12.0 * nb + nproj) +
               8 * ntot * 40 * nsp + 16 * ntot * 4 * nthreads;
  double fft = 5.0e-9 * (mgga ? 3 : 1) * nb * ntot * log2(ntot > 2 ? ntot : 2);
  double dense = 1.8e-8 * npw * (double)nb * nb;
  double t_step = nsp * ((nk - nreal) * (fft + dense) + nreal * (0.5 * fft + 0.25 * dense)) /
                  nthreads;
  double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  char real[64] = "";
  if (nreal)
    snprintf(real, sizeof real, " (%s real: half stored)",
             nreal == nk ? (nk == 1 ? "Gamma" : "all") : "some");
  mb__log(log, MB_LOG_INFO, "size: about %.0f plane waves per k-point%s, FFT box %dx%dx%d, "
          "%d k-point%s%s, %d bands: about %.0f MiB of memory and %.2g s per SCF step on "
          "%d thread%s (a rough estimate)", npw, real, n[0], n[1], n[2], nk,
          nk == 1 ? "" : "s", nsp == 2 ? " x 2 spins" : "", nb, mem / 1048576, t_step,
          nthreads, nthreads == 1 ? "" : "s");
  if (phys > 0 && mem > 0.9 * phys)
    return mb__error(MB_ERR_NOMEM, "this calculation needs about %.1f GiB of memory (%.0f "
                     "plane waves per k-point, FFT box %dx%dx%d, %d bands, %d k-point%s) and "
                     "the machine has %.1f GiB: lower the cutoff (ecut %g eV) or the cell",
                     mem / 1073741824, npw, n[0], n[1], n[2], nb, nk, nk == 1 ? "" : "s",
                     phys / 1073741824,
                     in->ecut * MB_HARTREE_EV);
  if (t_step > 600)
    mb__log(log, MB_LOG_WARNING, "warning: at about %.2g s per SCF step (%.0f plane waves, "
            "FFT box %dx%dx%d) this calculation will take hours; check the cutoff (ecut %g "
            "eV) and the cell", t_step, npw, n[0], n[1], n[2], in->ecut * MB_HARTREE_EV);
  return MB_OK;
}

mb_status mb__scf_preflight(const mb__scf_input *in, int nthreads, const mb_logger *log) {
  if (!in || !in->psp || !in->types || in->ntypes < 1 || in->natoms < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_preflight: incomplete input");
  for (int t = 0; t < in->ntypes; t++)
    if (!in->psp[t])
      return mb__error(MB_ERR_INVALID_ARG, "mb__scf_preflight: no pseudopotential of type %d",
                       t);
  /* the calculation's functional: its own, else the first pseudopotential's (as scf.c) */
  xc_label calc = label_of(in->ixc ? in->ixc : in->psp[in->types[0]]->pspxc);
  check_functionals(in, &calc, log);
  check_electrons(in, log);
  return check_size(in, calc.family == 4, nthreads < 1 ? 1 : nthreads, log);
}
