/* DFT+U (lib/dft/hubbard.c) and the pseudo-atomic orbitals it projects on
 * (lib/dft/psp_orbital.c, PP_CHI of UPF files).
 *
 * Pseudopotentials: ../shared/psp/pseudodojo-nc-sr-04-pbe-nocc (or $MB_SHARED_PSP); the
 * test is skipped (77) with a message when they are absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../testutil.h"
#include "dft/hubbard.h"

static char dir[1024];

static const char *psp(const char *file) {
  static char path[2][1200];
  static int which;
  which ^= 1;
  snprintf(path[which], sizeof path[which], "%s/%s", dir, file);
  return path[which];
}

static mb__psp *load_shared(const char *file) {
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read(psp(file), &p));
  return p;
}

/* ---- orbitals ---------------------------------------------------------------------- */

/* Each PP_CHI of the files is normalised (int u^2 dr = 1: the files' orbitals are those
 * of the bound pseudo-atom, to the 6 digits ONCVPSP prints), labels, l and occupations
 * are read, and the form factor at small q is the radial integral it tends to:
 * chi(q) = 4 pi q^l / (2l+1)!! int r^(l+1) u (1 - q^2 r^2 / (2(2l+3)) + ...) dr. */
START_TEST(orbitals_normalised) {
  static const struct { const char *file; int norb; const char *label[4]; int l[4];
                        double occ[4]; } files[] = {
    {"Co-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 7, 2}},
    {"Zn-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 10, 2}},
    {"Ni-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 8, 2}},
    {"O.upf", 2, {"2S", "2P"}, {0, 1}, {2, 4}},
  };
  for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
    mb__psp *p = load_shared(files[f].file);
    ck_assert_int_eq(p->norb, files[f].norb);
    for (int i = 0; i < p->norb; i++) {
      const mb__psp_orbital *o = p->orb + i;
      ck_assert_str_eq(o->label, files[f].label[i]);
      ck_assert_int_eq(o->l, files[f].l[i]);
      ck_assert_double_eq_tol(o->occupation, files[f].occ[i], 1e-12);
      double norm = mb__psp_orbital_norm(p, i);
      /* the radial moments the small-q expansion needs (Simpson's rule on r <= 10 Bohr
       * as psp_orbital.c and QE: the points up to the first beyond, an odd number) */
      double df = 1, m1 = 0, m3 = 0, m5 = 0;
      for (int k = 1; k <= 2 * o->l + 1; k += 2) df *= k;
      int np = 0;
      while (np < o->n && np * o->h <= 10 + 1e-9) np++;
      np = np < o->n ? np + 1 : o->n;
      if (np % 2 == 0) np--;
      for (int j = 1; j < np; j++) {
        double r = j * o->h, w = o->h / 3 * (j == np - 1 ? 1 : j % 2 ? 4 : 2);
        m1 += w * pow(r, o->l + 1) * o->u[j];
        m3 += w * pow(r, o->l + 3) * o->u[j];
        m5 += w * pow(r, o->l + 5) * o->u[j];
      }
      /* j_l(x) = x^l/(2l+1)!! (1 - x^2/(2(2l+3)) + x^4/(8(2l+3)(2l+5)) + O(x^6)) */
      double q = 0.05, lim = 4 * M_PI / df * pow(q, o->l) *
                             (m1 - q * q * m3 / (2 * (2 * o->l + 3)) +
                              pow(q, 4) * m5 / (8 * (2 * o->l + 3) * (2 * o->l + 5)));
      double ff = mb__psp_orbital_ff(p, i, q);
      fprintf(stderr, "%-10s %s l=%d occ %4.1f: norm %.8f, chi(%g) %.10e, limit %.10e\n",
              files[f].file, o->label, o->l, o->occupation, norm, q, ff, lim);
      ck_assert_double_eq_tol(norm, 1.0, 2e-6);
      ck_assert_double_eq_tol(ff, lim, 1e-6 * fabs(lim)); /* the q table: 3e-7 */
    }
    ck_assert_int_eq(mb__psp_orbital_of_l(p, 0), files[f].norb == 4 ? 3 : 0); /* 4S */
    ck_assert_int_eq(mb__psp_orbital_of_l(p, 3), -1);
    mb__psp_free(p);
  }
}
END_TEST

/* The table against Parseval: int d^3q/(2 pi)^3 |chi(q)|^2 = int_0^10 u^2 dr (the part of
 * the orbital the transform keeps, within 2e-7 of its norm for Co 3d); and the form
 * factor at q = 0.5 and 5 Bohr^-1 as QE's init_at_1 computes it (Simpson on r <= 10 Bohr;
 * values of a Python transcription of it, 4 pi int u j_2(qr) r dr). */
START_TEST(orbital_form_factor) {
  mb__psp *p = load_shared("Co-sp.upf");
  int d = mb__psp_orbital_of_l(p, 2);
  ck_assert_int_eq(d, 2);
  double sum = 0, dq = 0.005;
  for (double q = dq / 2; q < 30; q += dq) {
    double f = mb__psp_orbital_ff(p, d, q);
    sum += q * q * f * f * dq;
  }
  sum /= 8 * M_PI * M_PI * M_PI; /* q^2 dq / (2 pi)^3, the Y_lm normalised on the sphere */
  fprintf(stderr, "Co 3D: int |chi(q)|^2 d^3q/(2pi)^3 = %.8f (norm %.8f)\n", sum,
          mb__psp_orbital_norm(p, d));
  ck_assert_double_eq_tol(sum, mb__psp_orbital_norm(p, d), 1e-6);
  ck_assert_double_eq_tol(mb__psp_orbital_ff(p, d, 0.5), 3.4074619464749327, 1e-10);
  ck_assert_double_eq_tol(mb__psp_orbital_ff(p, d, 5.0), 0.9763081203322914, 1e-10);
  /* beyond the table: computed directly, continuous at its end */
  double a = mb__psp_orbital_ff(p, d, 40.0 - 1e-9), b = mb__psp_orbital_ff(p, d, 40.0 + 1e-9);
  ck_assert_double_eq_tol(a, b, 1e-9);
  mb__psp_free(p);
}
END_TEST

/* Co-sp.upf with the text from replaced by to, read from a buffer. */
static mb_status damaged(const char *from, const char *to) {
  char *text = mb_test_slurp(psp("Co-sp.upf"));
  const char *at = strstr(text, from);
  ck_assert_msg(at != NULL, "Co-sp.upf lacks %s", from);
  size_t head = (size_t)(at - text), n = strlen(text) + strlen(to) + 1;
  char *copy = malloc(n);
  memcpy(copy, text, head);
  strcpy(copy + head, to);
  strcat(copy, at + strlen(from));
  mb__psp *p = NULL;
  mb_status st = mb__psp_read_buffer(copy, strlen(copy), "damaged.upf", &p);
  mb__psp_free(p);
  free(copy), free(text);
  return st;
}

/* Damaged orbitals are refused with the file's name and line. */
START_TEST(orbital_refusals) {
  static const struct { const char *from, *to, *what; } bad[] = {
    {"<PP_CHI.3", "<PP_CHX.3", "has no PP_CHI.3"},
    {"label=\"3D\"\n       l=\"2\"", "label=\"3D\"\n       l=\"7\"", "no l in 0..3"},
    {"number_of_wfc=\"4\"", "number_of_wfc=\"99\"", "number_of_wfc 99"},
    {"    3.5632885531E-12", "    3.5632885531E-12 1.0", "must hold mesh_size"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    mb_status st = damaged(bad[k].from, bad[k].to);
    ck_assert_msg(st == MB_ERR_PARSE && strstr(mb_last_error(), bad[k].what) &&
                      strstr(mb_last_error(), "damaged.upf:"),
                  "'%s': status %d, '%s'", bad[k].to, st, mb_last_error());
  }
  /* without PP_PSWFC: read, no orbitals */
  ck_assert_int_eq(damaged("<PP_PSWFC>", "<PP_PSWFX>"), MB_OK);
}
END_TEST

/* ---- the occupation matrices' rotations ------------------------------------------- */

/* Cartesian rotation by angle t about the unit axis u (row-major). */
static void rotation(const double u[3], double t, double r[9]) {
  double c = cos(t), s = sin(t), k = 1 - c;
  const double m[9] = {
      c + u[0] * u[0] * k,        u[0] * u[1] * k - u[2] * s, u[0] * u[2] * k + u[1] * s,
      u[1] * u[0] * k + u[2] * s, c + u[1] * u[1] * k,        u[1] * u[2] * k - u[0] * s,
      u[2] * u[0] * k - u[1] * s, u[2] * u[1] * k + u[0] * s, c + u[2] * u[2] * k};
  memcpy(r, m, sizeof m);
}

/* D(R) of the real harmonics: orthogonal, D(1) = 1, Y_m(R^-1 v) = sum D_m'm Y_m'(v) at
 * random v, D(R1 R2) = D(R1) D(R2) (a representation), and an inversion gives (-1)^l. */
START_TEST(ylm_rotation) {
  unsigned long long seed = 12345;
  for (int l = 0; l <= 3; l++) {
    int dim = 2 * l + 1;
    double d1[49], d2[49], d12[49], r1[9], r2[9], r12[9], i1[9], i2[9], i12[9];
    double u1[3] = {1, 2, 3}, u2[3] = {-0.3, 0.1, 0.9};
    for (int c = 0; c < 3; c++) u1[c] /= sqrt(14.0), u2[c] /= sqrt(0.91 + 0.09 + 0.01);
    rotation(u1, 0.7, r1);
    rotation(u2, -1.9, r2);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        r12[3 * i + j] = 0;
        for (int k = 0; k < 3; k++) r12[3 * i + j] += r1[3 * i + k] * r2[3 * k + j];
      }
    ck_assert_int_eq(mb__inv3(r1, i1), 0);
    ck_assert_int_eq(mb__inv3(r2, i2), 0);
    ck_assert_int_eq(mb__inv3(r12, i12), 0);
    mb__hubbard_ylm_rotation(l, i1, d1);
    mb__hubbard_ylm_rotation(l, i2, d2);
    mb__hubbard_ylm_rotation(l, i12, d12);
    double worst = 0;
    for (int a = 0; a < dim; a++)
      for (int b = 0; b < dim; b++) {
        double o = 0, p = 0;
        for (int k = 0; k < dim; k++) o += d1[k * dim + a] * d1[k * dim + b];
        for (int k = 0; k < dim; k++) p += d1[a * dim + k] * d2[k * dim + b];
        worst = fmax(worst, fabs(o - (a == b)));
        worst = fmax(worst, fabs(p - d12[a * dim + b]));
      }
    for (int trial = 0; trial < 5; trial++) {
      double v[3], rv[3], ya[7], yb[7];
      for (int c = 0; c < 3; c++) v[c] = mb_test_rand(&seed) - 0.5;
      double nv = sqrt(mb__dot3(v, v));
      for (int c = 0; c < 3; c++) v[c] /= nv;
      for (int c = 0; c < 3; c++)
        rv[c] = i1[3 * c] * v[0] + i1[3 * c + 1] * v[1] + i1[3 * c + 2] * v[2];
      mb__real_ylm(l, v, ya);
      mb__real_ylm(l, rv, yb);
      for (int m = 0; m < dim; m++) {
        double s = 0;
        for (int k = 0; k < dim; k++) s += d1[k * dim + m] * ya[k];
        worst = fmax(worst, fabs(s - yb[m]));
      }
    }
    const double one[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, inv[9] = {-1, 0, 0, 0, -1, 0, 0, 0, -1};
    mb__hubbard_ylm_rotation(l, one, d1);
    mb__hubbard_ylm_rotation(l, inv, d2);
    for (int a = 0; a < dim * dim; a++) {
      worst = fmax(worst, fabs(d1[a] - (a % (dim + 1) == 0)));
      worst = fmax(worst, fabs(d2[a] - (a % (dim + 1) == 0) * (l % 2 ? -1 : 1)));
    }
    fprintf(stderr, "l = %d: D(R) worst deviation %.1e\n", l, worst);
    ck_assert_double_lt(worst, 1e-13);
  }
}
END_TEST

/* ---- NaCoO2: the inputs of the QE references ----------------------------------------- */

/* A pw.x input as tests/data/dft/hubbard/make_reference.py writes it: the cell
 * (CELL_PARAMETERS angstrom, ATOMIC_POSITIONS crystal), the species and their files,
 * ecutwfc, degauss (Gaussian), nbnd, Hubbard_U(i) (eV), the automatic k-grid, and with
 * nspin 2 tot_magnetization and starting_magnetization(i) (fractions of the valence). */
#define MAXAT 8
typedef struct qe_case {
  double lattice[9], frac[3 * MAXAT], ecut, degauss, u[MAXAT];
  int nat, ntyp, types[MAXAT], nbnd, k[3];
  int nspin;
  double tot_mag, start_mag[MAXAT];
  char species[MAXAT][4], file[MAXAT][32];
} qe_case;

static void read_qe(const char *name, qe_case *c) {
  char rel[128], path[1024], line[512];
  snprintf(rel, sizeof rel, "dft/hubbard/%s.in", name);
  FILE *f = fopen(mb_test_data(rel, path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  memset(c, 0, sizeof *c);
  while (fgets(line, sizeof line, f)) {
    char key[64];
    double v;
    int i;
    if (sscanf(line, " nat = %d", &c->nat) == 1 || sscanf(line, " ntyp = %d", &c->ntyp) == 1 ||
        sscanf(line, " nbnd = %d", &c->nbnd) == 1)
      continue;
    if (sscanf(line, " ecutwfc = %lf", &v) == 1) c->ecut = v / 2; /* Ry -> Ha */
    if (sscanf(line, " degauss = %lf", &v) == 1) c->degauss = v / 2;
    if (sscanf(line, " Hubbard_U(%d) = %lf", &i, &v) == 2) c->u[i - 1] = v;
    if (sscanf(line, " nspin = %d", &c->nspin) == 1) continue;
    if (sscanf(line, " tot_magnetization = %lf", &c->tot_mag) == 1) continue;
    if (sscanf(line, " starting_magnetization(%d) = %lf", &i, &v) == 2) c->start_mag[i - 1] = v;
    if (sscanf(line, " %63s", key) != 1) continue;
    if (!strcmp(key, "ATOMIC_SPECIES"))
      for (int t = 0; t < c->ntyp; t++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
        ck_assert_int_eq(sscanf(line, " %3s %lf %31s", c->species[t], &v, c->file[t]), 3);
      }
    if (!strcmp(key, "CELL_PARAMETERS"))
      for (int r = 0; r < 3; r++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
        double *a = c->lattice + 3 * r;
        ck_assert_int_eq(sscanf(line, "%lf %lf %lf", a, a + 1, a + 2), 3);
        for (int j = 0; j < 3; j++) a[j] /= MB_BOHR_ANGSTROM;
      }
    if (!strcmp(key, "ATOMIC_POSITIONS"))
      for (int a = 0; a < c->nat; a++) {
        char el[4];
        double *x = c->frac + 3 * a;
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
        ck_assert_int_eq(sscanf(line, " %3s %lf %lf %lf", el, x, x + 1, x + 2), 4);
        c->types[a] = -1;
        for (int t = 0; t < c->ntyp; t++)
          if (!strcmp(el, c->species[t])) c->types[a] = t;
        ck_assert_int_ge(c->types[a], 0);
      }
    if (!strcmp(key, "K_POINTS")) {
      ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
      ck_assert_int_eq(sscanf(line, "%d %d %d", c->k, c->k + 1, c->k + 2), 3);
    }
  }
  fclose(f);
  ck_assert(c->nat > 0 && c->nat <= MAXAT && c->ntyp > 0 && c->ecut > 0 && c->nbnd > 0);
}

/* QE's results (reference.txt beside the inputs). */
typedef struct qe_ref {
  double free, internal, hubbard, trace, ns[25], forces[3 * MAXAT];
  int has_ns, nforce;
  /* nspin 2: spin down's matrix, the traces per spin, QE's two Fermi levels (eV) */
  double ns_down[25], trace_up, trace_down, fermi_up_ev, fermi_down_ev, magnetization,
      abs_magnetization;
  int has_ns_down;
} qe_ref;

static void read_ref(const char *name, qe_ref *r) {
  char path[1024], line[2048], want[128];
  FILE *f = fopen(mb_test_data("dft/hubbard/reference.txt", path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  memset(r, 0, sizeof *r);
  snprintf(want, sizeof want, "case %s\n", name);
  int in = 0, found = 0;
  while (fgets(line, sizeof line, f)) {
    if (!in) {
      in = found = !strcmp(line, want);
      continue;
    }
    if (!strncmp(line, "end", 3)) break;
    double *x = r->forces + 3 * r->nforce;
    if (sscanf(line, "free_energy %lf", &r->free) == 1 ||
        sscanf(line, "internal_energy %lf", &r->internal) == 1 ||
        sscanf(line, "hubbard %lf", &r->hubbard) == 1 || sscanf(line, "trace %lf", &r->trace) == 1 ||
        sscanf(line, "trace_up %lf", &r->trace_up) == 1 ||
        sscanf(line, "trace_down %lf", &r->trace_down) == 1 ||
        sscanf(line, "fermi_up_ev %lf", &r->fermi_up_ev) == 1 ||
        sscanf(line, "fermi_down_ev %lf", &r->fermi_down_ev) == 1 ||
        sscanf(line, "magnetization %lf", &r->magnetization) == 1 ||
        sscanf(line, "absolute_magnetization %lf", &r->abs_magnetization) == 1)
      continue;
    if (sscanf(line, "force %lf %lf %lf", x, x + 1, x + 2) == 3) {
      r->nforce++;
      continue;
    }
    int down = !strncmp(line, "ns_down ", 8);
    if (down || !strncmp(line, "ns ", 3)) {
      char *p = line + (down ? 8 : 3), *end;
      double *ns = down ? r->ns_down : r->ns;
      for (int i = 0; i < 25; i++, p = end) {
        ns[i] = strtod(p, &end);
        ck_assert(end != p);
      }
      *(down ? &r->has_ns_down : &r->has_ns) = 1;
    }
  }
  fclose(f);
  ck_assert_msg(found, "reference.txt has no case %s", name);
}

static mb__psp *case_psp[MAXAT], *case_arr[MAXAT]; /* read once per file; per type */
static char case_file[MAXAT][32];
static double case_spinat[MAXAT]; /* per atom: QE's starting_magnetization x valence */

/* The engine's input for c (the psps read once per file), with U (Hartree) on the d shell
 * of the species that have one in c, scaled by uscale; hub: ntyp * 4 values. */
static void scf_input(const qe_case *c, mb__scf_input *in, double *hub, double uscale) {
  memset(in, 0, sizeof *in);
  memcpy(in->lattice, c->lattice, sizeof c->lattice);
  in->natoms = c->nat, in->frac = c->frac, in->types = c->types, in->ntypes = c->ntyp;
  for (int t = 0; t < c->ntyp; t++) {
    int k = 0;
    while (k < MAXAT && case_psp[k] && strcmp(case_file[k], c->file[t])) k++;
    ck_assert_int_lt(k, MAXAT);
    if (!case_psp[k]) {
      case_psp[k] = load_shared(c->file[t]);
      snprintf(case_file[k], sizeof case_file[k], "%s", c->file[t]);
    }
    case_arr[t] = case_psp[k];
  }
  in->psp = case_arr;
  in->ecut = c->ecut, in->nband = c->nbnd, in->occopt = MB__SMEAR_GAUSSIAN;
  in->tsmear = c->degauss, in->ixc = -101130; /* libxc PBE, the files' functional */
  memcpy(in->ngkpt, c->k, sizeof c->k);
  in->maxstep = 80, in->toldfe = 1e-11, in->tolrho = 1e-6, in->use_symmetry = 1;
  if (c->nspin == 2) { /* QE's tot_magnetization: two Fermi levels, as fix_moment */
    in->nspin = 2, in->fix_moment = 1, in->moment = c->tot_mag;
    for (int a = 0; a < c->nat; a++)
      case_spinat[a] = c->start_mag[c->types[a]] * case_arr[c->types[a]]->zion;
    in->spinat = case_spinat;
  }
  int any = 0;
  for (int t = 0; t < c->ntyp; t++)
    for (int l = 0; l <= MB_PSP_LMAX; l++) {
      double u = l == 2 ? c->u[t] * uscale / MB_HARTREE_EV : 0;
      hub[t * (MB_PSP_LMAX + 1) + l] = u;
      any |= u > 0;
    }
  in->hubbard_u = any ? hub : NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The solved engine of case name on nthreads threads (over k-points and spins): result,
 * forces (drift removed, as QE prints them), wall seconds. */
static mb__scf *solve_case_threads(const char *name, qe_case *c, mb__scf_result *r, double *f,
                                   double uscale, int nthreads) {
  mb__scf_input in;
  double hub[MAXAT * (MB_PSP_LMAX + 1)];
  read_qe(name, c);
  scf_input(c, &in, hub, uscale);
  double t0 = now();
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, nthreads, &s));
  MB_OK_OR_FAIL(mb__scf_solve(s, r));
  MB_OK_OR_FAIL(mb__scf_forces(s, f));
  double drift[3] = {0, 0, 0};
  for (int a = 0; a < c->nat; a++)
    for (int x = 0; x < 3; x++) drift[x] += f[3 * a + x] / c->nat;
  for (int a = 0; a < c->nat; a++)
    for (int x = 0; x < 3; x++) f[3 * a + x] -= drift[x];
  fprintf(stderr, "%s: F %.10f Ha (E_U %.10f), %d SCF steps, %d threads, %.1f s\n", name,
          r->free, r->hubbard, r->steps, nthreads, now() - t0);
  return s;
}

static mb__scf *solve_case(const char *name, qe_case *c, mb__scf_result *r, double *f,
                           double uscale) {
  return solve_case_threads(name, c, r, f, uscale, 2);
}

/* QE's m order (z^2, xz, yz, x^2-y^2, xy) in ours (xy, yz, z^2, xz, x^2-y^2) */
static const int qe_m[5] = {2, 3, 1, 4, 0};

/* Occupations of the Co site (site 0) against QE's: trace (both spins), Tr n^2 and the
 * diagonal (invariant under the sign conventions of the harmonics). */
static void compare_ns(const mb__scf *s, const qe_ref *q, double tol, const char *what) {
  ck_assert_int_eq(mb__hubbard_nsite(s->hub), 1);
  const double *n = mb__hubbard_occupation(s->hub, 0, 0);
  double tr = 0, tr2 = 0, qtr2 = 0, worst = 0;
  for (int i = 0; i < 5; i++) tr += 2 * n[6 * i];
  for (int i = 0; i < 25; i++) tr2 += n[i] * n[i], qtr2 += q->ns[i] * q->ns[i];
  for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(n[6 * qe_m[i]] - q->ns[6 * i]));
  fprintf(stderr, "  %s: trace %.8f (QE %.8f, %+.1e), Tr n^2 per spin %.8f (QE %.8f, "
          "%+.1e), diagonal within %.1e\n", what, tr, q->trace, tr - q->trace, tr2, qtr2,
          tr2 - qtr2, worst);
  ck_assert_double_eq_tol(tr, q->trace, tol);
  ck_assert_double_eq_tol(tr2, qtr2, tol);
  ck_assert_double_lt(worst, tol);
}

static double compare_forces(const double *f, const qe_ref *q, int nat) {
  double worst = 0;
  ck_assert_int_eq(q->nforce, nat);
  for (int i = 0; i < 3 * nat; i++) worst = fmax(worst, fabs(f[i] - q->forces[i]));
  return worst;
}

/* NaCoO2 on the Gamma point, an O displaced, against QE 6.7 (tests/data/dft/hubbard):
 * plain PBE and U = 4 eV on Co d. Issue 13's goals: E(U) - E(0) within 1e-4 Ha, traces
 * 1e-3, forces 1e-4 Ha/Bohr. Measured: E(U) - E(0) 4e-9 Ha, E_U 5e-9 Ha (QE prints 1e-8
 * Ry), trace 3e-6, Tr n^2 1.3e-6, the diagonal 7e-7; forces 9e-6 Ha/Bohr with and
 * without U (the plain-PBE difference between the codes), their +U part 3e-7. The
 * absolute free energies differ by 9.0e-5 Ha per cell (2.3e-5 Ha/atom) with and without
 * U alike: the psp8 translation of the UPF files keeps the local potential on ONCVPSP's
 * r < 6 Bohr (psp_upf.c), QE integrates it to 10 Bohr. The tolerances below are a few
 * times the measured differences. */
START_TEST(qe_gamma) {
  qe_case c;
  qe_ref q0, q4;
  mb__scf_result r0, r4;
  double f0[3 * MAXAT], f4[3 * MAXAT];
  read_ref("gamma_u0", &q0);
  read_ref("gamma_u4", &q4);
  mb__scf *s0 = solve_case("gamma_u0", &c, &r0, f0, 1);
  ck_assert_ptr_null(s0->hub);
  mb__scf *s4 = solve_case("gamma_u4", &c, &r4, f4, 1);
  double de = (r4.free - r0.free) - (q4.free - q0.free);
  fprintf(stderr, "  E(U) - E(0): %.10f Ha (QE %.10f, %+.1e); E_U %.10f (QE %.10f, %+.1e)\n"
          "  absolute F: U 0 %+.2e, U 4 %+.2e Ha per cell\n", r4.free - r0.free,
          q4.free - q0.free, de, r4.hubbard, q4.hubbard, r4.hubbard - q4.hubbard,
          r0.free - q0.free, r4.free - q4.free);
  ck_assert_double_lt(fabs(de), 1e-7);
  ck_assert_double_eq_tol(r4.hubbard, q4.hubbard, 1e-7);
  ck_assert_double_lt(fabs(r0.free - q0.free), 2e-4);
  ck_assert_double_lt(fabs(r4.free - q4.free), 2e-4);
  compare_ns(s4, &q4, 2e-5, "U 4 eV");
  double w0 = compare_forces(f0, &q0, c.nat), w4 = compare_forces(f4, &q4, c.nat), wu = 0;
  for (int i = 0; i < 3 * c.nat; i++)
    wu = fmax(wu, fabs((f4[i] - f0[i]) - (q4.forces[i] - q0.forces[i])));
  fprintf(stderr, "  forces: U 0 within %.1e, U 4 within %.1e, F(U) - F(0) within %.1e Ha/Bohr\n",
          w0, w4, wu);
  ck_assert_double_lt(w0, 3e-5);
  ck_assert_double_lt(w4, 3e-5);
  ck_assert_double_lt(wu, 2e-6);
  mb__scf_free(s0);
  mb__scf_free(s4);
}
END_TEST

/* The symmetric cell (R-3m, 12 operations, used by both codes): the occupations
 * symmetrised (hubbard.c) against QE's. */
START_TEST(qe_gamma_symmetric) {
  qe_case c;
  qe_ref q;
  mb__scf_result r;
  double f[3 * MAXAT];
  read_ref("gamma_sym_u4", &q);
  mb__scf *s = solve_case("gamma_sym_u4", &c, &r, f, 1);
  ck_assert_ptr_nonnull(s->sym);
  fprintf(stderr, "  %d operations; E_U %.10f (QE %.10f, %+.1e); F %+.2e Ha from QE\n",
          s->sym->nop, r.hubbard, q.hubbard, r.hubbard - q.hubbard, r.free - q.free);
  ck_assert_int_eq(s->sym->nop, 12);
  ck_assert_double_eq_tol(r.hubbard, q.hubbard, 1e-7);
  compare_ns(s, &q, 2e-5, "symmetric, U 4 eV");
  const double *n = mb__hubbard_occupation(s->hub, 0, 0);
  /* the trigonal site: xz = yz, xy = x^2-y^2, z^2 apart */
  ck_assert_double_eq_tol(n[6 * 1], n[6 * 3], 1e-10);
  ck_assert_double_eq_tol(n[0], n[24], 1e-10);
  ck_assert_double_lt(compare_forces(f, &q, c.nat), 3e-5);
  mb__scf_free(s);
}
END_TEST

/* Each spin's occupation matrix of the Co site against QE's: trace, Tr n^2, diagonal. */
static void compare_ns_spin(const mb__scf *s, const qe_ref *q, double tol) {
  ck_assert(q->has_ns && q->has_ns_down);
  ck_assert_int_eq(mb__hubbard_nsite(s->hub), 1);
  ck_assert_int_eq(mb__hubbard_nspin(s->hub), 2);
  for (int sp = 0; sp < 2; sp++) {
    const double *n = mb__hubbard_occupation(s->hub, 0, sp), *qn = sp ? q->ns_down : q->ns;
    double tr = 0, tr2 = 0, qtr2 = 0, worst = 0, qtr = sp ? q->trace_down : q->trace_up;
    for (int i = 0; i < 5; i++) tr += n[6 * i];
    for (int i = 0; i < 25; i++) tr2 += n[i] * n[i], qtr2 += qn[i] * qn[i];
    for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(n[6 * qe_m[i]] - qn[6 * i]));
    fprintf(stderr, "  spin %s: Tr n %.8f (QE %.8f, %+.1e), Tr n^2 %.8f (QE %.8f, %+.1e), "
            "diagonal within %.1e\n", sp ? "down" : "up", tr, qtr, tr - qtr, tr2, qtr2,
            tr2 - qtr2, worst);
    ck_assert_double_eq_tol(tr, qtr, tol);
    ck_assert_double_eq_tol(tr2, qtr2, tol);
    ck_assert_double_lt(worst, tol);
  }
}

/* Spin (nspin 2) against QE 6.7: the displaced cell on the Gamma point held at a total
 * moment of 2 (QE's tot_magnetization, which gives each spin its own Fermi level, as
 * migbar's fix_moment), started from 2 mu_B on Co (QE's starting_magnetization 2/17 of
 * Co's 17 valence electrons, migbar's spinat 2), plain PBE and U = 4 eV on Co d. Goals:
 * E(U) - E(0) 1e-4 Ha, the traces per spin 1e-3, forces 1e-4 Ha/Bohr. Measured:
 * E(U) - E(0) -8.5e-9 Ha, E_U +3.8e-8 Ha (QE prints 1e-8 Ry), Tr n up +1.8e-7 (of 4.670)
 * and down -2.7e-6 (of 3.179), Tr n^2 2.5e-6, the diagonals 1.6e-6; forces 9e-6 Ha/Bohr
 * with and without U (the plain-PBE difference, as with nspin 1), their +U part 7.5e-7;
 * the absolute free energies -9.3e-5 Ha per cell with and without U. U polarises the
 * orbitals here (the spin-up pair at the Fermi level, half filled, splits by 0.15 eV; the
 * O forces gain in-plane parts of 7e-3 Ha/Bohr, 9e-4 at U = 0) and both codes reach the
 * same state. The Fermi levels: up
 * minus down matches at U = 0 (1.6811 eV, the spin-down gap 1.7 eV, the level pinned
 * near its middle by the smearing's tails); with U the spin-down gap is 3.3 eV and its
 * Fermi level anywhere inside it gives the same occupations to 1e-17, so it is not
 * compared, only checked to lie in the gap. The case again on one thread (the two spins
 * one after the other instead of at once) gives the same numbers bit for bit. */
START_TEST(qe_gamma_spin) {
  qe_case c;
  qe_ref q0, q4;
  mb__scf_result r0, r4, r1;
  double f0[3 * MAXAT], f4[3 * MAXAT], f1[3 * MAXAT];
  read_ref("gamma_spin_u0", &q0);
  read_ref("gamma_spin_u4", &q4);
  mb__scf *s0 = solve_case("gamma_spin_u0", &c, &r0, f0, 1);
  ck_assert_int_eq(c.nspin, 2);
  ck_assert_ptr_null(s0->hub);
  mb__scf *s4 = solve_case("gamma_spin_u4", &c, &r4, f4, 1);
  double de = (r4.free - r0.free) - (q4.free - q0.free);
  double split0 = (r0.fermi - r0.fermi_down) * MB_HARTREE_EV;
  fprintf(stderr, "  E(U) - E(0): %.10f Ha (QE %.10f, %+.1e); E_U %.10f (QE %.10f, %+.1e)\n"
          "  absolute F: U 0 %+.2e, U 4 %+.2e Ha per cell\n"
          "  M %.9f, %.9f (QE %.9f, %.9f), |M| %.6f, %.6f (QE %.6f, %.6f)\n"
          "  Fermi up - down: U 0 %.5f eV (QE %.5f), U 4 %.5f eV (QE %.5f)\n",
          r4.free - r0.free, q4.free - q0.free, de, r4.hubbard, q4.hubbard,
          r4.hubbard - q4.hubbard, r0.free - q0.free, r4.free - q4.free, r0.magnetization,
          r4.magnetization, q0.magnetization, q4.magnetization, r0.abs_magnetization,
          r4.abs_magnetization, q0.abs_magnetization, q4.abs_magnetization, split0,
          q0.fermi_up_ev - q0.fermi_down_ev, (r4.fermi - r4.fermi_down) * MB_HARTREE_EV,
          q4.fermi_up_ev - q4.fermi_down_ev);
  ck_assert_double_lt(fabs(de), 1e-7);
  ck_assert_double_eq_tol(r4.hubbard, q4.hubbard, 2e-7);
  ck_assert_double_lt(fabs(r0.free - q0.free), 2e-4);
  ck_assert_double_lt(fabs(r4.free - q4.free), 2e-4);
  ck_assert_double_eq_tol(r0.magnetization, 2, 1e-6);
  ck_assert_double_eq_tol(r4.magnetization, 2, 1e-6);
  ck_assert_double_eq_tol(r0.abs_magnetization, q0.abs_magnetization, 1e-3);
  ck_assert_double_eq_tol(r4.abs_magnetization, q4.abs_magnetization, 1e-3);
  ck_assert_double_eq_tol(split0, q0.fermi_up_ev - q0.fermi_down_ev, 1e-3);
  {
    int nsp, nk, nb;
    const double *eig, *kpt, *wtk;
    MB_OK_OR_FAIL(mb__scf_eigenvalues(s4, &nsp, &nk, &nb, &eig, &kpt, &wtk));
    ck_assert(nsp == 2 && nk == 1 && nb == c.nbnd);
    const double *dn = eig + nb; /* 18 electrons down: bands 1-18 */
    fprintf(stderr, "  U 4 spin down: gap %.4f to %.4f eV, Fermi level %.4f eV\n",
            dn[17] * MB_HARTREE_EV, dn[18] * MB_HARTREE_EV, r4.fermi_down * MB_HARTREE_EV);
    ck_assert_double_gt(dn[18] - dn[17], 3 / MB_HARTREE_EV);
    ck_assert(r4.fermi_down > dn[17] && r4.fermi_down < dn[18]);
  }
  compare_ns_spin(s4, &q4, 2e-5);
  double w0 = compare_forces(f0, &q0, c.nat), w4 = compare_forces(f4, &q4, c.nat), wu = 0;
  for (int i = 0; i < 3 * c.nat; i++)
    wu = fmax(wu, fabs((f4[i] - f0[i]) - (q4.forces[i] - q0.forces[i])));
  fprintf(stderr, "  forces: U 0 within %.1e, U 4 within %.1e, F(U) - F(0) within %.1e Ha/Bohr\n",
          w0, w4, wu);
  ck_assert_double_lt(w0, 3e-5);
  ck_assert_double_lt(w4, 3e-5);
  ck_assert_double_lt(wu, 3e-6);
  /* one thread */
  mb__scf *s1 = solve_case_threads("gamma_spin_u4", &c, &r1, f1, 1, 1);
  double wf = 0, wn = 0;
  for (int i = 0; i < 3 * c.nat; i++) wf = fmax(wf, fabs(f1[i] - f4[i]));
  for (int sp = 0; sp < 2; sp++) {
    const double *a = mb__hubbard_occupation(s1->hub, 0, sp);
    const double *b = mb__hubbard_occupation(s4->hub, 0, sp);
    for (int i = 0; i < 25; i++) wn = fmax(wn, fabs(a[i] - b[i]));
  }
  fprintf(stderr, "  1 thread against 2: F %+.1e Ha, E_U %+.1e, forces within %.1e, occupations "
          "within %.1e, %d and %d SCF steps\n", r1.free - r4.free, r1.hubbard - r4.hubbard, wf,
          wn, r1.steps, r4.steps);
  ck_assert(r1.free == r4.free && r1.hubbard == r4.hubbard && r1.steps == r4.steps);
  ck_assert(wf == 0 && wn == 0);
  mb__scf_free(s0), mb__scf_free(s4), mb__scf_free(s1);
}
END_TEST

/* The 2x2x2 grid (MB_TEST_SLOW: about two minutes): the same comparisons, and the
 * occupations of plain PBE (U = 1e-8 eV in both codes). */
START_TEST(qe_k2) {
  if (!getenv("MB_TEST_SLOW")) {
    fprintf(stderr, "qe_k2: set MB_TEST_SLOW=1 to compare on the 2x2x2 grid (2 minutes)\n");
    return;
  }
  static const char *const name[] = {"k2_u0", "k2_utiny", "k2_u4", "k2_sym_u4"};
  mb__scf_result r[4];
  qe_ref q[4];
  double f[4][3 * MAXAT];
  for (int i = 0; i < 4; i++) {
    qe_case c;
    read_ref(name[i], &q[i]);
    mb__scf *s = solve_case(name[i], &c, &r[i], f[i], 1);
    double w = compare_forces(f[i], &q[i], c.nat);
    fprintf(stderr, "  F %+.2e Ha from QE; E_U %+.1e; forces within %.1e\n", r[i].free - q[i].free,
            r[i].hubbard - q[i].hubbard, w);
    ck_assert_double_lt(w, 1e-4);
    ck_assert_double_eq_tol(r[i].hubbard, q[i].hubbard, 1e-7);
    if (q[i].has_ns) compare_ns(s, &q[i], 1e-4, name[i]);
    mb__scf_free(s);
  }
  double de = (r[2].free - r[0].free) - (q[2].free - q[0].free);
  fprintf(stderr, "  E(U) - E(0) %.10f Ha (QE %.10f, %+.1e)\n", r[2].free - r[0].free,
          q[2].free - q[0].free, de);
  ck_assert_double_lt(fabs(de), 1e-6);
}
END_TEST

/* ---- the public API --------------------------------------------------------------- */

/* NaCoO2 of case name as a POSCAR (the QE input's cell and positions). */
static mb_structure *case_structure(const char *name) {
  qe_case c;
  read_qe(name, &c);
  char text[2048];
  int n = snprintf(text, sizeof text, "NaCoO2\n1.0\n");
  for (int r = 0; r < 3; r++)
    n += snprintf(text + n, sizeof text - n, "%.15f %.15f %.15f\n",
                  c.lattice[3 * r] * MB_BOHR_ANGSTROM, c.lattice[3 * r + 1] * MB_BOHR_ANGSTROM,
                  c.lattice[3 * r + 2] * MB_BOHR_ANGSTROM);
  n += snprintf(text + n, sizeof text - n, "Co Na O\n1 1 2\nDirect\n");
  for (int a = 0; a < c.nat; a++)
    n += snprintf(text + n, sizeof text - n, "%.15f %.15f %.15f\n", c.frac[3 * a],
                  c.frac[3 * a + 1], c.frac[3 * a + 2]);
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(text, strlen(text), MB_FORMAT_POSCAR, name, 0, &s));
  return s;
}

/* mb_dft with a functional carrying U = 4 eV on Co d: the QE case gamma_u4 through the
 * API (eV, the functional handle, the UPF files named), E_U and the occupations reported;
 * a psp8 Co refused naming the file; mb_dft_set_functional drops the U. */
START_TEST(api) {
  mb_structure *st = case_structure("gamma_u4");
  mb_dft *d = NULL;
  mb_functional *f = NULL;
  MB_OK_OR_FAIL(mb_dft_create(st, &d));
  MB_OK_OR_FAIL(mb_functional_create("PBE", &f));
  MB_OK_OR_FAIL(mb_functional_set_hubbard(f, "Co", 2, 4.0));
  MB_OK_OR_FAIL(mb_dft_set_xc_functional(d, f));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Co", psp("Co-sp.psp8")));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Na", psp("Na-sp.upf")));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "O", psp("O.upf")));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 25 * MB_HARTREE_EV));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SCF_TOL, 1e-9));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_THREADS, 2));
  MB_OK_OR_FAIL(mb_dft_set_smearing(d, MB_SMEARING_GAUSSIAN, 0.01 * MB_HARTREE_EV));
  double e, fe, forces[12], eu;
  ck_assert_int_eq(mb_dft_compute(d, &e, &fe, forces), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "Co-sp.psp8"));
  ck_assert_int_eq(mb_dft_hubbard_energy(d, &eu), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Co", psp("Co-sp.upf")));
  MB_OK_OR_FAIL(mb_dft_compute(d, &e, &fe, forces));
  MB_OK_OR_FAIL(mb_dft_hubbard_energy(d, &eu));
  qe_ref q;
  read_ref("gamma_u4", &q);
  int nspin = -1;
  double n[25];
  MB_OK_OR_FAIL(mb_dft_hubbard_occupation(d, 0, 2, &nspin, n));
  ck_assert_int_eq(nspin, 1);
  double tr = 2 * (n[0] + n[6] + n[12] + n[18] + n[24]);
  fprintf(stderr, "api: F %.8f eV (QE %.8f), E_U %.10f eV (QE %.10f), trace %.8f (QE %.8f)\n",
          fe, q.free * MB_HARTREE_EV, eu, q.hubbard * MB_HARTREE_EV, tr, q.trace);
  ck_assert_double_eq_tol(eu, q.hubbard * MB_HARTREE_EV, 1e-6);
  ck_assert_double_eq_tol(tr, q.trace, 2e-5);
  ck_assert_double_eq_tol(fe, q.free * MB_HARTREE_EV, 5e-3); /* 9e-5 Ha: see qe_gamma */
  MB_OK_OR_FAIL(mb_dft_hubbard_occupation(d, 1, 2, &nspin, n)); /* Na: no U */
  ck_assert_int_eq(nspin, 0);
  MB_OK_OR_FAIL(mb_dft_hubbard_occupation(d, 0, 1, &nspin, NULL)); /* Co p: no U */
  ck_assert_int_eq(nspin, 0);
  ck_assert_int_eq(mb_dft_hubbard_occupation(d, 4, 2, &nspin, n), MB_ERR_RANGE);
  ck_assert_int_eq(mb_dft_hubbard_occupation(d, 0, 4, &nspin, n), MB_ERR_RANGE);
  /* a copy keeps the U (and the solution: a warm start of the same geometry) */
  mb_dft *c = NULL;
  double ec;
  MB_OK_OR_FAIL(mb_dft_copy(d, &c));
  MB_OK_OR_FAIL(mb_dft_compute(c, NULL, &ec, NULL));
  MB_OK_OR_FAIL(mb_dft_hubbard_energy(c, &eu));
  ck_assert_double_eq_tol(ec, fe, 1e-6);
  ck_assert_double_eq_tol(eu, q.hubbard * MB_HARTREE_EV, 1e-6);
  mb_dft_free(c);
  /* mb_dft_set_functional: no U any more (a cheap cutoff: only E_U = 0 is looked at) */
  MB_OK_OR_FAIL(mb_dft_set_functional(d, MB_XC_PBE));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 150));
  MB_OK_OR_FAIL(mb_dft_compute(d, &e, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_hubbard_energy(d, &eu));
  ck_assert(eu == 0);
  MB_OK_OR_FAIL(mb_dft_hubbard_occupation(d, 0, 2, &nspin, n));
  ck_assert_int_eq(nspin, 0);
  mb_functional_free(f);
  mb_dft_free(d);
  mb_structure_free(st);
}
END_TEST

/* ---- the engine by itself ------------------------------------------------------------- */

/* A cheaper NaCoO2 (the displaced gamma case at 12 Ha) with U scaled by uscale. */
static mb__scf *cheap(const char *name, double ecut, double uscale, int symmetry, int nk,
                      mb__scf_result *r) {
  qe_case c;
  mb__scf_input in;
  static double hub[MAXAT * (MB_PSP_LMAX + 1)];
  static qe_case keep; /* frac and types outlive the call: the engine copies them anyway */
  read_qe(name, &c);
  keep = c;
  scf_input(&keep, &in, hub, uscale);
  in.ecut = ecut, in.use_symmetry = symmetry;
  for (int j = 0; j < 3; j++) in.ngkpt[j] = nk;
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 2, &s));
  MB_OK_OR_FAIL(mb__scf_solve(s, r));
  return s;
}

/* The free energy at s's positions with atom a moved by d Bohr along axis c, warm-started
 * from a copy of s (tests/dft/test_forces.c's way). */
static double moved_energy(const mb__scf *s, int a, int c, double d) {
  double inv[9], frac[3 * MAXAT];
  ck_assert_int_eq(mb__inv3(s->in.lattice, inv), 0);
  mb__scf *m = NULL;
  MB_OK_OR_FAIL(mb__scf_copy(s, &m));
  memcpy(frac, s->frac, 3 * (size_t)s->in.natoms * sizeof(double));
  for (int j = 0; j < 3; j++) frac[3 * a + j] += d * inv[3 * c + j];
  MB_OK_OR_FAIL(mb__scf_set_positions(m, frac));
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_solve(m, &r));
  mb__scf_free(m);
  return r.free;
}

/* Forces against central differences of the free energy, U = 4 eV (15 Ha, Gamma): the
 * displaced O along z, Co along x, the other O along y. With h = 0.005 Bohr the
 * differences carry an O(h^2) error of ~1e-6 Ha/Bohr (the same without U); Richardson's
 * extrapolation with h/2 removes it: measured within 4e-8 Ha/Bohr. */
START_TEST(forces_finite_differences) {
  mb__scf_result r;
  mb__scf *s = cheap("gamma_u4", 15, 1, 1, 1, &r);
  double f[12];
  MB_OK_OR_FAIL(mb__scf_forces(s, f));
  static const int atom[3] = {2, 0, 3}, axis[3] = {2, 0, 1};
  const double h = 0.005;
  for (int k = 0; k < 3; k++) {
    int a = atom[k], c = axis[k];
    double fd = -(moved_energy(s, a, c, h) - moved_energy(s, a, c, -h)) / (2 * h);
    double fd2 = -(moved_energy(s, a, c, h / 2) - moved_energy(s, a, c, -h / 2)) / h;
    double rich = (4 * fd2 - fd) / 3, an = f[3 * a + c];
    fprintf(stderr, "atom %d axis %d: analytic %.9e, differences (h = %g) %.9e (%+.1e), "
            "extrapolated %.9e (%+.1e)\n", a, c, an, h, fd, an - fd, rich, an - rich);
    ck_assert_double_lt(fabs(an - fd), 5e-6);
    ck_assert_double_lt(fabs(an - rich), 2e-7);
  }
  mb__scf_free(s);
}
END_TEST

/* U = 0 is plain DFT bit for bit: an array of zeros makes no sites (hub NULL), and the
 * energies and forces are those of hubbard_u = NULL exactly. A small U changes the
 * energy by U Tr[n_s (1 - n_s)] of the U = 0 occupations (twice, both spins) to first
 * order: d E / d U = E_U / U at U -> 0 (the occupations' change is second order). */
START_TEST(u_zero_and_small) {
  mb__scf_result r0, rz, rs, rt;
  mb__scf *s0 = cheap("gamma_u0", 12, 1, 1, 1, &r0);  /* no U in the input: NULL */
  mb__scf *sz = cheap("gamma_u4", 12, 0, 1, 1, &rz);  /* U scaled to 0: zeros */
  ck_assert_ptr_null(s0->hub);
  ck_assert_ptr_null(sz->hub);
  ck_assert(r0.free == rz.free && r0.internal == rz.internal && rz.hubbard == 0);
  double f0[12], fz[12];
  MB_OK_OR_FAIL(mb__scf_forces(s0, f0));
  MB_OK_OR_FAIL(mb__scf_forces(sz, fz));
  ck_assert(!memcmp(f0, fz, sizeof f0));
  /* U = 1e-6 of 4 eV: E_U is the U = 0 functional's Tr[n(1-n)] times U */
  mb__scf *st = cheap("gamma_u4", 12, 1e-6, 1, 1, &rt);
  mb__scf *ss = cheap("gamma_u4", 12, 0.01, 1, 1, &rs);
  double u = 0.01 * 4 / MB_HARTREE_EV, slope = rt.hubbard / (1e-6 * 4 / MB_HARTREE_EV);
  double pred = u * slope, de = rs.free - r0.free;
  fprintf(stderr, "U 0.04 eV: E(U) - E(0) %.10e Ha, U Tr[n(1-n)] at U -> 0 %.10e (E_U %.10e)\n",
          de, pred, rs.hubbard);
  ck_assert_double_eq_tol(de, pred, 1e-3 * fabs(pred));
  mb__scf_free(s0), mb__scf_free(sz), mb__scf_free(st), mb__scf_free(ss);
}
END_TEST

/* The symmetric cell on the 2x2x2 grid at 12 Ha, U = 4 eV: with the space group (4
 * irreducible k-points and the occupations symmetrised) and without (time reversal only)
 * the same energies and occupations. */
START_TEST(symmetry_on_off) {
  mb__scf_result ra, rb;
  mb__scf *a = cheap("gamma_sym_u4", 12, 1, 1, 2, &ra);
  mb__scf *b = cheap("gamma_sym_u4", 12, 1, 0, 2, &rb);
  ck_assert_ptr_nonnull(a->sym);
  ck_assert_ptr_null(b->sym);
  const double *na = mb__hubbard_occupation(a->hub, 0, 0);
  const double *nb = mb__hubbard_occupation(b->hub, 0, 0);
  double worst = 0;
  for (int i = 0; i < 25; i++) worst = fmax(worst, fabs(na[i] - nb[i]));
  fprintf(stderr, "symmetry: %d vs %d k-points, F %.10f vs %.10f (%+.1e), occupations within "
          "%.1e\n", a->kp->nk, b->kp->nk, ra.free, rb.free, ra.free - rb.free, worst);
  ck_assert_int_lt(a->kp->nk, b->kp->nk);
  ck_assert_double_eq_tol(ra.free, rb.free, 1e-8);
  ck_assert_double_eq_tol(ra.hubbard, rb.hubbard, 1e-8);
  ck_assert_double_lt(worst, 1e-6); /* first order in the SCF's residual, the energy second */
  mb__scf_free(a), mb__scf_free(b);
}
END_TEST

/* Spin (nspin 2): NaCoO2 held at a moment of 0 (a Fermi level per spin) is the
 * unpolarised run: the same free energy and E_U, each spin's occupation matrix the
 * unpolarised one (each spin holding half). Then held at 2 mu_B: the spins' matrices
 * differ, and the forces match central differences of the free energy. */
START_TEST(spin_polarised) {
  qe_case c;
  mb__scf_input in;
  double hub[MAXAT * (MB_PSP_LMAX + 1)];
  read_qe("gamma_u4", &c);
  scf_input(&c, &in, hub, 1);
  in.ecut = 12;
  mb__scf *s1 = NULL, *s2 = NULL;
  mb__scf_result r1, r2;
  MB_OK_OR_FAIL(mb__scf_create(&in, 2, &s1));
  MB_OK_OR_FAIL(mb__scf_solve(s1, &r1));
  in.nspin = 2, in.fix_moment = 1, in.moment = 0;
  /* one thread here (the two spins of the k-point one after the other); qe_gamma_spin
   * checks that two threads (the spins at once, each with its own non-local and +U
   * scratch) give the same numbers bit for bit */
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s2));
  MB_OK_OR_FAIL(mb__scf_solve(s2, &r2));
  ck_assert_int_eq(mb__hubbard_nspin(s2->hub), 2);
  const double *n1 = mb__hubbard_occupation(s1->hub, 0, 0);
  double worst = 0;
  for (int sp = 0; sp < 2; sp++) {
    const double *n2 = mb__hubbard_occupation(s2->hub, 0, sp);
    for (int i = 0; i < 25; i++) worst = fmax(worst, fabs(n2[i] - n1[i]));
  }
  fprintf(stderr, "nspin 2 unpolarised: F %+.1e Ha, E_U %+.1e Ha from nspin 1, moment %.1e, "
          "occupations within %.1e\n", r2.free - r1.free, r2.hubbard - r1.hubbard,
          r2.magnetization, worst);
  ck_assert_double_lt(fabs(r2.magnetization), 1e-6);
  ck_assert_double_eq_tol(r2.free, r1.free, 1e-7);
  ck_assert_double_eq_tol(r2.hubbard, r1.hubbard, 1e-7);
  ck_assert_double_lt(worst, 1e-5);
  mb__scf_free(s1), mb__scf_free(s2);
  /* a moment of 2 held: forces against differences */
  in.ecut = 15, in.fix_moment = 1, in.moment = 2;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s2));
  MB_OK_OR_FAIL(mb__scf_solve(s2, &r2));
  const double *up = mb__hubbard_occupation(s2->hub, 0, 0);
  const double *dn = mb__hubbard_occupation(s2->hub, 0, 1);
  double tu = 0, td = 0, f[12];
  for (int i = 0; i < 5; i++) tu += up[6 * i], td += dn[6 * i];
  MB_OK_OR_FAIL(mb__scf_forces(s2, f));
  double h = 0.005, fd = -(moved_energy(s2, 2, 2, h) - moved_energy(s2, 2, 2, -h)) / (2 * h);
  fprintf(stderr, "moment 2: M %.6f, Co d up %.5f down %.5f, E_U %.6f Ha; O z force %.8e, "
          "differences %.8e (%+.1e)\n", r2.magnetization, tu, td, r2.hubbard, f[8], fd,
          f[8] - fd);
  ck_assert_double_eq_tol(r2.magnetization, 2, 1e-6);
  ck_assert_double_gt(tu - td, 0.5);
  ck_assert_double_lt(fabs(f[8] - fd), 5e-6);
  mb__scf_free(s2);
}
END_TEST

/* +U needs orbitals: a psp8 file has none (MB_ERR_UNSUPPORTED naming it), O.upf has no d,
 * a negative U is refused. */
START_TEST(refusals) {
  qe_case c;
  mb__scf_input in;
  double hub[MAXAT * (MB_PSP_LMAX + 1)];
  read_qe("gamma_u4", &c);
  scf_input(&c, &in, hub, 1);
  mb__psp *arr[3] = {in.psp[0], in.psp[1], in.psp[2]}, *p8 = load_shared("Co-sp.psp8");
  in.psp = arr;
  mb__scf *s = NULL;
  arr[1] = p8; /* Co is type 1 (Na, Co, O) */
  ck_assert_int_eq(mb__scf_create(&in, 1, &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "Co-sp.psp8"));
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "PP_CHI"));
  arr[1] = case_psp[1];
  ck_assert_ptr_nonnull(strstr(arr[1]->path, "Co-sp.upf"));
  hub[2 * (MB_PSP_LMAX + 1) + 2] = 0.1; /* O d */
  ck_assert_int_eq(mb__scf_create(&in, 1, &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "O.upf"));
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "2S 2P"));
  hub[2 * (MB_PSP_LMAX + 1) + 2] = -0.1;
  ck_assert_int_eq(mb__scf_create(&in, 1, &s), MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(s);
  mb__psp_free(p8);
}
END_TEST

void openblas_set_num_threads(int num_threads);

int main(void) {
  /* one BLAS thread: the engine's threads are over k-points (as tools/migbar.c) */
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
  const char *env = getenv("MB_SHARED_PSP");
  snprintf(dir, sizeof dir, "%s/pseudodojo-nc-sr-04-pbe-nocc", env ? env : "../shared/psp");
  struct stat sb;
  if (stat(psp("Co-sp.upf"), &sb) != 0) {
    fprintf(stderr, "test_hubbard: %s missing (../shared/psp beside the clone): skipped\n",
            psp("Co-sp.upf"));
    return 77;
  }
  Suite *s = suite_create("hubbard");
  TCase *tc = tcase_create("orbitals");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, orbitals_normalised);
  tcase_add_test(tc, orbital_form_factor);
  tcase_add_test(tc, orbital_refusals);
  tcase_add_test(tc, ylm_rotation);
  suite_add_tcase(s, tc);
  TCase *te = tcase_create("engine");
  tcase_set_timeout(te, 300);
  tcase_add_test(te, refusals);
  tcase_add_test(te, forces_finite_differences);
  tcase_add_test(te, u_zero_and_small);
  tcase_add_test(te, symmetry_on_off);
  tcase_add_test(te, spin_polarised);
  suite_add_tcase(s, te);
  TCase *tq = tcase_create("qe");
  tcase_set_timeout(tq, 600);
  tcase_add_test(tq, qe_gamma);
  tcase_add_test(tq, qe_gamma_symmetric);
  tcase_add_test(tq, qe_gamma_spin);
  tcase_add_test(tq, api);
  tcase_add_test(tq, qe_k2);
  suite_add_tcase(s, tq);
  return mb_run_suite(s);
}
