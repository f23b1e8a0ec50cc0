/* NEB over MPI ranks (built --with-mpi): a vacancy hop in a 2x2x2 fcc Cu cell
 * (31 atoms, EMT, 4 intermediate images, relaxed end points, climbing image,
 * L-BFGS) with the band shared over the ranks of MPI_COMM_WORLD. Rank 0 prints
 * the energies, barrier, steps and force calls with 17 digits; tests/neb/
 * test_mpi.sh runs it with mpirun -np 1 and -np 2 and requires identical output
 * (each image is computed by the same code on whichever rank owns it). */
#include <mpi.h>
#include <stdio.h>

#include "migbar.h"

#define CHECK(call)                                                                    \
  do {                                                                                 \
    mb_status st_ = (call);                                                            \
    if (st_ != MB_OK) {                                                                \
      fprintf(stderr, "%s -> %s: %s\n", #call, mb_strerror(st_), mb_last_error());     \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                    \
    }                                                                                  \
  } while (0)

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const double a = 3.6;
  const double basis[4][3] = {{0, 0, 0}, {0, .5, .5}, {.5, 0, .5}, {.5, .5, 0}};
  double lattice[9] = {2 * a, 0, 0, 0, 2 * a, 0, 0, 0, 2 * a};
  double ini[3 * 31], fin[3 * 31];
  int numbers[31], n = 0;
  for (int x = 0; x < 2; x++)
    for (int y = 0; y < 2; y++)
      for (int z = 0; z < 2; z++)
        for (int k = 0; k < 4; k++) {
          if (x + y + z == 0 && k == 0) continue; /* the vacancy at the origin */
          ini[3 * n] = (x + basis[k][0]) * a;
          ini[3 * n + 1] = (y + basis[k][1]) * a;
          ini[3 * n + 2] = (z + basis[k][2]) * a;
          for (int c = 0; c < 3; c++) fin[3 * n + c] = ini[3 * n + c];
          numbers[n++] = 29;
        }
  /* atom 0 is at (0, a/2, a/2), a nearest neighbour of the vacancy: it hops */
  fin[0] = fin[1] = fin[2] = 0;
  mb_structure *s0, *s1;
  mb_potential *emt;
  mb_band *band;
  CHECK(mb_structure_create(lattice, 31, ini, MB_COORDS_CARTESIAN, numbers, &s0));
  CHECK(mb_structure_create(lattice, 31, fin, MB_COORDS_CARTESIAN, numbers, &s1));
  CHECK(mb_potential_create(MB_POTENTIAL_EMT, &emt));
  CHECK(mb_band_create(s0, s1, 4, MB_INTERPOLATION_LINEAR, &band));
  CHECK(mb_band_set_potential(band, emt));
  CHECK(mb_band_set_option(band, MB_BAND_CLIMB, 1));
  CHECK(mb_band_set_option(band, MB_BAND_RELAX_ENDPOINTS, 1));
  CHECK(mb_band_set_option(band, MB_BAND_FMAX, 0.01));
  CHECK(mb_band_set_mpi(band, (int)MPI_Comm_c2f(MPI_COMM_WORLD)));
  CHECK(mb_band_run(band));
  double e[6], fwd, bwd, fmax;
  int saddle, steps, conv;
  long moving, ends;
  CHECK(mb_band_energies(band, e));
  CHECK(mb_band_barrier(band, &fwd, &bwd, &saddle));
  CHECK(mb_band_stats(band, &steps, &moving, &ends, &fmax, &conv));
  if (rank == 0) {
    for (int i = 0; i < 6; i++) printf("E[%d] = %.17g\n", i, e[i]);
    printf("barrier %.17g %.17g saddle %d\nsteps %d calls %ld %ld fmax %.17g converged %d\n",
           fwd, bwd, saddle, steps, moving, ends, fmax, conv);
  }
  /* every rank holds the same band */
  double mine = e[saddle], top = 0;
  MPI_Allreduce(&mine, &top, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int same = mine == top, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  if (rank == 0) printf("ranks agree: %d (of %d)\n", all, size);
  mb_band_free(band);
  mb_potential_free(emt);
  mb_structure_free(s0);
  mb_structure_free(s1);
  MPI_Finalize();
  return all && conv ? 0 : 1;
}
