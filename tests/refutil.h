/* Reference structures stored beside test fixtures (*.ref files written by the
 * fixtures' make_fixtures.py from what ASE reads): shared by the POSCAR and
 * extended-XYZ suites. */
#ifndef MB_REFUTIL_H
#define MB_REFUTIL_H

#include "testutil.h"

typedef struct ref_structure {
  int natoms, has_flags;
  double lattice[9];
  int *numbers, *flags;
  double *cart;
} ref_structure;

static inline int ref_load(const char *path, ref_structure **out) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char line[256];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* "# written by ..." */
  int n = 0;
  ck_assert_int_eq(fscanf(f, " structures %d", &n), 1);
  ref_structure *refs = calloc((size_t)n, sizeof *refs);
  for (int k = 0; k < n; k++) {
    ref_structure *r = &refs[k];
    ck_assert_int_eq(fscanf(f, " natoms %d flags %d", &r->natoms, &r->has_flags), 2);
    for (int c = 0; c < 9; c++) ck_assert_int_eq(fscanf(f, "%lf", &r->lattice[c]), 1);
    r->numbers = calloc((size_t)r->natoms, sizeof(int));
    r->flags = calloc((size_t)r->natoms * 3, sizeof(int));
    r->cart = calloc((size_t)r->natoms * 3, sizeof(double));
    for (int i = 0; i < r->natoms; i++) {
      ck_assert_int_eq(fscanf(f, "%d", &r->numbers[i]), 1);
      for (int c = 0; c < 3; c++) ck_assert_int_eq(fscanf(f, "%lf", &r->cart[3 * i + c]), 1);
      for (int c = 0; c < 3; c++)
        if (r->has_flags) ck_assert_int_eq(fscanf(f, "%d", &r->flags[3 * i + c]), 1);
        else r->flags[3 * i + c] = 1;
    }
  }
  fclose(f);
  *out = refs;
  return n;
}

static inline void ref_free(ref_structure *refs, int n) {
  for (int k = 0; k < n; k++) {
    free(refs[k].numbers);
    free(refs[k].flags);
    free(refs[k].cart);
  }
  free(refs);
}

static inline void assert_matches(const mb_structure *s, const ref_structure *r, double tol) {
  int n, has;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, r->natoms);
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  for (int c = 0; c < 9; c++) ck_assert_double_eq_tol(lat[c], r->lattice[c], tol);
  int *z = malloc((size_t)n * sizeof *z), *flags = malloc((size_t)n * 3 * sizeof *flags);
  double *cart = malloc((size_t)n * 3 * sizeof *cart);
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  MB_OK_OR_FAIL(mb_structure_selective(s, flags, &has));
  ck_assert_int_eq(has, r->has_flags);
  for (int i = 0; i < n; i++) {
    ck_assert_int_eq(z[i], r->numbers[i]);
    for (int c = 0; c < 3; c++) {
      ck_assert_double_eq_tol(cart[3 * i + c], r->cart[3 * i + c], tol);
      ck_assert_int_eq(flags[3 * i + c], r->flags[3 * i + c]);
    }
  }
  free(z);
  free(flags);
  free(cart);
}

#endif
