/* Thread safety across handles: several threads read, write, analyse and build
 * neighbour lists at once, each on its own handles, plus one shared read-only
 * structure; every thread must get exactly what a single thread gets. */
#include <pthread.h>
#include <string.h>

#include "../testutil.h"

#define NTHREADS 6
#define ROUNDS 30

typedef struct job {
  const mb_structure *shared;
  mb_format format;
  size_t npairs_expected;
  int failures;
} job;

static void *worker(void *arg) {
  job *jb = arg;
  for (int r = 0; r < ROUNDS; r++) {
    char *text = NULL;
    size_t n = 0;
    mb_structure *back = NULL;
    mb_neighbors *nl = NULL;
    size_t npairs = 0;
    int natoms = 0, number = 0;
    char formula[64], symbol[16];
    if (mb_structure_write_buffer(jb->shared, jb->format, &text, &n) ||
        mb_structure_read_buffer(text, n, jb->format, "t", 0, &back) ||
        mb_structure_natoms(back, &natoms) || natoms != 8 ||
        mb_structure_formula(back, 1, formula, sizeof formula) || strcmp(formula, "ClNa") ||
        mb_structure_spacegroup(back, 1e-3, &number, symbol, sizeof symbol) || number != 225 ||
        mb_neighbors_cutoff(jb->shared, 4.5, &nl) || mb_neighbors_count(nl, &npairs) ||
        npairs != jb->npairs_expected)
      jb->failures++;
    /* An error on this thread leaves a message on this thread only. */
    int z;
    if (mb_element_number("Zz", &z) != MB_ERR_INVALID_ARG || !strstr(mb_last_error(), "Zz"))
      jb->failures++;
    mb_neighbors_free(nl);
    mb_structure_free(back);
    mb_free(text);
  }
  return NULL;
}

START_TEST(concurrent_handles) {
  const double lat[9] = {5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64};
  const double frac[24] = {0, 0, 0, .5, 0, 0, 0, .5, .5, .5, .5, .5,
                           .5, 0, .5, 0, 0, .5, .5, .5, 0, 0, .5, 0};
  const int z[8] = {11, 17, 11, 17, 11, 17, 11, 17};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 8, frac, MB_COORDS_FRACTIONAL, z, &s));
  /* Single-threaded answer: within 4.5 A each atom has 6 at 2.82 A and 12 at 3.99 A. */
  mb_neighbors *nl = NULL;
  size_t npairs;
  MB_OK_OR_FAIL(mb_neighbors_cutoff(s, 4.5, &nl));
  MB_OK_OR_FAIL(mb_neighbors_count(nl, &npairs));
  mb_neighbors_free(nl);
  ck_assert_uint_eq(npairs, 8 * 18);
  const mb_format fmts[NTHREADS] = {MB_FORMAT_POSCAR, MB_FORMAT_XYZ, MB_FORMAT_CIF,
                                   MB_FORMAT_JSON,   MB_FORMAT_JSON, MB_FORMAT_CIF};
  pthread_t t[NTHREADS];
  job jobs[NTHREADS];
  for (int k = 0; k < NTHREADS; k++) {
    jobs[k] = (job){s, fmts[k], npairs, 0};
    ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &jobs[k]), 0);
  }
  for (int k = 0; k < NTHREADS; k++) {
    pthread_join(t[k], NULL);
    ck_assert_msg(jobs[k].failures == 0, "thread %d (format %d): %d failures", k,
                  (int)jobs[k].format, jobs[k].failures);
  }
  mb_structure_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, concurrent_handles);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
