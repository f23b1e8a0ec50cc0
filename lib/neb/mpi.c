/* NEB images over MPI ranks (builds configured --with-mpi). Each rank computes
 * a contiguous share of the images and the energies and forces are gathered on
 * every rank, so that all ranks take identical optimiser steps and end with the
 * same band. The force provider itself runs on one rank per image. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "neb.h"

#ifdef MB_HAVE_MPI
#include <mpi.h>
#endif

MB_API mb_status mb_band_set_mpi(mb_band *b, int fortran_comm) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_mpi");
  if (busy) return busy;
#ifdef MB_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_mpi: MPI_Init has not been called");
  MPI_Comm comm = MPI_Comm_f2c((MPI_Fint)fortran_comm);
  int size;
  if (comm == MPI_COMM_NULL || MPI_Comm_size(comm, &size) != MPI_SUCCESS)
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_mpi: invalid communicator %d",
                     fortran_comm);
  b->mpi_comm = fortran_comm;
  b->mpi_active = size > 1;
  return MB_OK;
#else
  (void)fortran_comm;
  return mb__error(MB_ERR_UNSUPPORTED,
                   "mb_band_set_mpi: this libmigbar was built without MPI (configure "
                   "--with-mpi)");
#endif
}

#ifdef MB_HAVE_MPI
/* Share of rank r of count images: [count*r/size, count*(r+1)/size). */
mb_status mb__band_compute_mpi(mb_band *b, const int *idx, int count, double *energy,
                               double *force) {
  MPI_Comm comm = MPI_Comm_f2c((MPI_Fint)b->mpi_comm);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int n = 3 * b->natoms;
  int lo = (int)((long)count * rank / size), hi = (int)((long)count * (rank + 1) / size);
  mb_status st = MB_OK, worst;
  int *ecount = mb__malloc((size_t)size, sizeof(int)), *edisp = mb__malloc((size_t)size,
                                                                            sizeof(int));
  int *fcount = mb__malloc((size_t)size, sizeof(int)), *fdisp = mb__malloc((size_t)size,
                                                                            sizeof(int));
  if (!ecount || !edisp || !fcount || !fdisp) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  /* compute the own share with the serial code (threads still apply) */
  b->mpi_active = 0;
  long dummy = 0;
  if (hi > lo) st = mb__band_compute(b, idx + lo, hi - lo, &dummy);
  b->mpi_active = 1;
  int local = (int)st, global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, comm);
  worst = (mb_status)global;
  if (worst) {
    if (!st) st = mb__error(worst, "NEB over MPI: another rank failed to compute its images");
    goto cleanup;
  }
  for (int j = lo; j < hi; j++) {
    energy[j] = b->energy[idx[j]];
    memcpy(force + (size_t)j * n, b->force + (size_t)idx[j] * n, (size_t)n * sizeof(double));
  }
  for (int r = 0; r < size; r++) {
    int a = (int)((long)count * r / size), c = (int)((long)count * (r + 1) / size);
    ecount[r] = c - a, edisp[r] = a;
    fcount[r] = (c - a) * n, fdisp[r] = a * n;
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, energy, ecount, edisp, MPI_DOUBLE, comm);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, force, fcount, fdisp, MPI_DOUBLE, comm);
cleanup:
  free(ecount);
  free(edisp);
  free(fcount);
  free(fdisp);
  return st;
}
#else
mb_status mb__band_compute_mpi(mb_band *b, const int *idx, int count, double *energy,
                               double *force) {
  (void)idx, (void)count, (void)energy, (void)force;
  b->mpi_active = 0;
  return mb__error(MB_ERR_UNSUPPORTED, "NEB over MPI: built without MPI");
}
#endif
