/* Thread safety across handles: several threads read, write, analyse and build
 * neighbour lists at once, each on its own handles, plus one shared read-only
 * structure; every thread must get exactly what a single thread gets.
 *
 * The test must not depend on the machine being idle (issue 12: under make -j16 on
 * two cores it ran past Check's 60 s while using 4.4 s of CPU). So it is judged by
 * CPU time, not wall time: the workers may use at most CPU_BUDGET seconds of the
 * process's CPU (about 1.5 s are needed), and a deadlock is told by CPU that stops
 * advancing (under STALL_CPU seconds in STALL_WALL seconds of waiting) rather than by
 * a clock. Check's own timeout is only a backstop for the test itself hanging. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "../testutil.h"

#define NTHREADS 6
#define ROUNDS 10
#define CPU_BUDGET 60.0  /* s of process CPU, times CK_TIMEOUT_MULTIPLIER when above 1 */
#define STALL_WALL 60.0  /* s of waiting ... */
#define STALL_CPU 0.01   /* ... in which less CPU than this was used: a deadlock */

static atomic_int finished;

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
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wait for the workers, failing on too much CPU or on CPU that stops advancing. */
static void wait_for_workers(void) {
  const char *mult = getenv("CK_TIMEOUT_MULTIPLIER");
  double budget = CPU_BUDGET * (mult && atof(mult) > 1 ? atof(mult) : 1);
  double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
  double mark_wall = clock_seconds(CLOCK_MONOTONIC), mark_cpu = cpu0;
  const struct timespec tick = {0, 50 * 1000 * 1000};
  while (atomic_load(&finished) < NTHREADS) {
    nanosleep(&tick, NULL);
    double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), wall = clock_seconds(CLOCK_MONOTONIC);
    ck_assert_msg(cpu - cpu0 <= budget, "the workers used %.1f s of CPU (budget %.0f s, about "
                  "1.5 s needed): livelock or a large slowdown", cpu - cpu0, budget);
    if (cpu - mark_cpu >= STALL_CPU) {
      mark_cpu = cpu;
      mark_wall = wall;
    }
    ck_assert_msg(wall - mark_wall < STALL_WALL, "%d of %d workers finished and no CPU was "
                  "used for %.0f s: deadlock", atomic_load(&finished), NTHREADS,
                  wall - mark_wall);
  }
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
  atomic_store(&finished, 0);
  for (int k = 0; k < NTHREADS; k++) {
    jobs[k] = (job){s, fmts[k], npairs, 0};
    ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &jobs[k]), 0);
  }
  wait_for_workers();
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
  tcase_set_timeout(tc, 900); /* a backstop only: see wait_for_workers */
  tcase_add_test(tc, concurrent_handles);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
