/* Energies and forces of the images from the band's force provider, through its
 * table (mb__provider_type, provider_*.c): per-image providers that are thread-safe
 * run MB_BAND_THREADS images at once, batched ones get all images in one call; each
 * image is computed by exactly the same code whatever the thread count, so the results
 * do not depend on it. Every result is checked for finite energies and forces. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "neb.h"
#include "../structure/structure.h"

#define MSG_SIZE MB__NEB_MSG

typedef struct job {
  mb_band *b;
  const int *idx;
  int count, first, stride;
  double *energy, *force; /* count and count*3N results */
  mb_status *status;      /* count */
  char (*msg)[MSG_SIZE];  /* count messages, for failures */
} job;

const char *mb__image_label(const mb_band *b, int image, char buf[64]) {
  snprintf(buf, 64, "image %d%s", image,
           image == 0 ? " (the initial end point)"
                      : image == b->nimages - 1 ? " (the final end point)" : "");
  return buf;
}

mb_status mb__band_work_structures(mb_band *b, const int *idx, int count) {
  for (int j = 0; j < count; j++) {
    int i = idx[j];
    mb_status st;
    if (!b->work[i] &&
        (st = mb__structure_new(b->lattice, b->natoms, b->pos + (size_t)i * 3 * b->natoms,
                                MB_COORDS_CARTESIAN, b->numbers, &b->work[i])))
      return st;
  }
  return MB_OK;
}

static mb_status check_finite(const mb_band *b, int image, double e, const double *f,
                              char *msg) {
  char lb[64];
  if (!isfinite(e)) {
    snprintf(msg, MSG_SIZE, "the %s returned a non-finite energy (%g) for %s",
             b->provider->name, e, mb__image_label(b, image, lb));
    return b->provider->bad_result;
  }
  for (int c = 0; c < 3 * b->natoms; c++)
    if (!isfinite(f[c])) {
      snprintf(msg, MSG_SIZE, "the %s returned a non-finite force on atom %d of %s",
               b->provider->name, c / 3, mb__image_label(b, image, lb));
      return b->provider->bad_result;
    }
  return MB_OK;
}

/* One image by a per-image provider. */
static mb_status compute_one(mb_band *b, int image, double *e, double *f, char *msg) {
  *e = NAN;
  mb_status st = b->provider->image(b, image, e, f, msg);
  return st ? st : check_finite(b, image, *e, f, msg);
}

static void *worker(void *arg) {
  job *w = arg;
  size_t n = 3 * (size_t)w->b->natoms;
  for (int j = w->first; j < w->count; j += w->stride)
    w->status[j] = compute_one(w->b, w->idx[j], &w->energy[j], w->force + (size_t)j * n,
                               w->msg[j]);
  return NULL;
}

static int thread_count(const mb_band *b, int count) {
  if (!b->thread_safe) return 1;
  long t = b->threads;
  if (t == 0) t = sysconf(_SC_NPROCESSORS_ONLN);
  if (t < 1) t = 1;
  return t < count ? (int)t : count;
}

/* Per-image providers, on up to thread_count threads (static round-robin split). */
static mb_status compute_images(mb_band *b, const int *idx, int count, double *energy,
                                double *force) {
  mb_status st = MB_OK;
  int nthreads = thread_count(b, count);
  mb_status *status = mb__calloc((size_t)count, sizeof *status);
  char(*msg)[MSG_SIZE] = mb__calloc((size_t)count, sizeof *msg);
  job *jobs = mb__calloc((size_t)nthreads, sizeof *jobs);
  pthread_t *tids = mb__calloc((size_t)nthreads, sizeof *tids);
  int *created = mb__calloc((size_t)nthreads, sizeof *created);
  if (!status || !msg || !jobs || !tids || !created) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if (b->provider->prepare && (st = b->provider->prepare(b, idx, count))) goto cleanup;
  for (int t = 0; t < nthreads; t++)
    jobs[t] = (job){b, idx, count, t, nthreads, energy, force, status, msg};
  for (int t = 1; t < nthreads; t++) created[t] = !pthread_create(&tids[t], NULL, worker, &jobs[t]);
  worker(&jobs[0]);
  for (int t = 1; t < nthreads; t++) {
    if (created[t]) pthread_join(tids[t], NULL);
    else worker(&jobs[t]); /* no thread: the calling thread does that share too */
  }
  for (int j = 0; j < count; j++)
    if (status[j]) {
      st = mb__error(status[j], "%s", msg[j]);
      break;
    }
cleanup:
  free(status);
  free(msg);
  free(jobs);
  free(tids);
  free(created);
  return st;
}

/* A batched provider: all listed images in one call, then the same checks. */
static mb_status compute_batch(mb_band *b, const int *idx, int count, double *energy,
                               double *force) {
  size_t n = 3 * (size_t)b->natoms;
  for (int j = 0; j < count; j++) energy[j] = NAN;
  mb_status st = b->provider->batch(b, idx, count, energy, force);
  char msg[MSG_SIZE];
  for (int j = 0; j < count && !st; j++)
    if ((st = check_finite(b, idx[j], energy[j], force + (size_t)j * n, msg)))
      st = mb__error(st, "%s", msg);
  return st;
}

mb_status mb__band_compute(mb_band *b, const int *idx, int count, long *calls) {
  if (count <= 0) return MB_OK;
  if (!b->provider)
    return mb__error(MB_ERR_INVALID_ARG,
                     "the band has no force provider: call mb_band_set_potential, "
                     "mb_band_set_callback, mb_band_set_batch_callback or mb_band_set_dft "
                     "first");
  size_t n = 3 * (size_t)b->natoms;
  mb_status st;
  double *energy = mb__malloc((size_t)count, sizeof(double));
  double *force = mb__calloc((size_t)count * n, sizeof(double));
  if (!energy || !force) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if (b->mpi_active) st = mb__band_compute_mpi(b, idx, count, energy, force);
  else if (b->provider->batch) st = compute_batch(b, idx, count, energy, force);
  else st = compute_images(b, idx, count, energy, force);
  if (st) goto cleanup;
  /* a safe point: a callback freed the band (mb_band_free marks it during a run) */
  if (mb__band_freed(b)) {
    st = MB_ERR_STOPPED;
    goto cleanup;
  }
  for (int j = 0; j < count; j++) {
    b->energy[idx[j]] = energy[j];
    memcpy(b->force + (size_t)idx[j] * n, force + (size_t)j * n, n * sizeof(double));
  }
  *calls += count;
cleanup:
  free(energy);
  free(force);
  return st;
}

int mb__band_climb_active(const mb_band *b) {
  return b->climb == 1 || (b->climb == 2 && b->climbing);
}

void mb__band_update_neb(mb_band *b) {
  size_t n = 3 * (size_t)b->natoms;
  int ci = mb__band_climb_active(b) ? mb__highest_image(b->nimages, b->energy) : -1;
  mb__neb_project(b->nimages, b->natoms, b->lattice, b->inverse, b->pos, b->energy, b->force,
                  b->free, b->spring, b->spring_min, ci, b->neb, b->tangent, b->ftan);
  b->max_force = mb__max_atom_norm(b->neb + n, (size_t)(b->nimages - 2) * n);
}

mb_status mb__band_refresh(mb_band *b) {
  mb_status st;
  int ends[2] = {0, b->nimages - 1}, nends = 0;
  for (int e = 0; e < 2; e++)
    if (isnan(b->energy[ends[e]])) ends[nends++] = ends[e];
  if ((st = mb__band_compute(b, ends, nends, &b->endpoint_calls))) return st;
  if (!b->evaluated) {
    int count = b->nimages - 2;
    int *idx = mb__malloc((size_t)count, sizeof(int));
    if (!idx) return MB_ERR_NOMEM;
    for (int j = 0; j < count; j++) idx[j] = j + 1;
    st = mb__band_compute(b, idx, count, &b->moving_calls);
    free(idx);
    if (st) return st;
    b->evaluated = 1;
  }
  mb__band_update_neb(b);
  return MB_OK;
}

MB_API mb_status mb_band_evaluate(mb_band *b) {
  static const char what[] = "mb_band_evaluate";
  mb_status st = mb__band_enter(b, what);
  if (st) return st;
  b->evaluated = 0;
  return mb__band_leave(b, mb__band_refresh(b), what);
}
