/* A downstream program that knows libmigbar only through pkg-config. */
#include <migbar.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  if (strcmp(mb_version(), MB_VERSION_STRING) != 0) {
    fprintf(stderr, "header %s but library %s\n", MB_VERSION_STRING, mb_version());
    return 1;
  }
  const double lattice[9] = {5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64};
  const double frac[6] = {0, 0, 0, 0.5, 0.5, 0.5};
  const int z[2] = {11, 17};
  mb_structure *s = NULL;
  if (mb_structure_create(lattice, 2, frac, MB_COORDS_FRACTIONAL, z, &s) != MB_OK) {
    fprintf(stderr, "create: %s\n", mb_last_error());
    return 1;
  }
  char formula[32];
  double volume;
  int ok = mb_structure_formula(s, 0, formula, sizeof formula) == MB_OK &&
           mb_structure_volume(s, &volume) == MB_OK;
  mb_structure_free(s);
  if (!ok) return 1;
  printf("libmigbar %s: %s, %.3f A^3\n", mb_version(), formula, volume);
  return strcmp(formula, "ClNa") != 0;
}
