/* All images of a band as extended XYZ frames (mb_band_write, MB_BAND_FILE_XYZ), in
 * the layout ASE 3.22 (ase/io/extxyz.py) reads into Atoms with a single-point
 * calculator:
 *
 *   natoms
 *   Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3:forces:R:3
 *     energy=E image=i pbc="T T T"                      (one line)
 *   Cu  x y z  fx fy fz                                  (one line per atom)
 *
 * Positions are Cartesian (A), forces the provider's true forces (eV/A; not the NEB
 * forces), energy in eV. When the images carry selective-dynamics flags, a
 * move_mask:L:3 column follows (T = free), which ASE reads as FixCartesian and
 * mb_structure_read as the flags, so a band restarted from this file keeps its fixed
 * atoms. The frames are written by lib/structure/io_xyz.c's one writer
 * (mb__xyz_write_frame: 17 significant digits, 16 decimals), so they read back exactly. */
#include <stdio.h>
#include <stdlib.h>

#include "../core/core.h"
#include "../structure/io.h"

static mb_status write_image(const mb_band *b, int i, double energy,
                             double *forces, mb_strbuf *sb) {
  mb_structure *s = NULL;
  char info[64];
  mb_status st;
  if (!(st = mb_band_image(b, i, &s)) && !(st = mb_band_forces(b, i, 0, forces))) {
    snprintf(info, sizeof info, "energy=%.17g image=%d", energy, i);
    st = mb__xyz_write_frame(s, forces, info, sb);
  }
  mb_structure_free(s);
  return st;
}

mb_status mb__band_write_xyz(const mb_band *b, mb_strbuf *sb) {
  int n = 0, natoms = 0;
  mb_status st;
  if ((st = mb_band_nimages(b, &n)) || (st = mb_band_natoms(b, &natoms))) return st;
  double *energies = mb__malloc((size_t)n, sizeof *energies);
  double *work = mb__malloc(3 * (size_t)natoms, sizeof *work);
  if (!energies || !work) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = mb_band_energies(b, energies))) goto cleanup;
  for (int i = 0; i < n && !st; i++) st = write_image(b, i, energies[i], work, sb);
cleanup:
  free(energies);
  free(work);
  return st;
}
