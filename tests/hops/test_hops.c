/* Migration networks (mb_hops). References:
 *  - hop counts and multiplicities by hand: a simple cubic lattice of Li (a = 3 A,
 *    max length 5 A) has 6 neighbours at 3 A and 12 at 4.243 A per site, i.e. 3 + 6
 *    undirected hops per cell; fcc (a = 4 A, 4 sites in the conventional cell) has 12,
 *    6 and 24 neighbours at 2.828, 4 and 4.899 A: 24, 12 and 48 undirected hops per
 *    conventional cell (6, 3 and 12 per primitive cell);
 *  - the grouping against brute force: every space-group operation (asked of spglib
 *    here, independently of the library) applied to every hop must give a hop of the
 *    same class, and the orbit of each representative must have exactly its
 *    multiplicity, on seven space groups including centred settings (Fm-3m and Im-3m
 *    conventional cells), hcp and olivine;
 *  - physics of the proxy (docs/hops.md): olivine LiFePO4 (tests/data/hops) conducts
 *    in 1D along b first; a layered toy in 2D before 3D;
 *  - end points against the em data layout (host + ion at either end);
 *  - malformed requests. */
#include <math.h>
#include <spglib.h>

#include "../testutil.h"

static mb_structure *cubic(double a, int n, const double *frac, const char *const *symbols) {
  double lat[9] = {a, 0, 0, 0, a, 0, 0, 0, a};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create_symbols(lat, n, frac, MB_COORDS_FRACTIONAL, symbols, &s));
  return s;
}

static mb_structure *read_data(const char *name) {
  char path[1024];
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read(mb_test_data(name, path, sizeof path), MB_FORMAT_AUTO, &s));
  return s;
}

static mb_hops *find(const mb_structure *s, const char *ion, double max_length) {
  mb_hops *h = NULL;
  MB_OK_OR_FAIL(mb_hops_create(s, ion, &h));
  MB_OK_OR_FAIL(mb_hops_set_option(h, MB_HOPS_MAX_LENGTH, max_length));
  MB_OK_OR_FAIL(mb_hops_find(h));
  return h;
}

/* Distinct hops: expect n of them with these lengths and multiplicities. */
static void expect_distinct(const mb_hops *h, int n, const double *length, const int *mult) {
  int nd, nh, total = 0;
  MB_OK_OR_FAIL(mb_hops_count(h, &nd, &nh));
  ck_assert_int_eq(nd, n);
  double len[16];
  int m[16];
  MB_OK_OR_FAIL(mb_hops_distinct(h, NULL, NULL, NULL, len, m));
  for (int k = 0; k < n; k++) {
    ck_assert_msg(fabs(len[k] - length[k]) < 1e-3, "hop %d: length %g, expected %g", k, len[k],
                  length[k]);
    ck_assert_int_eq(m[k], mult[k]);
    total += m[k];
  }
  ck_assert_int_eq(nh, total);
}

START_TEST(simple_cubic) {
  const double f[] = {0, 0, 0};
  const char *sym[] = {"Li"};
  mb_structure *s = cubic(3.0, 1, f, sym);
  mb_hops *h = find(s, "Li", 5.0);
  const double len[] = {3.0, sqrt(18.0)};
  const int mult[] = {3, 6};
  expect_distinct(h, 2, len, mult);
  /* no framework: infinite bottleneck, never blocked; every hop of one length */
  double b[2], w[2], c[2], e[2], perc[3];
  int blocked[2], lim[3], nsites, atom;
  MB_OK_OR_FAIL(mb_hops_geometry(h, b, w, c, blocked));
  ck_assert(isinf(b[0]) && isinf(w[0]) && isinf(c[0]) && !blocked[0]);
  MB_OK_OR_FAIL(mb_hops_sites(h, &nsites, &atom));
  ck_assert_int_eq(nsites, 1);
  ck_assert_int_eq(atom, 0);
  /* the proxy without framework is 0.05 eV/A x length (docs/hops.md); the 3 A hops
   * alone join every site to its 6 neighbours: 3D at once */
  mb_hops_source src;
  MB_OK_OR_FAIL(mb_hops_barriers(h, e, NULL, &src));
  ck_assert_int_eq(src, MB_HOPS_SOURCE_PROXY);
  ck_assert_double_eq_tol(e[0], 0.15, 1e-12);
  MB_OK_OR_FAIL(mb_hops_percolation(h, perc, lim));
  for (int d = 0; d < 3; d++) {
    ck_assert_double_eq_tol(perc[d], 0.15, 1e-12);
    ck_assert_int_eq(lim[d], 0);
  }
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

START_TEST(fcc_conventional_and_primitive) {
  const double f[] = {0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0};
  const char *sym[] = {"Li", "Li", "Li", "Li"};
  mb_structure *s = cubic(4.0, 4, f, sym);
  mb_hops *h = find(s, "Li", 5.0);
  const double len[] = {sqrt(8.0), 4.0, sqrt(24.0)};
  const int conv[] = {24, 12, 48}, prim[] = {6, 3, 12};
  expect_distinct(h, 3, len, conv);
  mb_hops_free(h);
  mb_structure_free(s);
  double lat[9] = {0, 2, 2, 2, 0, 2, 2, 2, 0};
  const char *li[] = {"Li"};
  MB_OK_OR_FAIL(mb_structure_create_symbols(lat, 1, f, MB_COORDS_FRACTIONAL, li, &s));
  h = find(s, "Li", 5.0);
  expect_distinct(h, 3, len, prim);
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

/* ---- grouping against brute force ------------------------------------------------------ */

typedef struct bhop {
  int i, j, s[3]; /* site indices */
} bhop;

static int bhop_eq(const bhop *a, const bhop *b) {
  return a->i == b->i && a->j == b->j && a->s[0] == b->s[0] && a->s[1] == b->s[1] &&
         a->s[2] == b->s[2];
}

/* Index in the list of the hop (i, j, s) or of its reverse, or -1. */
static int bfind(const bhop *list, int n, const bhop *x) {
  bhop r = {x->j, x->i, {-x->s[0], -x->s[1], -x->s[2]}};
  for (int k = 0; k < n; k++)
    if (bhop_eq(&list[k], x) || bhop_eq(&list[k], &r)) return k;
  return -1;
}

static void brute_force(const mb_structure *s, const char *ion, double max_length) {
  mb_hops *h = find(s, ion, max_length);
  int natoms, nsites, nd, nh;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &natoms));
  MB_OK_OR_FAIL(mb_hops_sites(h, &nsites, NULL));
  MB_OK_OR_FAIL(mb_hops_count(h, &nd, &nh));
  int *atoms = malloc(sizeof(int) * nsites), *site_of = malloc(sizeof(int) * natoms);
  int *from = malloc(sizeof(int) * nh), *to = malloc(sizeof(int) * nh);
  int *img = malloc(sizeof(int) * 3 * nh), *grp = malloc(sizeof(int) * nh);
  int *mult = malloc(sizeof(int) * nd), *rfrom = malloc(sizeof(int) * nd);
  int *rto = malloc(sizeof(int) * nd), *rimg = malloc(sizeof(int) * 3 * nd);
  double *frac = malloc(sizeof(double) * 3 * natoms), lat[9];
  int *z = malloc(sizeof(int) * natoms);
  MB_OK_OR_FAIL(mb_hops_sites(h, &nsites, atoms));
  MB_OK_OR_FAIL(mb_hops_all(h, from, to, img, grp));
  MB_OK_OR_FAIL(mb_hops_distinct(h, rfrom, rto, rimg, NULL, mult));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  for (int a = 0; a < natoms; a++) site_of[a] = -1;
  for (int k = 0; k < nsites; k++) site_of[atoms[k]] = k;
  bhop *list = malloc(sizeof(bhop) * nh), *orbit = malloc(sizeof(bhop) * nh);
  for (int k = 0; k < nh; k++) {
    list[k] = (bhop){site_of[from[k]], site_of[to[k]], {img[3 * k], img[3 * k + 1], img[3 * k + 2]}};
    ck_assert(list[k].i >= 0 && list[k].j >= 0);
  }
  /* spglib's operations of the whole structure */
  double L[3][3], (*pos)[3] = malloc(sizeof(double) * 3 * natoms);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++) L[k][r] = lat[3 * r + k];
  for (int a = 0; a < natoms; a++)
    for (int k = 0; k < 3; k++) pos[a][k] = frac[3 * a + k];
  SpglibDataset *ds = spg_get_dataset(L, pos, z, natoms, 1e-3);
  ck_assert_ptr_nonnull(ds);
  /* image of site x under op o: the site and the cell, by brute-force search */
  int nops = ds->n_operations;
  int *perm = malloc(sizeof(int) * nops * nsites), *cell = malloc(sizeof(int) * 3 * nops * nsites);
  for (int o = 0; o < nops; o++)
    for (int x = 0; x < nsites; x++) {
      const double *p = frac + 3 * atoms[x];
      double y[3];
      for (int a = 0; a < 3; a++)
        y[a] = ds->rotations[o][a][0] * p[0] + ds->rotations[o][a][1] * p[1] +
               ds->rotations[o][a][2] * p[2] + ds->translations[o][a];
      int found = 0;
      for (int k = 0; k < nsites && !found; k++) {
        const double *q = frac + 3 * atoms[k];
        double d[3];
        for (int a = 0; a < 3; a++) d[a] = y[a] - q[a] - round(y[a] - q[a]);
        if (fabs(d[0]) + fabs(d[1]) + fabs(d[2]) < 1e-3) {
          perm[o * nsites + x] = k;
          for (int a = 0; a < 3; a++) cell[3 * (o * nsites + x) + a] = (int)round(y[a] - q[a]);
          found = 1;
        }
      }
      ck_assert_msg(found, "op %d: site %d maps onto no site", o, x);
    }
  /* every operation keeps every hop in its class */
  for (int k = 0; k < nh; k++)
    for (int o = 0; o < nops; o++) {
      const bhop *hp = &list[k];
      bhop im = {perm[o * nsites + hp->i], perm[o * nsites + hp->j], {0, 0, 0}};
      for (int a = 0; a < 3; a++)
        im.s[a] = cell[3 * (o * nsites + hp->j) + a] - cell[3 * (o * nsites + hp->i) + a] +
                  ds->rotations[o][a][0] * hp->s[0] + ds->rotations[o][a][1] * hp->s[1] +
                  ds->rotations[o][a][2] * hp->s[2];
      int m = bfind(list, nh, &im);
      ck_assert_msg(m >= 0, "op %d sends hop %d to a hop not in the list", o, k);
      ck_assert_msg(grp[m] == grp[k], "op %d sends hop %d (class %d) to class %d", o, k, grp[k],
                    grp[m]);
    }
  /* the orbit of each representative is its whole class */
  for (int g = 0; g < nd; g++) {
    bhop rep = {site_of[rfrom[g]], site_of[rto[g]], {rimg[3 * g], rimg[3 * g + 1], rimg[3 * g + 2]}};
    ck_assert_int_eq(grp[bfind(list, nh, &rep)], g);
    int norbit = 0;
    for (int o = 0; o < nops; o++) {
      bhop im = {perm[o * nsites + rep.i], perm[o * nsites + rep.j], {0, 0, 0}};
      for (int a = 0; a < 3; a++)
        im.s[a] = cell[3 * (o * nsites + rep.j) + a] - cell[3 * (o * nsites + rep.i) + a] +
                  ds->rotations[o][a][0] * rep.s[0] + ds->rotations[o][a][1] * rep.s[1] +
                  ds->rotations[o][a][2] * rep.s[2];
      if (bfind(orbit, norbit, &im) < 0) orbit[norbit++] = im;
    }
    ck_assert_msg(norbit == mult[g], "class %d: orbit of %d hops, multiplicity %d", g, norbit,
                  mult[g]);
  }
  spg_free_dataset(ds);
  free(atoms), free(site_of), free(from), free(to), free(img), free(grp), free(mult);
  free(rfrom), free(rto), free(rimg), free(frac), free(z), free(list), free(orbit), free(pos);
  free(perm), free(cell);
  mb_hops_free(h);
}

START_TEST(grouping_equals_brute_force) {
  const char *li4[] = {"Li", "Li", "Li", "Li"};
  /* Fm-3m, conventional (face-centred) cell */
  const double fcc[] = {0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0};
  mb_structure *s = cubic(4.0, 4, fcc, li4);
  brute_force(s, "Li", 5.0);
  mb_structure_free(s);
  /* Im-3m, conventional (body-centred) cell, with a framework: Li at 2a, O at 6b */
  const double bcc[] = {0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5,
                        0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0};
  const char *bsym[] = {"Li", "Li", "O", "O", "O", "O", "O", "O"};
  s = cubic(3.6, 8, bcc, bsym);
  brute_force(s, "Li", 5.0);
  mb_structure_free(s);
  /* P6_3/mmc: hcp Li */
  double hex[9] = {3.1, 0, 0, -1.55, 3.1 * sqrt(3.0) / 2, 0, 0, 0, 5.0};
  const double hcp[] = {1.0 / 3, 2.0 / 3, 0.25, 2.0 / 3, 1.0 / 3, 0.75};
  MB_OK_OR_FAIL(mb_structure_create_symbols(hex, 2, hcp, MB_COORDS_FRACTIONAL, li4, &s));
  brute_force(s, "Li", 5.0);
  mb_structure_free(s);
  /* Pnma olivine, P4/mmm layers */
  s = read_data("hops/LiFePO4_olivine.vasp");
  brute_force(s, "Li", 6.0);
  brute_force(s, "Fe", 6.0); /* any species may be the mobile one */
  mb_structure_free(s);
  s = read_data("hops/layered.vasp");
  brute_force(s, "Li", 5.0);
  mb_structure_free(s);
  /* P1 (only translations): a 2x1x1 supercell of an oblique cell */
  double tri[9] = {6.2, 0, 0, 0.7, 3.4, 0, 0.4, 0.9, 3.9};
  const double p1[] = {0.03, 0.1, 0.2, 0.52, 0.15, 0.25, 0.3, 0.6, 0.6, 0.8, 0.65, 0.65};
  const char *psym[] = {"Na", "Na", "Cl", "Cl"};
  MB_OK_OR_FAIL(mb_structure_create_symbols(tri, 4, p1, MB_COORDS_FRACTIONAL, psym, &s));
  brute_force(s, "Na", 5.0);
  mb_structure_free(s);
}
END_TEST

/* ---- physics of the proxy -------------------------------------------------------------- */

static void hop_vector(const mb_structure *s, const mb_hops *h, int k, double v[3]) {
  int nd, from[16], to[16], img[48];
  double frac[3 * 64], lat[9];
  MB_OK_OR_FAIL(mb_hops_count(h, &nd, NULL));
  ck_assert(nd <= 16);
  MB_OK_OR_FAIL(mb_hops_distinct(h, from, to, img, NULL, NULL));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  double df[3];
  for (int c = 0; c < 3; c++) df[c] = frac[3 * to[k] + c] + img[3 * k + c] - frac[3 * from[k] + c];
  for (int c = 0; c < 3; c++) v[c] = df[0] * lat[c] + df[1] * lat[3 + c] + df[2] * lat[6 + c];
}

/* Olivine (Pnma, a = 10.33, b = 6.01, c = 4.69 A): Li 4a sites form chains along b
 * (hops of b/2 = 3.005 A). Within 5 A the other hop is along c (4.69 A) between chains;
 * the next (5.57, 5.67 A) need 6 A. With the proxy, the 1D network is the b chain,
 * reached with the 3.005 A hop; 2D needs the c hop; 3D needs the longer hops. */
START_TEST(olivine_conducts_along_b_first) {
  mb_structure *s = read_data("hops/LiFePO4_olivine.vasp");
  mb_hops *h = find(s, "Li", 5.0);
  const double len[] = {3.005, 4.69};
  const int mult[] = {4, 4};
  expect_distinct(h, 2, len, mult);
  double perc[3], v[3];
  int lim[3], blocked[2];
  MB_OK_OR_FAIL(mb_hops_percolation(h, perc, lim));
  ck_assert_int_eq(lim[0], 0);
  hop_vector(s, h, lim[0], v);
  ck_assert(fabs(v[0]) < 1e-9 && fabs(fabs(v[1]) - 3.005) < 1e-9 && fabs(v[2]) < 1e-9);
  ck_assert_int_eq(lim[1], 1);
  ck_assert(perc[0] < perc[1]);
  ck_assert(isinf(perc[2]) && lim[2] == -1);
  MB_OK_OR_FAIL(mb_hops_geometry(h, NULL, NULL, NULL, blocked));
  ck_assert(!blocked[0]);
  mb_hops_free(h);
  /* with 6 A the 5.57 and 5.67 A hops, through Fe/P/O, are blocked, and give 3D last */
  h = find(s, "Li", 6.0);
  int nd, blk[4];
  MB_OK_OR_FAIL(mb_hops_count(h, &nd, NULL));
  ck_assert_int_eq(nd, 4);
  MB_OK_OR_FAIL(mb_hops_geometry(h, NULL, NULL, NULL, blk));
  ck_assert(!blk[0] && !blk[1] && blk[2] && blk[3]);
  MB_OK_OR_FAIL(mb_hops_percolation(h, perc, lim));
  ck_assert_int_eq(lim[0], 0);
  ck_assert(isfinite(perc[2]) && perc[2] > perc[1]);
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

/* Layers: 2D at the in-plane barrier, 3D only at the inter-layer one; with user
 * barriers 0.3 (in plane), 0.45 (diagonal in plane), 1.2 eV (across). */
START_TEST(layered_is_2d_below_interlayer_barrier) {
  mb_structure *s = read_data("hops/layered.vasp");
  mb_hops *h = find(s, "Li", 5.0);
  const double len[] = {3.0, sqrt(18.0), 5.0};
  const int mult[] = {2, 2, 1};
  expect_distinct(h, 3, len, mult);
  double perc[3], e[3];
  int lim[3], dim;
  MB_OK_OR_FAIL(mb_hops_barriers(h, e, NULL, NULL));
  ck_assert(e[0] < e[2] && e[1] < e[2]); /* proxy: across the layer is the narrowest */
  MB_OK_OR_FAIL(mb_hops_percolation(h, perc, lim));
  ck_assert_int_eq(lim[1], 0);
  ck_assert_int_eq(lim[2], 2);
  const double user[] = {0.3, 0.45, 1.2}, spread[] = {0.05, 0.05, 0.1};
  MB_OK_OR_FAIL(mb_hops_set_barriers(h, user, spread));
  MB_OK_OR_FAIL(mb_hops_percolation(h, perc, lim));
  ck_assert_double_eq(perc[0], 0.3);
  ck_assert_double_eq(perc[1], 0.3);
  ck_assert_double_eq(perc[2], 1.2);
  MB_OK_OR_FAIL(mb_hops_dimensionality(h, 1.0, &dim));
  ck_assert_int_eq(dim, 2);
  MB_OK_OR_FAIL(mb_hops_dimensionality(h, 1.2, &dim));
  ck_assert_int_eq(dim, 3);
  MB_OK_OR_FAIL(mb_hops_dimensionality(h, 0.1, &dim));
  ck_assert_int_eq(dim, 0);
  mb_hops_source src;
  double sp[3];
  MB_OK_OR_FAIL(mb_hops_barriers(h, NULL, sp, &src));
  ck_assert_int_eq(src, MB_HOPS_SOURCE_USER);
  ck_assert_double_eq(sp[2], 0.1);
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

/* ---- end points and prediction --------------------------------------------------------- */

START_TEST(end_points_of_olivine_hops) {
  mb_structure *s = read_data("hops/LiFePO4_olivine.vasp");
  mb_hops *h = find(s, "Li", 5.0);
  for (int k = 0; k < 2; k++) {
    mb_structure *a = NULL, *b = NULL;
    int ion, reps[3], n, na;
    MB_OK_OR_FAIL(mb_hops_end_points(h, k, &a, &b, &ion, reps));
    /* heights >= max(8, 2 L + 0.5): 10.33 x 6.01 x 4.69 -> 1x2x2 for the 3 A hop,
     * 1x2x3 for the 4.69 A one (2 x 4.69 + 0.5 = 9.88 > 9.38) */
    ck_assert_int_eq(reps[0], 1);
    ck_assert_int_eq(reps[1], 2);
    ck_assert_int_eq(reps[2], k == 0 ? 2 : 3);
    MB_OK_OR_FAIL(mb_structure_natoms(a, &n));
    ck_assert_int_eq(n, 28 * reps[0] * reps[1] * reps[2] - 1);
    /* one Li fewer: the destination is empty */
    int *z = malloc(sizeof(int) * n);
    MB_OK_OR_FAIL(mb_structure_numbers(a, z));
    na = 0;
    for (int i = 0; i < n; i++) na += z[i] == 3;
    ck_assert_int_eq(na, 4 * reps[0] * reps[1] * reps[2] - 1);
    ck_assert_int_eq(z[ion], 3);
    free(z);
    /* only the ion moves, by the hop length */
    double d[3], len[2];
    MB_OK_OR_FAIL(mb_hops_distinct(h, NULL, NULL, NULL, len, NULL));
    double *fa = malloc(sizeof(double) * 3 * n), *fb = malloc(sizeof(double) * 3 * n);
    MB_OK_OR_FAIL(mb_structure_positions(a, MB_COORDS_FRACTIONAL, fa));
    MB_OK_OR_FAIL(mb_structure_positions(b, MB_COORDS_FRACTIONAL, fb));
    for (int i = 0; i < n; i++)
      if (i != ion)
        for (int c = 0; c < 3; c++) ck_assert_double_eq(fa[3 * i + c], fb[3 * i + c]);
    free(fa), free(fb);
    /* the displacement of the ion across the two structures (minimum image) */
    mb_structure *both = NULL;
    double lat[9], f2[6];
    int z2[2] = {3, 3};
    MB_OK_OR_FAIL(mb_structure_lattice(a, lat));
    double *pa = malloc(sizeof(double) * 3 * n), *pb = malloc(sizeof(double) * 3 * n);
    MB_OK_OR_FAIL(mb_structure_positions(a, MB_COORDS_FRACTIONAL, pa));
    MB_OK_OR_FAIL(mb_structure_positions(b, MB_COORDS_FRACTIONAL, pb));
    memcpy(f2, pa + 3 * ion, 3 * sizeof(double));
    memcpy(f2 + 3, pb + 3 * ion, 3 * sizeof(double));
    MB_OK_OR_FAIL(mb_structure_create(lat, 2, f2, MB_COORDS_FRACTIONAL, z2, &both));
    MB_OK_OR_FAIL(mb_structure_displacement(both, 0, 1, d));
    ck_assert_double_eq_tol(sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), len[k], 1e-9);
    free(pa), free(pb);
    mb_structure_free(both);
    mb_structure_free(a);
    mb_structure_free(b);
  }
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

START_TEST(predict_with_a_model) {
  char path[1024];
  mb_ensemble *e = NULL;
  MB_OK_OR_FAIL(mb_ensemble_load(mb_test_data("gnn/ensemble/ensemble.json", path, sizeof path), &e));
  mb_structure *s = read_data("hops/LiFePO4_olivine.vasp");
  mb_hops *h = find(s, "Li", 5.0);
  double e1[2], s1[2], e2[2], s2[2];
  mb_hops_source src;
  MB_OK_OR_FAIL(mb_hops_predict(h, e, 1));
  MB_OK_OR_FAIL(mb_hops_barriers(h, e1, s1, &src));
  ck_assert_int_eq(src, MB_HOPS_SOURCE_MODEL);
  MB_OK_OR_FAIL(mb_hops_predict(h, e, 2));
  MB_OK_OR_FAIL(mb_hops_barriers(h, e2, s2, NULL));
  for (int k = 0; k < 2; k++) {
    ck_assert(isfinite(e1[k]) && s1[k] >= 0);
    ck_assert_double_eq(e1[k], e2[k]); /* threads do not change results */
    ck_assert_double_eq(s1[k], s2[k]);
    /* the same as predicting the end points directly */
    mb_structure *a, *b;
    int ion;
    double mean, std;
    MB_OK_OR_FAIL(mb_hops_end_points(h, k, &a, &b, &ion, NULL));
    MB_OK_OR_FAIL(mb_ensemble_predict_band(e, a, b, ion, &mean, &std));
    ck_assert_double_eq(mean, e1[k]);
    ck_assert_double_eq(std, s1[k]);
    mb_structure_free(a);
    mb_structure_free(b);
  }
  /* too small a supercell limit fails before any prediction, barriers kept */
  MB_OK_OR_FAIL(mb_hops_set_option(h, MB_HOPS_MAX_ATOMS, 100));
  MB_OK_OR_FAIL(mb_hops_find(h));
  ck_assert_int_eq(mb_hops_predict(h, e, 1), MB_ERR_RANGE);
  MB_OK_OR_FAIL(mb_hops_barriers(h, NULL, NULL, &src));
  ck_assert_int_eq(src, MB_HOPS_SOURCE_PROXY);
  mb_hops_free(h);
  mb_structure_free(s);
  mb_ensemble_free(e);
}
END_TEST

/* ---- malformed requests ---------------------------------------------------------------- */

static void expect_error(mb_status got, mb_status want, const char *needle) {
  ck_assert_msg(got == want, "status %d, expected %d (%s)", got, want, mb_last_error());
  if (needle)
    ck_assert_msg(strstr(mb_last_error(), needle), "message '%s' lacks '%s'", mb_last_error(),
                  needle);
}

START_TEST(malformed_requests) {
  mb_structure *s = read_data("hops/LiFePO4_olivine.vasp");
  mb_hops *h = NULL;
  expect_error(mb_hops_create(NULL, "Li", &h), MB_ERR_INVALID_ARG, "NULL");
  expect_error(mb_hops_create(s, NULL, &h), MB_ERR_INVALID_ARG, "NULL");
  expect_error(mb_hops_create(s, "Li", NULL), MB_ERR_INVALID_ARG, "NULL");
  expect_error(mb_hops_create(s, "Na", &h), MB_ERR_INVALID_ARG, "no Na atom");
  expect_error(mb_hops_create(s, "Xx", &h), MB_ERR_INVALID_ARG, "Xx");
  ck_assert_ptr_null(h);
  mb_hops_free(NULL);
  MB_OK_OR_FAIL(mb_hops_create(s, "Li", &h));
  int nd;
  expect_error(mb_hops_count(h, &nd, NULL), MB_ERR_INVALID_ARG, "mb_hops_find first");
  expect_error(mb_hops_percolation(h, NULL, NULL), MB_ERR_INVALID_ARG, "mb_hops_find first");
  expect_error(mb_hops_set_option(h, MB_HOPS_MAX_LENGTH, -1), MB_ERR_INVALID_ARG, "max_length");
  expect_error(mb_hops_set_option(h, MB_HOPS_MAX_LENGTH, NAN), MB_ERR_INVALID_ARG, NULL);
  expect_error(mb_hops_set_option(h, MB_HOPS_MAX_ATOMS, 10.5), MB_ERR_INVALID_ARG, "max_atoms");
  expect_error(mb_hops_set_option(h, (mb_hops_option)99, 1), MB_ERR_INVALID_ARG, "unknown option");
  double v;
  MB_OK_OR_FAIL(mb_hops_get_option(h, MB_HOPS_MAX_LENGTH, &v));
  ck_assert_double_eq(v, 5.0);
  MB_OK_OR_FAIL(mb_hops_get_option(h, MB_HOPS_MIN_SEPARATION, &v));
  ck_assert_double_eq(v, 8.0);
  /* no two Li within 2.5 A */
  MB_OK_OR_FAIL(mb_hops_set_option(h, MB_HOPS_MAX_LENGTH, 2.5));
  expect_error(mb_hops_find(h), MB_ERR_RANGE, "no two sites are within the max length 2.5 A");
  expect_error(mb_hops_count(h, &nd, NULL), MB_ERR_INVALID_ARG, "mb_hops_find first");
  MB_OK_OR_FAIL(mb_hops_set_option(h, MB_HOPS_MAX_LENGTH, 5.0));
  MB_OK_OR_FAIL(mb_hops_find(h));
  /* the supercell rule against max atoms: the 3 A hop needs 1x2x2 = 112 atoms */
  mb_structure *a = NULL, *b = NULL;
  int ion;
  MB_OK_OR_FAIL(mb_hops_set_option(h, MB_HOPS_MAX_ATOMS, 100));
  MB_OK_OR_FAIL(mb_hops_find(h));
  expect_error(mb_hops_end_points(h, 0, &a, &b, &ion, NULL), MB_ERR_RANGE,
               "1x2x2 supercell of 112 atoms, more than the max atoms 100");
  expect_error(mb_hops_end_points(h, 2, &a, &b, &ion, NULL), MB_ERR_RANGE, "outside 0..1");
  expect_error(mb_hops_end_points(h, 0, NULL, &b, &ion, NULL), MB_ERR_INVALID_ARG, "NULL");
  ck_assert_ptr_null(a);
  double bad[2] = {0.1, NAN}, ok[2] = {0.1, 0.2}, neg[2] = {0, -1};
  expect_error(mb_hops_set_barriers(h, bad, NULL), MB_ERR_INVALID_ARG, "distinct hop 1");
  expect_error(mb_hops_set_barriers(h, ok, neg), MB_ERR_INVALID_ARG, "spread");
  expect_error(mb_hops_set_barriers(h, NULL, NULL), MB_ERR_INVALID_ARG, "NULL");
  expect_error(mb_hops_predict(h, NULL, 1), MB_ERR_INVALID_ARG, NULL);
  expect_error(mb_hops_dimensionality(h, 1.0, NULL), MB_ERR_INVALID_ARG, NULL);
  mb_hops_free(h);
  mb_structure_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hops");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, simple_cubic);
  tcase_add_test(tc, fcc_conventional_and_primitive);
  tcase_add_test(tc, grouping_equals_brute_force);
  tcase_add_test(tc, olivine_conducts_along_b_first);
  tcase_add_test(tc, layered_is_2d_below_interlayer_barrier);
  tcase_add_test(tc, end_points_of_olivine_hops);
  tcase_add_test(tc, predict_with_a_model);
  tcase_add_test(tc, malformed_requests);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
