/* MPI for the migbar tool (builds configured --with-mpi): `mpirun -np N migbar neb
 * ...` shares the images over the ranks. Rank 0 alone prints and writes files; the
 * ranks agree on every decision that ends a run (an interrupt, a failed checkpoint),
 * so that none is left waiting in a collective call. Without MPI (or under one
 * process) these are no-ops: one rank, rank 0. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cli.h"

#ifdef MB_HAVE_MPI
#include <mpi.h>

int cli_mpi_start(int *rank) {
  int initialized = 0, size = 1;
  MPI_Initialized(&initialized);
  if (!initialized && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    *rank = 0;
    return 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

int cli_mpi_comm(void) { return (int)MPI_Comm_c2f(MPI_COMM_WORLD); }

int cli_mpi_any(int flag) {
  int any = flag != 0, initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  return any;
}

void cli_mpi_finish(void) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
}
#else
int cli_mpi_start(int *rank) {
  *rank = 0;
  return 1;
}
int cli_mpi_comm(void) { return 0; }
int cli_mpi_any(int flag) { return flag != 0; }
void cli_mpi_finish(void) {}
#endif
