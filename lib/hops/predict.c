/* Barriers of the distinct hops from an ensemble: mb_ensemble_predict_band on the end
 * points of each (endpoints.c), distinct hops shared out over threads. Each hop is
 * computed by one thread into its own slot, so the result does not depend on the
 * number of threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hops.h"

typedef struct pool {
  const mb_hops *h;
  const mb_ensemble *e;
  int P, em;                 /* outputs of the ensemble; index of E_m */
  double *mean, *std;        /* ngroups each */
  pthread_mutex_t lock;
  int next;                  /* next distinct hop to take */
  int err_hop;               /* lowest failing hop, ngroups when none */
  mb_status err;
  char message[512];
} pool;

static mb_status predict_one(pool *p, int g, double *m, double *s) {
  mb_structure *a = NULL, *b = NULL;
  int ion;
  mb_status st = mb__hops_end_points(p->h, g, &a, &b, &ion);
  if (!st) st = mb_ensemble_predict_band(p->e, a, b, ion, m, s);
  mb_structure_free(a);
  mb_structure_free(b);
  return st;
}

static void *worker(void *arg) {
  pool *p = arg;
  double *m = malloc((size_t)p->P * sizeof *m), *s = malloc((size_t)p->P * sizeof *s);
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int g = p->next < p->h->ngroups && p->err_hop == p->h->ngroups ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    if (g < 0) break;
    mb_status st = m && s ? predict_one(p, g, m, s) : mb__error(MB_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&p->lock);
    if (st && g < p->err_hop) {
      /* the message lives in this thread's buffer: copy it for the caller's thread */
      p->err_hop = g, p->err = st;
      snprintf(p->message, sizeof p->message, "%s", mb_last_error());
    } else if (!st) {
      p->mean[g] = m[p->em], p->std[g] = s[p->em];
    }
    pthread_mutex_unlock(&p->lock);
  }
  free(m), free(s);
  return NULL;
}

/* Number of outputs of e and the index of E_m ("em", or the only output). */
static mb_status em_output(const mb_ensemble *e, int *P, int *em) {
  const mb_model *m = NULL;
  if (mb_ensemble_member(e, 0, &m)) { /* a forest member predicts E_m alone */
    mb_clear_error();
    *P = 1, *em = 0;
    return MB_OK;
  }
  mb_status st = mb_model_noutputs(m, P);
  if (st) return st;
  if (*P == 1) {
    *em = 0;
    return MB_OK;
  }
  for (int k = 0; k < *P; k++) {
    const char *name;
    if (!mb_model_output_name(m, k, &name) && strcmp(name, "em") == 0) {
      *em = k;
      return MB_OK;
    }
  }
  return mb__error(MB_ERR_MODEL, "hops: the model has %d outputs and none is named 'em'", *P);
}

MB_API mb_status mb_hops_predict(mb_hops *h, const mb_ensemble *e, int nthreads) {
  if (!h || !e || nthreads < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb_hops_predict: bad argument");
  if (!h->found) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_predict: call mb_hops_find first");
  pool p = {.h = h, .e = e, .err_hop = h->ngroups};
  mb_status st = em_output(e, &p.P, &p.em);
  if (st) return st;
  /* every supercell must fit before any prediction starts */
  for (int g = 0; g < h->ngroups; g++) {
    int reps[3];
    if ((st = mb__hops_supercell(h, g, reps))) return st;
  }
  p.mean = mb__malloc((size_t)h->ngroups, sizeof *p.mean);
  p.std = mb__malloc((size_t)h->ngroups, sizeof *p.std);
  if (!p.mean || !p.std) {
    free(p.mean), free(p.std);
    return MB_ERR_NOMEM;
  }
  if (nthreads == 0) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = ncpu > 0 ? (int)ncpu : 1;
  }
  if (nthreads > h->ngroups) nthreads = h->ngroups;
  pthread_mutex_init(&p.lock, NULL);
  pthread_t *tid = nthreads > 1 ? mb__malloc((size_t)nthreads - 1, sizeof *tid) : NULL;
  int started = 0;
  if (tid)
    for (; started < nthreads - 1; started++)
      if (pthread_create(&tid[started], NULL, worker, &p)) break;
  worker(&p);
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  free(tid);
  pthread_mutex_destroy(&p.lock);
  if (p.err_hop < h->ngroups) {
    st = mb__error(p.err, "hops: distinct hop %d: %s", p.err_hop, p.message);
  } else {
    memcpy(h->barrier, p.mean, (size_t)h->ngroups * sizeof *p.mean);
    memcpy(h->spread, p.std, (size_t)h->ngroups * sizeof *p.std);
    h->source = MB_HOPS_SOURCE_MODEL;
  }
  free(p.mean), free(p.std);
  return st;
}
