/* The built-in potentials (mb_potential): Lennard-Jones, Morse and EMT.
 *
 * References: tests/data/potential/reference.json, energies and forces computed by
 * ASE 3.22.1's LennardJones, MorsePotential and EMT (see make_reference.py beside
 * it) on periodic structures: rattled fcc Cu with a vacancy, ASE's Al(100)/Au
 * adatom NEB tutorial states, a random 7-metal alloy, cells smaller than the
 * cutoff, a skewed triclinic cell, LJ and Morse clusters and crystals with
 * default and non-default parameters. Tolerances: 1e-6 eV and 1e-6 eV/A.
 *
 * Then properties that hold for any correct implementation: forces equal central
 * finite differences of the energy, invariance under a rigid translation, forces
 * summing to zero, parameters round-tripping through set/get, errors with
 * messages, and identical results from threads sharing one potential. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

#define E_TOL 1e-6 /* eV, parity with ASE */
#define F_TOL 1e-6 /* eV/A, parity with ASE */

/* ---- a minimal scan of reference.json (the test links only libmigbar) ---------- */

typedef struct ref_entry {
  char name[64], kind[16];
  const char *text; /* the entry object */
  size_t len;
  int natoms;
  double lattice[9], energy;
  int *numbers;
  double *positions, *forces;
} ref_entry;

static char *ref_text;
static ref_entry refs[64];
static int nrefs;


/* The value of "key" inside [text, text+len), or NULL when absent. */
static const char *find(const char *text, size_t len, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(text, k);
  if (!p || p >= text + len) return NULL;
  p += strlen(k);
  while (*p == ' ' || *p == '\n') p++;
  return p;
}

static const char *field(const ref_entry *e, const char *key) {
  const char *p = find(e->text, e->len, key);
  ck_assert_msg(p != NULL, "reference entry %s lacks '%s'", e->name, key);
  return p;
}

/* Read n numbers of the JSON array at p. */
static void read_doubles(const char *p, double *out, int n) {
  ck_assert_int_eq(*p, '[');
  p++;
  for (int k = 0; k < n; k++) {
    while (*p == ' ' || *p == '\n' || *p == ',') p++;
    char *next;
    out[k] = strtod(p, &next);
    ck_assert_msg(next != p, "bad number in reference.json");
    p = next;
  }
  while (*p == ' ' || *p == '\n') p++;
  ck_assert_int_eq(*p, ']');
}

static void load_refs(void) {
  if (ref_text) return;
  char path[1024];
  ref_text = mb_test_slurp(mb_test_data("potential/reference.json", path, sizeof path));
  const char *p = strstr(ref_text, "\"entries\":");
  ck_assert_ptr_nonnull(p);
  p = strchr(p, '[') + 1;
  for (;;) {
    while (*p == ' ' || *p == '\n' || *p == ',') p++;
    if (*p != '{') break;
    ck_assert_int_lt(nrefs, 64);
    ref_entry *e = &refs[nrefs++];
    const char *end = mb_test_json_skip(p);
    e->text = p;
    e->len = (size_t)(end - p);
    ck_assert_int_eq(sscanf(field(e, "name"), "\"%63[^\"]\"", e->name), 1);
    ck_assert_int_eq(sscanf(field(e, "potential"), "\"%15[^\"]\"", e->kind), 1);
    int n = e->natoms = atoi(field(e, "natoms"));
    e->numbers = malloc((size_t)n * sizeof *e->numbers);
    e->positions = malloc((size_t)n * 3 * sizeof *e->positions);
    e->forces = malloc((size_t)n * 3 * sizeof *e->forces);
    double *z = malloc((size_t)n * sizeof *z);
    read_doubles(field(e, "lattice"), e->lattice, 9);
    read_doubles(field(e, "numbers"), z, n);
    for (int i = 0; i < n; i++) e->numbers[i] = (int)z[i];
    free(z);
    read_doubles(field(e, "positions"), e->positions, 3 * n);
    read_doubles(field(e, "forces"), e->forces, 3 * n);
    e->energy = strtod(field(e, "energy"), NULL);
    p = end;
  }
  ck_assert_int_ge(nrefs, 15);
}

static const ref_entry *pick(const char *name) {
  load_refs();
  for (int k = 0; k < nrefs; k++)
    if (!strcmp(refs[k].name, name)) return &refs[k];
  ck_abort_msg("no reference entry %s", name);
  return NULL;
}

static mb_structure *ref_structure(const ref_entry *e) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(e->lattice, e->natoms, e->positions, MB_COORDS_CARTESIAN,
                                    e->numbers, &s));
  return s;
}

/* The potential of an entry, with its ASE keyword arguments as parameters. */
static mb_potential *ref_potential(const ref_entry *e) {
  static const struct { const char *ase; mb_potential_param key; } map[] = {
      {"epsilon", MB_POTENTIAL_EPSILON}, {"sigma", MB_POTENTIAL_SIGMA},
      {"rc", MB_POTENTIAL_CUTOFF},       {"ro", MB_POTENTIAL_ONSET},
      {"smooth", MB_POTENTIAL_SMOOTH},   {"r0", MB_POTENTIAL_R0},
      {"rho0", MB_POTENTIAL_RHO0}};
  mb_potential_kind kind = !strcmp(e->kind, "lj")      ? MB_POTENTIAL_LJ
                           : !strcmp(e->kind, "morse") ? MB_POTENTIAL_MORSE
                                                       : MB_POTENTIAL_EMT;
  mb_potential *p = NULL;
  MB_OK_OR_FAIL(mb_potential_create(kind, &p));
  const char *params = field(e, "params");
  size_t plen = (size_t)(mb_test_json_skip(params) - params);
  for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
    const char *v = find(params, plen, map[k].ase);
    if (!v) continue;
    double value = !strncmp(v, "true", 4) ? 1.0 : !strncmp(v, "false", 5) ? 0.0 : strtod(v, NULL);
    MB_OK_OR_FAIL(mb_potential_set(p, map[k].key, value));
  }
  return p;
}

/* ---- parity with ASE ------------------------------------------------------ */

START_TEST(parity_with_ase) {
  load_refs();
  int seen[3] = {0, 0, 0};
  for (int k = 0; k < nrefs; k++) {
    const ref_entry *e = &refs[k];
    mb_structure *s = ref_structure(e);
    mb_potential *p = ref_potential(e);
    double energy = NAN, energy_only = NAN;
    double *f = malloc((size_t)e->natoms * 3 * sizeof *f);
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &energy, f));
    ck_assert_msg(fabs(energy - e->energy) < E_TOL, "%s: energy %.10f, ASE %.10f", e->name,
                  energy, e->energy);
    for (int c = 0; c < 3 * e->natoms; c++)
      ck_assert_msg(fabs(f[c] - e->forces[c]) < F_TOL, "%s: force[%d][%d] %.10f, ASE %.10f",
                    e->name, c / 3, c % 3, f[c], e->forces[c]);
    /* forces == NULL gives the same energy. */
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &energy_only, NULL));
    ck_assert_double_eq(energy_only, energy);
    seen[!strcmp(e->kind, "lj") ? 0 : !strcmp(e->kind, "morse") ? 1 : 2]++;
    free(f);
    mb_potential_free(p);
    mb_structure_free(s);
  }
  ck_assert_int_ge(seen[0], 4);
  ck_assert_int_ge(seen[1], 3);
  ck_assert_int_ge(seen[2], 8);
}
END_TEST

/* ---- forces against finite differences ------------------------------------- */

/* Central differences with step FD_H of every Cartesian coordinate; the force must
 * match to FD_ABS + FD_REL |F| (the O(h^2) error of steep LJ repulsion near 0.9
 * sigma reaches ~1e-7 relative). */
#define FD_H 1e-5
#define FD_ABS 1e-6
#define FD_REL 1e-6

static void check_fd(const char *name, mb_potential_param key, double value) {
  const ref_entry *e = pick(name);
  mb_structure *s = ref_structure(e);
  mb_potential *p = ref_potential(e);
  if ((int)key >= 0) MB_OK_OR_FAIL(mb_potential_set(p, key, value));
  int n = e->natoms;
  double *x = malloc((size_t)n * 3 * sizeof *x), *f = malloc((size_t)n * 3 * sizeof *f);
  double energy;
  memcpy(x, e->positions, (size_t)n * 3 * sizeof *x);
  MB_OK_OR_FAIL(mb_potential_compute(p, s, &energy, f));
  for (int c = 0; c < 3 * n; c++) {
    double ep, em, x0 = x[c];
    x[c] = x0 + FD_H;
    MB_OK_OR_FAIL(mb_structure_set_positions(s, x, MB_COORDS_CARTESIAN));
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &ep, NULL));
    x[c] = x0 - FD_H;
    MB_OK_OR_FAIL(mb_structure_set_positions(s, x, MB_COORDS_CARTESIAN));
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &em, NULL));
    x[c] = x0;
    double fd = -(ep - em) / (2 * FD_H);
    ck_assert_msg(fabs(fd - f[c]) < FD_ABS + FD_REL * fabs(f[c]),
                  "%s: force[%d][%d] %.9f, finite difference %.9f", name, c / 3, c % 3, f[c],
                  fd);
  }
  free(x);
  free(f);
  mb_potential_free(p);
  mb_structure_free(s);
}

#define NO_PARAM ((mb_potential_param)-1)

START_TEST(forces_are_minus_gradient) {
  /* EMT: a random alloy, a cell smaller than the cutoff, a slab with an adatom. */
  check_fd("mixed_7_metals", NO_PARAM, 0);
  check_fd("CuAu_small_triclinic", NO_PARAM, 0);
  check_fd("Al100_Au_bridge", NO_PARAM, 0);
  check_fd("triclinic_CuAuPdAl", NO_PARAM, 0);
  check_fd("Cu_O_C", NO_PARAM, 0);
  /* LJ, shifted and smooth cutoffs (no pair within FD_H of the cutoff here). */
  check_fd("LJ13_cluster_default", NO_PARAM, 0);
  check_fd("LJ13_cluster_smooth", NO_PARAM, 0);
  check_fd("LJ_small_triclinic_smooth", NO_PARAM, 0);
  check_fd("Ar_fcc_smooth", NO_PARAM, 0);
  /* Morse, including pairs in the smoothing shell. */
  check_fd("Morse13_cluster_rho4", NO_PARAM, 0);
  check_fd("Morse_small_triclinic", NO_PARAM, 0);
  check_fd("Morse_Cu_fcc", NO_PARAM, 0);
}
END_TEST

/* ---- invariances ------------------------------------------------------------ */

START_TEST(translation_and_net_force) {
  static const char *names[] = {"mixed_7_metals", "CuAu_small_triclinic", "Al100_Au_bridge",
                                "LJ_small_triclinic_smooth", "Ar_fcc_shifted",
                                "Morse_small_triclinic", "Morse13_cluster_default"};
  static const double shift[3] = {0.37, -1.91, 2.53};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    const ref_entry *e = pick(names[k]);
    int n = e->natoms;
    mb_structure *s = ref_structure(e);
    mb_potential *p = ref_potential(e);
    double *f = malloc((size_t)n * 3 * sizeof *f), *g = malloc((size_t)n * 3 * sizeof *g);
    double *x = malloc((size_t)n * 3 * sizeof *x);
    double e1, e2, sum[3] = {0, 0, 0}, fmax = 0;
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &e1, f));
    for (int c = 0; c < 3 * n; c++) {
      x[c] = e->positions[c] + shift[c % 3];
      sum[c % 3] += f[c];
      fmax = fmax > fabs(f[c]) ? fmax : fabs(f[c]);
    }
    /* Newton's third law: the net force vanishes (to rounding, 1e-12 relative). */
    for (int c = 0; c < 3; c++)
      ck_assert_msg(fabs(sum[c]) < 1e-12 * n * (1 + fmax), "%s: net force %g along %d",
                    names[k], sum[c], c);
    MB_OK_OR_FAIL(mb_structure_set_positions(s, x, MB_COORDS_CARTESIAN));
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &e2, g));
    ck_assert_msg(fabs(e2 - e1) < 1e-9 * (1 + fabs(e1)), "%s: energy %.12f then %.12f",
                  names[k], e1, e2);
    for (int c = 0; c < 3 * n; c++)
      ck_assert_msg(fabs(g[c] - f[c]) < 1e-9 * (1 + fmax), "%s: force changed by translation",
                    names[k]);
    free(f);
    free(g);
    free(x);
    mb_potential_free(p);
    mb_structure_free(s);
  }
}
END_TEST

/* ---- parameters ------------------------------------------------------------- */

static double get(const mb_potential *p, mb_potential_param key) {
  double v = NAN;
  MB_OK_OR_FAIL(mb_potential_get(p, key, &v));
  return v;
}

START_TEST(parameters_round_trip) {
  mb_potential *lj = NULL, *morse = NULL;
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_LJ, &lj));
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_MORSE, &morse));
  /* ASE 3.22 defaults: epsilon = sigma = 1, rc = 3 sigma, ro = 0.66 rc, not smooth;
   * Morse epsilon = r0 = 1, rho0 = 6. */
  ck_assert_double_eq(get(lj, MB_POTENTIAL_EPSILON), 1.0);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SIGMA), 1.0);
  ck_assert_double_eq_tol(get(lj, MB_POTENTIAL_CUTOFF), 3.0, 1e-15);
  ck_assert_double_eq_tol(get(lj, MB_POTENTIAL_ONSET), 1.98, 1e-15);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SMOOTH), 0.0);
  ck_assert_double_eq(get(morse, MB_POTENTIAL_EPSILON), 1.0);
  ck_assert_double_eq(get(morse, MB_POTENTIAL_R0), 1.0);
  ck_assert_double_eq(get(morse, MB_POTENTIAL_RHO0), 6.0);
  /* Defaults follow sigma until set explicitly. */
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_SIGMA, 3.4));
  ck_assert_double_eq_tol(get(lj, MB_POTENTIAL_CUTOFF), 10.2, 1e-12);
  ck_assert_double_eq_tol(get(lj, MB_POTENTIAL_ONSET), 0.66 * 10.2, 1e-12);
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_CUTOFF, 8.5));
  ck_assert_double_eq_tol(get(lj, MB_POTENTIAL_ONSET), 0.66 * 8.5, 1e-12);
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_ONSET, 6.5));
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_EPSILON, 0.0104));
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_SMOOTH, 1));
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_SIGMA, 3.0));
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SIGMA), 3.0);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_CUTOFF), 8.5);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_ONSET), 6.5);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_EPSILON), 0.0104);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SMOOTH), 1.0);
  MB_OK_OR_FAIL(mb_potential_set(morse, MB_POTENTIAL_EPSILON, 0.3429));
  MB_OK_OR_FAIL(mb_potential_set(morse, MB_POTENTIAL_R0, 2.866));
  MB_OK_OR_FAIL(mb_potential_set(morse, MB_POTENTIAL_RHO0, 3.894));
  ck_assert_double_eq(get(morse, MB_POTENTIAL_EPSILON), 0.3429);
  ck_assert_double_eq(get(morse, MB_POTENTIAL_R0), 2.866);
  ck_assert_double_eq(get(morse, MB_POTENTIAL_RHO0), 3.894);
  mb_potential_free(lj);
  mb_potential_free(morse);
}
END_TEST

/* A call must fail with status, leave a message containing word, and not write v. */
#define EXPECT_FAIL(call, status, word)                                                     \
  do {                                                                                      \
    mb_clear_error();                                                                       \
    mb_status st_ = (call);                                                                 \
    ck_assert_msg(st_ == (status), "%s -> %d, expected %d", #call, (int)st_, (int)(status)); \
    ck_assert_msg(strstr(mb_last_error(), (word)) != NULL, "%s: message '%s' lacks '%s'",   \
                  #call, mb_last_error(), (word));                                          \
  } while (0)

START_TEST(bad_arguments) {
  mb_potential *lj = NULL, *morse = NULL, *emt = NULL, *none = (mb_potential *)&lj;
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_LJ, &lj));
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_MORSE, &morse));
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_EMT, &emt));
  EXPECT_FAIL(mb_potential_create(MB_POTENTIAL_LJ, NULL), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_create((mb_potential_kind)7, &none), MB_ERR_INVALID_ARG, "kind 7");
  ck_assert_ptr_eq(none, (mb_potential *)&lj); /* untouched */
  mb_potential_free(NULL);

  double v = 42.0;
  EXPECT_FAIL(mb_potential_set(NULL, MB_POTENTIAL_SIGMA, 1), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_get(NULL, MB_POTENTIAL_SIGMA, &v), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_get(lj, MB_POTENTIAL_SIGMA, NULL), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_set(lj, (mb_potential_param)99, 1), MB_ERR_INVALID_ARG, "99");
  EXPECT_FAIL(mb_potential_get(lj, (mb_potential_param)-3, &v), MB_ERR_INVALID_ARG, "-3");
  EXPECT_FAIL(mb_potential_set(lj, MB_POTENTIAL_R0, 1), MB_ERR_INVALID_ARG,
              "MB_POTENTIAL_R0 is not a parameter of the Lennard-Jones");
  EXPECT_FAIL(mb_potential_get(morse, MB_POTENTIAL_SIGMA, &v), MB_ERR_INVALID_ARG,
              "MB_POTENTIAL_SIGMA is not a parameter of the Morse");
  EXPECT_FAIL(mb_potential_set(emt, MB_POTENTIAL_EPSILON, 1), MB_ERR_INVALID_ARG,
              "EMT has no parameters");
  EXPECT_FAIL(mb_potential_set(lj, MB_POTENTIAL_SIGMA, -1.0), MB_ERR_INVALID_ARG,
              "MB_POTENTIAL_SIGMA");
  EXPECT_FAIL(mb_potential_set(lj, MB_POTENTIAL_CUTOFF, 0.0), MB_ERR_INVALID_ARG, "> 0");
  EXPECT_FAIL(mb_potential_set(morse, MB_POTENTIAL_RHO0, NAN), MB_ERR_INVALID_ARG, "finite");
  EXPECT_FAIL(mb_potential_set(lj, MB_POTENTIAL_SMOOTH, 0.5), MB_ERR_INVALID_ARG, "0 or 1");
  ck_assert_double_eq(v, 42.0);
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SIGMA), 1.0); /* failed sets changed nothing */
  ck_assert_double_eq(get(lj, MB_POTENTIAL_SMOOTH), 0.0);

  /* compute */
  const ref_entry *e = pick("mixed_7_metals");
  mb_structure *s = ref_structure(e);
  double energy = 42.0;
  EXPECT_FAIL(mb_potential_compute(NULL, s, &energy, NULL), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_compute(emt, NULL, &energy, NULL), MB_ERR_INVALID_ARG, "NULL");
  EXPECT_FAIL(mb_potential_compute(emt, s, NULL, NULL), MB_ERR_INVALID_ARG, "energy");
  /* A smoothing onset at or beyond the cutoff. */
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_SMOOTH, 1));
  MB_OK_OR_FAIL(mb_potential_set(lj, MB_POTENTIAL_ONSET, 3.5));
  EXPECT_FAIL(mb_potential_compute(lj, s, &energy, NULL), MB_ERR_INVALID_ARG, "onset");
  /* EMT refuses an element it has no parameters for, and names it. */
  int z[3] = {29, 26, 13};
  double lat[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5}, x[9] = {0, 0, 0, 2, 0, 0, 0, 2, 1};
  mb_structure *fe = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 3, x, MB_COORDS_CARTESIAN, z, &fe));
  double f[9] = {7, 7, 7, 7, 7, 7, 7, 7, 7};
  EXPECT_FAIL(mb_potential_compute(emt, fe, &energy, f), MB_ERR_UNSUPPORTED, "Fe (atom 1");
  ck_assert_double_eq(energy, 42.0);
  ck_assert_double_eq(f[0], 7.0);
  mb_structure_free(fe);
  mb_structure_free(s);
  mb_potential_free(lj);
  mb_potential_free(morse);
  mb_potential_free(emt);
}
END_TEST

/* ---- threads ---------------------------------------------------------------- */

#define NTHREADS 4
#define ROUNDS 10

typedef struct job {
  const mb_potential *p;
  const mb_structure *s;
  int natoms;
  double energy;
  const double *forces;
  int failures;
} job;

static void *worker(void *arg) {
  job *jb = arg;
  double *f = malloc((size_t)jb->natoms * 3 * sizeof *f);
  for (int r = 0; r < ROUNDS; r++) {
    double e = NAN;
    if (mb_potential_compute(jb->p, jb->s, &e, f) != MB_OK || e != jb->energy ||
        memcmp(f, jb->forces, (size_t)jb->natoms * 3 * sizeof *f))
      jb->failures++;
  }
  free(f);
  return NULL;
}

START_TEST(threads_share_one_potential) {
  static const char *names[] = {"mixed_7_metals", "Ar_fcc_smooth", "Morse_Cu_fcc"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    const ref_entry *e = pick(names[k]);
    mb_structure *s = ref_structure(e);
    mb_potential *p = ref_potential(e);
    double energy, *f = malloc((size_t)e->natoms * 3 * sizeof *f);
    MB_OK_OR_FAIL(mb_potential_compute(p, s, &energy, f));
    pthread_t t[NTHREADS];
    job jobs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
      jobs[i] = (job){p, s, e->natoms, energy, f, 0};
      ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
      pthread_join(t[i], NULL);
      ck_assert_msg(jobs[i].failures == 0, "%s: thread %d differed %d times of %d",
                    names[k], i, jobs[i].failures, ROUNDS);
    }
    free(f);
    mb_potential_free(p);
    mb_structure_free(s);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("potential");
  TCase *tc = tcase_create("potential");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, parity_with_ase);
  tcase_add_test(tc, forces_are_minus_gradient);
  tcase_add_test(tc, translation_and_net_force);
  tcase_add_test(tc, parameters_round_trip);
  tcase_add_test(tc, bad_arguments);
  tcase_add_test(tc, threads_share_one_potential);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
