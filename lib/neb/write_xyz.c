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
 * atoms. The lattice and positions are written as lib/structure/io_xyz.c writes them
 * (17 significant digits, 16 decimals), so frames read back exactly. */
#include <stdlib.h>

#include "../core/core.h"

static mb_status write_image(const mb_band *b, int i, double energy, int natoms,
                             double *work, int *flags, mb_strbuf *sb) {
  mb_structure *s = NULL;
  double lat[9];
  int has = 0;
  double *pos = work, *forces = work + 3 * (size_t)natoms;
  mb_status st;
  if ((st = mb_band_image(b, i, &s)) || (st = mb_structure_lattice(s, lat)) ||
      (st = mb_structure_positions(s, MB_COORDS_CARTESIAN, pos)) ||
      (st = mb_structure_selective(s, flags, &has)) || (st = mb_band_forces(b, i, 0, forces)))
    goto cleanup;
  mb__sb_printf(sb, "%d\nLattice=\"%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\" "
                "Properties=species:S:1:pos:R:3:forces:R:3%s energy=%.17g image=%d "
                "pbc=\"T T T\"\n",
                natoms, lat[0], lat[1], lat[2], lat[3], lat[4], lat[5], lat[6], lat[7], lat[8],
                has ? ":move_mask:L:3" : "", energy, i);
  for (int a = 0; a < natoms; a++) {
    const char *sym;
    if ((st = mb_structure_symbol(s, a, &sym))) goto cleanup;
    const double *r = pos + 3 * a, *f = forces + 3 * a;
    mb__sb_printf(sb, "%-2s %24.16f %24.16f %24.16f %20.12f %20.12f %20.12f", sym, r[0], r[1],
                  r[2], f[0], f[1], f[2]);
    if (has)
      for (int k = 0; k < 3; k++) mb__sb_puts(sb, flags[3 * a + k] ? " T" : " F");
    mb__sb_puts(sb, "\n");
  }
cleanup:
  mb_structure_free(s);
  return st;
}

mb_status mb__band_write_xyz(const mb_band *b, mb_strbuf *sb) {
  int n = 0, natoms = 0;
  mb_status st;
  if ((st = mb_band_nimages(b, &n)) || (st = mb_band_natoms(b, &natoms))) return st;
  double *energies = mb__malloc((size_t)n, sizeof *energies);
  double *work = mb__malloc(6 * (size_t)natoms, sizeof *work);
  int *flags = mb__malloc(3 * (size_t)natoms, sizeof *flags);
  if (!energies || !work || !flags) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = mb_band_energies(b, energies))) goto cleanup;
  for (int i = 0; i < n && !st; i++) st = write_image(b, i, energies[i], natoms, work, flags, sb);
cleanup:
  free(energies);
  free(work);
  free(flags);
  return st;
}
