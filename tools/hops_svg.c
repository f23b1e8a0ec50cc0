/* The migration network as a picture (migbar hops --svg): the unit cell projected along
 * its third lattice vector onto the plane of the first two, the framework atoms as
 * small grey dots, the sites of the mobile ion as dark discs, and every undirected hop
 * of the cell as a line from its start site to its end (which may lie in a
 * neighbouring cell), coloured by its barrier from blue (lowest) to red (highest);
 * blocked hops dashed grey; the hops of the first network that percolates (barrier <=
 * the 1D percolation barrier) drawn thick. Public API only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hops_svg.h"

typedef struct frame {
  double e1[3], e2[3];  /* orthonormal basis of the plane of a and b */
  double lo[2], scale;  /* bounding box corner and A -> pixels */
  double x0, y0, h;     /* panel origin and height (pixels) */
} frame;

static void project(const frame *fr, const double r[3], double p[2]) {
  p[0] = r[0] * fr->e1[0] + r[1] * fr->e1[1] + r[2] * fr->e1[2];
  p[1] = r[0] * fr->e2[0] + r[1] * fr->e2[1] + r[2] * fr->e2[2];
}

/* Pixel coordinates (y up in the picture). */
static void to_px(const frame *fr, const double r[3], double *x, double *y) {
  double p[2];
  project(fr, r, p);
  *x = fr->x0 + (p[0] - fr->lo[0]) * fr->scale;
  *y = fr->y0 + fr->h - (p[1] - fr->lo[1]) * fr->scale;
}

/* Blue -> red through light grey-violet, t in [0, 1]. */
static void colour(double t, char out[8]) {
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  int r = (int)lround(44 + t * (215 - 44)), g = (int)lround(123 + t * (25 - 123)),
      b = (int)lround(182 + t * (28 - 182));
  snprintf(out, 8, "#%02x%02x%02x", r, g, b);
}

typedef struct net {
  int natoms, nsites, nhops, nd;
  double lat[9], *xyz;
  int *sites, *from, *to, *image, *distinct, *blocked;
  double *em, perc[3];
} net;

static void net_free(net *n) {
  free(n->xyz), free(n->sites), free(n->from), free(n->to), free(n->image);
  free(n->distinct), free(n->blocked), free(n->em);
}

static mb_status net_read(const mb_structure *s, const mb_hops *h, net *n) {
  mb_status st;
  if ((st = mb_structure_natoms(s, &n->natoms)) || (st = mb_structure_lattice(s, n->lat)) ||
      (st = mb_hops_sites(h, &n->nsites, NULL)) || (st = mb_hops_count(h, &n->nd, &n->nhops)))
    return st;
  n->xyz = malloc(sizeof(double) * 3 * (size_t)n->natoms);
  n->sites = malloc(sizeof(int) * (size_t)n->nsites);
  n->from = malloc(sizeof(int) * (size_t)n->nhops);
  n->to = malloc(sizeof(int) * (size_t)n->nhops);
  n->image = malloc(sizeof(int) * 3 * (size_t)n->nhops);
  n->distinct = malloc(sizeof(int) * (size_t)n->nhops);
  n->blocked = malloc(sizeof(int) * (size_t)n->nd);
  n->em = malloc(sizeof(double) * (size_t)n->nd);
  if (!n->xyz || !n->sites || !n->from || !n->to || !n->image || !n->distinct || !n->blocked ||
      !n->em)
    return MB_ERR_NOMEM;
  if ((st = mb_structure_positions(s, MB_COORDS_CARTESIAN, n->xyz)) ||
      (st = mb_hops_sites(h, &n->nsites, n->sites)) ||
      (st = mb_hops_all(h, n->from, n->to, n->image, n->distinct)) ||
      (st = mb_hops_geometry(h, NULL, NULL, NULL, n->blocked)) ||
      (st = mb_hops_barriers(h, n->em, NULL, NULL)) ||
      (st = mb_hops_percolation(h, n->perc, NULL)))
    return st;
  return MB_OK;
}

/* End of hop k in Cartesian coordinates: atom to[k] shifted by image[k]. */
static void hop_end(const net *n, int k, double r[3]) {
  for (int c = 0; c < 3; c++) {
    r[c] = n->xyz[3 * n->to[k] + c];
    for (int a = 0; a < 3; a++) r[c] += n->image[3 * k + a] * n->lat[3 * a + c];
  }
}

static void set_frame(const net *n, double x0, double y0, double w, double h, frame *fr) {
  const double *a = &n->lat[0], *b = &n->lat[3];
  double la = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
  for (int c = 0; c < 3; c++) fr->e1[c] = a[c] / la;
  double d = b[0] * fr->e1[0] + b[1] * fr->e1[1] + b[2] * fr->e1[2], lb = 0;
  for (int c = 0; c < 3; c++) lb += (b[c] - d * fr->e1[c]) * (b[c] - d * fr->e1[c]);
  lb = sqrt(lb);
  for (int c = 0; c < 3; c++) fr->e2[c] = (b[c] - d * fr->e1[c]) / lb;
  /* bounding box: the cell's corners in the plane (hops are clipped to the cell) */
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, p[2], r[3];
  for (int k = 0; k < 4; k++) { /* 0, a, b, a+b */
    for (int c = 0; c < 3; c++) r[c] = (k & 1 ? a[c] : 0) + (k & 2 ? b[c] : 0);
    project(fr, r, p);
    for (int c = 0; c < 2; c++) lo[c] = fmin(lo[c], p[c]), hi[c] = fmax(hi[c], p[c]);
  }
  fr->scale = fmin(w / (hi[0] - lo[0] + 1e-9), h / (hi[1] - lo[1] + 1e-9));
  fr->lo[0] = lo[0], fr->lo[1] = lo[1];
  fr->x0 = x0, fr->y0 = y0, fr->h = (hi[1] - lo[1]) * fr->scale;
}

int hops_svg_network(FILE *f, const mb_structure *s, const mb_hops *h, double x0, double y0,
                     double w, double hgt) {
  net n = {0};
  mb_status st = net_read(s, h, &n);
  if (st) {
    net_free(&n);
    return (int)st;
  }
  frame fr;
  set_frame(&n, x0, y0 + 20, w, hgt - 60, &fr);
  double emin = INFINITY, emax = -INFINITY;
  for (int k = 0; k < n.nd; k++) emin = fmin(emin, n.em[k]), emax = fmax(emax, n.em[k]);
  double er = emax > emin ? emax - emin : 1;
  fprintf(f, "<text x=\"%g\" y=\"%g\">network projected along c onto the a-b plane "
          "(thick: hops of the first percolating network)</text>\n", x0, y0 + 12);
  /* the cell */
  const double *a = &n.lat[0], *b = &n.lat[3];
  double c4[4][3] = {{0, 0, 0}, {a[0], a[1], a[2]}, {a[0] + b[0], a[1] + b[1], a[2] + b[2]},
                     {b[0], b[1], b[2]}};
  char cell[256] = "";
  for (int i = 0; i < 4; i++) {
    double x, y;
    to_px(&fr, c4[i], &x, &y);
    size_t used = strlen(cell);
    snprintf(cell + used, sizeof cell - used, "%.1f,%.1f ", x, y);
  }
  fprintf(f, "<clipPath id=\"cell\"><polygon points=\"%s\"/></clipPath>\n", cell);
  fprintf(f, "<polygon fill=\"none\" stroke=\"#888\" points=\"%s\"/>\n", cell);
  /* the hops, each also translated back by its image so that the part of it that
   * crosses into the cell from a neighbouring one shows: the picture is periodic */
  fprintf(f, "<g clip-path=\"url(#cell)\">\n");
  for (int k = 0; k < n.nhops; k++) {
    int d = n.distinct[k];
    double start[3], end[3], shift[3] = {0, 0, 0};
    hop_end(&n, k, end);
    for (int c = 0; c < 3; c++) {
      start[c] = n.xyz[3 * n.from[k] + c];
      for (int a2 = 0; a2 < 3; a2++) shift[c] += n.image[3 * k + a2] * n.lat[3 * a2 + c];
    }
    char col[8];
    colour((n.em[d] - emin) / er, col);
    int thick = isfinite(n.perc[0]) && n.em[d] <= n.perc[0];
    for (int copy = 0; copy < 2; copy++) {
      double p1[3], p2[3], x1, y1, x2, y2;
      for (int c = 0; c < 3; c++) {
        p1[c] = start[c] - copy * shift[c];
        p2[c] = end[c] - copy * shift[c];
      }
      to_px(&fr, p1, &x1, &y1);
      to_px(&fr, p2, &x2, &y2);
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
              "stroke-width=\"%d\"%s><title>hop class %d: %.3f eV</title></line>\n",
              x1, y1, x2, y2, n.blocked[d] ? "#999" : col, thick ? 4 : 1,
              n.blocked[d] ? " stroke-dasharray=\"4 3\"" : "", d, n.em[d]);
    }
  }
  fprintf(f, "</g>\n");
  /* the atoms: framework first, then the sites on top */
  unsigned char *is_site = calloc((size_t)n.natoms, 1);
  if (!is_site) {
    net_free(&n);
    return (int)MB_ERR_NOMEM;
  }
  for (int i = 0; i < n.nsites; i++) is_site[n.sites[i]] = 1;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n.natoms; i++) {
      if (is_site[i] != pass) continue;
      double x, y;
      to_px(&fr, &n.xyz[3 * i], &x, &y);
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"/>\n", x, y,
              pass ? 5 : 2, pass ? "#222" : "#bbb");
    }
  free(is_site);
  /* colour scale */
  double ly = y0 + hgt - 22;
  for (int i = 0; i < 20; i++) {
    char col[8];
    colour(i / 19.0, col);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"10\" fill=\"%s\"/>\n",
            x0 + 60 + 8 * i, ly, col);
  }
  fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.2f eV</text>\n", x0 + 56, ly + 9,
          emin);
  fprintf(f, "<text x=\"%g\" y=\"%g\">%.2f eV (dashed grey: blocked)</text>\n", x0 + 224,
          ly + 9, emax);
  net_free(&n);
  return 0;
}
