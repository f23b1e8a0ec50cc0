/* Periodic neighbour lists (cutoff and k nearest) by cell lists, for any
 * triclinic cell.
 *
 * Atoms are wrapped into the cell and binned on an n0 x n1 x n2 grid in
 * fractional space, each bin about cutoff/2 thick or more along every axis (the
 * thickness of the cell along axis k is its perpendicular height h_k). A
 * neighbour within the cutoff differs from the atom by at most cutoff/h_k in
 * fractional coordinate k, so it lies in a bin (of the cell or of a periodic
 * image) offset by at most m_k = floor(cutoff n_k / h_k) + 1 bins along axis k.
 * Of those offsets only the ones whose bins can come within the cutoff at all are
 * kept (bin_gap2); they form lines along axis 2, and the atoms of consecutive
 * bins along axis 2 are consecutive in memory, so each line is searched as one
 * or a few runs of atoms (segments). This works for cells smaller than the
 * cutoff (n_k = 1, many image layers) and for skewed cells, and takes O(N) time
 * for a fixed density.
 *
 * Atoms are taken in order; the segments of a bin are reused while consecutive
 * atoms share it. Each atom's row is collected, sorted (bucket pass, then
 * insertion sort) and appended, so the list is built in its final order in one
 * pass. Nothing here is static and mutable: any number of threads may build
 * lists of one structure at once.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "structure.h"

/* Refuse lists that would not fit in memory on any ordinary machine. */
#define NL_MAX_PAIRS 1e9
/* Bytes per pair: i, j, shift, distance, vector. */
#define NL_PAIR_BYTES (5 * sizeof(int) + 4 * sizeof(double))
/* Refuse searches over more bin offsets than this (a cutoff absurdly larger
 * than the cell). */
#define NL_MAX_OFFSETS 1e8
/* Atoms further than this many cells from the origin are refused (shifts are ints). */
#define NL_MAX_CELL 1e8
/* Buckets per row entry for sorting. */
#define NL_BUCKETS 4
/* kNN: atoms within this distance of the k-th neighbour are tied with it (A);
 * the largest k accepted. */
#define NL_TIE 1e-8
#define NL_MAX_K 100000

struct mb_neighbors {
  int natoms;
  size_t npairs, cap;        /* pairs, and room for pairs */
  double *vector, *distance; /* 3*cap, cap */
  int *i, *j, *shift;        /* cap, cap, 3*cap */
  size_t *first;             /* natoms + 1 */
};

/* The binned atoms of one structure for one search radius. */
typedef struct grid {
  int natoms;
  int n[3];              /* bins per axis */
  int m[3];              /* largest bin offset searched per axis */
  double rc, rc2;        /* radius; largest d^2 whose computed sqrt is <= rc */
  double lattice[9];
  int *bin3;             /* 3*natoms: bin of each atom along each axis */
  int *bin;              /* natoms: bin of each atom */
  int *cell;             /* 3*natoms: lattice translation removed to wrap each atom */
  double *wself;         /* 3*natoms: wrapped Cartesian position of each atom */
  int *start;            /* nbins+1: first entry of each bin in wpos/watom */
  double *wpos;          /* 3*natoms: wrapped Cartesian positions, grouped by bin */
  int *watom;            /* natoms: atom of each entry, grouped by bin */
  int *wcell;            /* 3*natoms: cell of each entry, grouped by bin */
  int nline;
  int *line;             /* 4*nline: offsets (d0, d1, lo..hi) of the bins to search */
  int *wrap[3], *img[3]; /* per axis, at b + d + m: wrapped bin index and image */
  double *tv[3];         /* per axis, at b + d + m: image translation (3 per entry) */
} grid;

/* Scratch space: the segments near one bin, and one atom's row. */
typedef struct work {
  int nseg, segcap;      /* segments */
  int *sa, *sT;          /* atoms sa[2s] .. sa[2s+1]-1; image translation (3 each) */
  double *st;            /* Cartesian image translation (3 per segment) */
  int n, cap;            /* row entries */
  double *d, *v, *sd;    /* distance; vector (3 per entry); sorted distances */
  int *j, *s;            /* neighbour; shift (3 per entry) */
  int *key, *perm, *cnt; /* sorting: bucket, order, bucket counts (NL_BUCKETS*cap+1) */
} work;

/* ---- bins ---------------------------------------------------------------- */

/* Smallest |(d + t) E|^2 over t in [-1, 1]^3 with G = E E^T: the squared gap
 * between two bins (parallelepipeds spanned by the rows of E) d bins apart. The
 * minimum of a convex quadratic over a box is the unconstrained minimum over the
 * affine hull of one of its 27 faces (each t_k free, -1 or +1) that lies in the
 * box; every candidate lies in the box, so the smallest is the minimum. */
static double bin_gap2(const double G[9], const int d[3]) {
  double best = HUGE_VAL;
  for (int code = 0; code < 27; code++) {
    int state[3] = {code % 3, code / 3 % 3, code / 9}; /* 0 free, 1 at -1, 2 at +1 */
    double y[3] = {0, 0, 0};
    int fr[3], nf = 0;
    for (int k = 0; k < 3; k++) {
      if (state[k] == 0) fr[nf++] = k;
      else y[k] = d[k] + (state[k] == 1 ? -1.0 : 1.0);
    }
    /* Free components solve G_ff y_f = -G_fc y_c (fixed ones are in y already). */
    double b[2] = {0, 0};
    for (int a = 0; a < nf && nf < 3; a++)
      for (int c = 0; c < 3; c++)
        if (state[c]) b[a] -= G[3 * fr[a] + c] * y[c];
    if (nf == 1) {
      y[fr[0]] = b[0] / G[4 * fr[0]];
    } else if (nf == 2) {
      double a00 = G[4 * fr[0]], a11 = G[4 * fr[1]], a01 = G[3 * fr[0] + fr[1]];
      double det = a00 * a11 - a01 * a01;
      if (!(det > 0)) continue;
      y[fr[0]] = (b[0] * a11 - b[1] * a01) / det;
      y[fr[1]] = (a00 * b[1] - a01 * b[0]) / det;
    } /* nf == 3: y = 0 */
    int inside = 1;
    for (int a = 0; a < nf; a++)
      if (fabs(y[fr[a]] - d[fr[a]]) > 1.0) inside = 0;
    if (!inside) continue;
    double q = 0;
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++) q += y[r] * G[3 * r + c] * y[c];
    if (q < best) best = q;
  }
  return best < 0 ? 0 : best;
}

static void grid_free(grid *g) {
  free(g->bin3);
  free(g->bin);
  free(g->cell);
  free(g->wself);
  free(g->start);
  free(g->wpos);
  free(g->watom);
  free(g->wcell);
  free(g->line);
  for (int k = 0; k < 3; k++) {
    free(g->wrap[k]);
    free(g->img[k]);
    free(g->tv[k]);
  }
  memset(g, 0, sizeof *g);
}

/* Choose bins, bin the atoms and list the bin offsets for radius rc. nrows is
 * the number of atoms whose rows will be built (for the size check). */
static mb_status grid_build(const mb_structure *s, double rc, int nrows, grid *g) {
  memset(g, 0, sizeof *g);
  const int N = s->natoms;
  const double *L = s->lattice;
  double h[3];
  mb__cell_heights(L, h);
  double vol = fabs(mb__det3(L));
  double est = (double)nrows * (N / vol) * (4.0 / 3.0) * M_PI * rc * rc * rc;
  if (!(est <= NL_MAX_PAIRS))
    return mb__error(MB_ERR_RANGE,
                     "a neighbour list of radius %g A in this structure (%d atoms, %g A^3) "
                     "would hold about %.3g pairs, more than %.0e",
                     rc, N, vol, est, NL_MAX_PAIRS);
#if defined(__linux__) && defined(_SC_PHYS_PAGES)
  double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  if (ram > 0 && est * NL_PAIR_BYTES > ram)
    return mb__error(MB_ERR_NOMEM,
                     "a neighbour list of radius %g A in this structure would hold about "
                     "%.3g pairs, %.3g GB, more than this machine's memory (%.3g GB)",
                     rc, est, est * NL_PAIR_BYTES / 1e9, ram / 1e9);
#endif

  /* Bins at least rc/2 thick (the factor keeps m_k = 2 when h_k/rc is a
   * multiple of 1/2); at most about 2 bins per atom so memory stays O(N). */
  double nb[3], maxbins = fmin(2.0 * N + 8, INT_MAX / 4);
  for (int k = 0; k < 3; k++) nb[k] = fmax(1.0, floor(2.0 * h[k] / rc * (1 - 1e-9)));
  while (nb[0] * nb[1] * nb[2] > maxbins) {
    double f = cbrt(maxbins / (nb[0] * nb[1] * nb[2]));
    for (int k = 0; k < 3; k++) nb[k] = fmax(1.0, floor(nb[k] * f));
  }
  double noffs = 1;
  for (int k = 0; k < 3; k++) {
    g->n[k] = (int)nb[k];
    double mk = floor(rc * nb[k] / h[k] * (1 + 1e-9)) + 1;
    noffs *= 2 * mk + 1;
    if (noffs > NL_MAX_OFFSETS)
      return mb__error(MB_ERR_RANGE,
                       "radius %g A is too large for this cell (heights %g, %g, %g A): "
                       "more than %.0e image cells to search",
                       rc, h[0], h[1], h[2], NL_MAX_OFFSETS);
    g->m[k] = (int)mk;
  }
  g->natoms = N;
  g->rc = rc;
  /* sqrt is correctly rounded, hence monotone: 0 < sqrt(d2) <= rc iff 0 < d2 <= rc2. */
  g->rc2 = rc * rc;
  while (sqrt(g->rc2) > rc) g->rc2 = nextafter(g->rc2, 0.0);
  while (sqrt(nextafter(g->rc2, HUGE_VAL)) <= rc) g->rc2 = nextafter(g->rc2, HUGE_VAL);
  memcpy(g->lattice, L, sizeof g->lattice);
  int nbins = g->n[0] * g->n[1] * g->n[2];

  mb_status st = MB_OK;
  g->bin3 = mb__malloc((size_t)N * 3, sizeof(int));
  g->cell = mb__malloc((size_t)N * 3, sizeof(int));
  g->wself = mb__malloc((size_t)N * 3, sizeof(double));
  g->wpos = mb__malloc((size_t)N * 3, sizeof(double));
  g->watom = mb__malloc((size_t)N, sizeof(int));
  g->wcell = mb__malloc((size_t)N * 3, sizeof(int));
  g->start = mb__calloc((size_t)nbins + 1, sizeof(int));
  int *binof = g->bin = mb__malloc((size_t)N, sizeof(int)), *cursor = NULL;
  int ok = g->bin3 && g->cell && g->wself && g->wpos && g->watom && g->wcell && g->start &&
           binof;
  for (int k = 0; k < 3 && ok; k++) {
    size_t len = (size_t)g->n[k] + 2 * (size_t)g->m[k];
    g->wrap[k] = mb__malloc(len, sizeof(int));
    g->img[k] = mb__malloc(len, sizeof(int));
    g->tv[k] = mb__malloc(len, 3 * sizeof(double));
    ok = g->wrap[k] && g->img[k] && g->tv[k];
    for (size_t x = 0; ok && x < len; x++) {
      int t = (int)x - g->m[k];
      int q = t >= 0 ? t / g->n[k] : -((-t + g->n[k] - 1) / g->n[k]);
      g->img[k][x] = q;
      g->wrap[k][x] = t - q * g->n[k];
      for (int c = 0; c < 3; c++) g->tv[k][3 * x + c] = q * L[3 * k + c];
    }
  }
  if (!ok) {
    st = MB_ERR_NOMEM;
    goto done;
  }

  /* Wrap and bin the atoms; positions are r = (f - cell) L with f - cell in [0, 1). */
  for (int i = 0; i < N; i++) {
    double fw[3];
    for (int k = 0; k < 3; k++) {
      double f = s->frac[3 * i + k], c = floor(f);
      if (fabs(c) > NL_MAX_CELL) {
        st = mb__error(MB_ERR_RANGE, "atom %d lies %g cells from the origin; wrap the structure",
                       i, c);
        goto done;
      }
      fw[k] = f - c;
      if (fw[k] >= 1.0) { /* f was a tiny negative number */
        fw[k] = 0.0;
        c += 1.0;
      }
      g->cell[3 * i + k] = (int)c;
      int b = (int)(fw[k] * g->n[k]);
      g->bin3[3 * i + k] = b < g->n[k] ? b : g->n[k] - 1;
    }
    mb__vecmat3(fw, L, g->wself + 3 * i);
    const int *b = g->bin3 + 3 * i;
    binof[i] = (b[0] * g->n[1] + b[1]) * g->n[2] + b[2];
    g->start[binof[i] + 1]++;
  }
  for (int b = 0; b < nbins; b++) g->start[b + 1] += g->start[b];
  cursor = mb__malloc((size_t)nbins, sizeof(int));
  if (!cursor) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  memcpy(cursor, g->start, (size_t)nbins * sizeof(int));
  for (int i = 0; i < N; i++) { /* counting sort by bin */
    int a = cursor[binof[i]]++;
    g->watom[a] = i;
    memcpy(g->wpos + 3 * a, g->wself + 3 * i, 3 * sizeof(double));
    memcpy(g->wcell + 3 * a, g->cell + 3 * i, 3 * sizeof(int));
  }

  /* Bin offsets whose bins come within rc: bins are spanned by E_k = L_k / n_k. */
  double E[9], G[9];
  for (int k = 0; k < 3; k++)
    for (int c = 0; c < 3; c++) E[3 * k + c] = L[3 * k + c] / g->n[k];
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) G[3 * a + b] = mb__dot3(E + 3 * a, E + 3 * b);
  /* The gap is convex in d, so the kept d2 of one (d0, d1) form one interval. */
  double keep2 = rc * rc * (1 + 1e-9);
  int d[3], cap = 0;
  for (d[0] = -g->m[0]; d[0] <= g->m[0]; d[0]++)
    for (d[1] = -g->m[1]; d[1] <= g->m[1]; d[1]++) {
      int lo = INT_MAX, hi = INT_MIN;
      for (d[2] = -g->m[2]; d[2] <= g->m[2]; d[2]++)
        if (bin_gap2(G, d) <= keep2) {
          if (d[2] < lo) lo = d[2];
          hi = d[2];
        }
      if (lo > hi) continue;
      if (g->nline == cap) {
        int *p = mb__realloc(g->line, (size_t)(cap = cap ? 2 * cap : 64), 4 * sizeof(int));
        if (!p) {
          st = MB_ERR_NOMEM;
          goto done;
        }
        g->line = p;
      }
      int *ln = g->line + 4 * g->nline++;
      ln[0] = d[0];
      ln[1] = d[1];
      ln[2] = lo;
      ln[3] = hi;
    }

done:
  free(cursor);
  if (st) grid_free(g);
  return st;
}

/* ---- candidates and rows ------------------------------------------------------ */

static void work_free(work *w) {
  free(w->sa);
  free(w->sT);
  free(w->st);
  free(w->d);
  free(w->v);
  free(w->sd);
  free(w->j);
  free(w->s);
  free(w->key);
  free(w->perm);
  free(w->cnt);
  memset(w, 0, sizeof *w);
}

/* Grow *p to count elements of size bytes; 0 when out of memory. */
static int grow(void *p, size_t count, size_t size) {
  void *q = mb__realloc(*(void **)p, count, size);
  if (!q) return 0;
  *(void **)p = q;
  return 1;
}

/* Make room for one more segment. */
static mb_status work_add_segment(work *w) {
  if (w->nseg < w->segcap) return MB_OK;
  if (w->segcap > INT_MAX / 4) return mb__error(MB_ERR_NOMEM, "too many image cells to search");
  size_t c = w->segcap ? 2 * (size_t)w->segcap : 256;
  if (!grow(&w->sa, c, 2 * sizeof(int)) || !grow(&w->sT, c, 3 * sizeof(int)) ||
      !grow(&w->st, c, 3 * sizeof(double)))
    return MB_ERR_NOMEM;
  w->segcap = (int)c;
  return MB_OK;
}

/* Make room for rows of up to n entries. */
static mb_status work_reserve_row(work *w, size_t n) {
  if (n > INT_MAX / (4 * NL_BUCKETS))
    return mb__error(MB_ERR_NOMEM, "more than %d atoms to search around one atom",
                     INT_MAX / (4 * NL_BUCKETS));
  if ((int)n <= w->cap) return MB_OK;
  size_t c = n + n / 2 + 64;
  if (!grow(&w->d, c, sizeof(double)) || !grow(&w->v, 3 * c, sizeof(double)) ||
      !grow(&w->sd, c, sizeof(double)) || !grow(&w->j, c, sizeof(int)) ||
      !grow(&w->s, 3 * c, sizeof(int)) ||
      !grow(&w->key, c, sizeof(int)) || !grow(&w->perm, c, sizeof(int)) ||
      !grow(&w->cnt, NL_BUCKETS * c + 1, sizeof(int)))
    return MB_ERR_NOMEM;
  w->cap = (int)c;
  return MB_OK;
}

/* The segments of home bin `bin`: runs of atoms in consecutive bins along axis 2,
 * of one periodic image, that the bin's lines of offsets reach. */
static mb_status gather(const grid *g, int bin, work *w) {
  const int n1 = g->n[1], n2 = g->n[2];
  const int b0 = bin / (n1 * n2), b1 = bin / n2 % n1, b2 = bin % n2;
  size_t total = 0;
  w->nseg = 0;
  for (int l = 0; l < g->nline; l++) {
    const int *ln = g->line + 4 * l;
    int x0 = b0 + ln[0] + g->m[0], x1 = b1 + ln[1] + g->m[1];
    int base = (g->wrap[0][x0] * n1 + g->wrap[1][x1]) * n2;
    const double *t0 = g->tv[0] + 3 * x0, *t1 = g->tv[1] + 3 * x1;
    for (int x = b2 + ln[2] + g->m[2], xe = b2 + ln[3] + g->m[2]; x <= xe;) {
      int wz = g->wrap[2][x], len = xe - x + 1;
      if (len > n2 - wz) len = n2 - wz;
      int a0 = g->start[base + wz], a1 = g->start[base + wz + len];
      if (a1 > a0) {
        mb_status st = work_add_segment(w);
        if (st) return st;
        int s = w->nseg++;
        const double *t2 = g->tv[2] + 3 * x;
        w->sa[2 * s] = a0;
        w->sa[2 * s + 1] = a1;
        w->sT[3 * s] = g->img[0][x0];
        w->sT[3 * s + 1] = g->img[1][x1];
        w->sT[3 * s + 2] = g->img[2][x];
        for (int c = 0; c < 3; c++) w->st[3 * s + c] = t0[c] + t1[c] + t2[c];
        total += (size_t)(a1 - a0);
      }
      x += len;
    }
  }
  return work_reserve_row(w, total);
}

/* Find the atoms within the radius of atom i (of the gathered bin): their
 * entries in wpos into w->j, their segments into w->key and their squared
 * distances into w->d; returns how many. The accept test is too unpredictable to
 * branch on, so every candidate is stored and the count advances only for those
 * kept. */
static int row_scan(const grid *g, work *w, int i) {
  const double *wi = g->wself + 3 * i, *P = g->wpos;
  const double lim = g->rc2;
  double *rd = w->d;
  int *rj = w->j, *rseg = w->key, n = 0;
  for (int s = 0; s < w->nseg; s++) {
    const double b0 = w->st[3 * s] - wi[0], b1 = w->st[3 * s + 1] - wi[1],
                 b2 = w->st[3 * s + 2] - wi[2];
    for (int a = w->sa[2 * s], end = w->sa[2 * s + 1]; a < end; a++) {
      double v0 = P[3 * a] + b0, v1 = P[3 * a + 1] + b1, v2 = P[3 * a + 2] + b2;
      double d2 = v0 * v0 + v1 * v1 + v2 * v2;
      rd[n] = d2;
      rj[n] = a;
      rseg[n] = s;
      n += (d2 <= lim) & (d2 > 0.0);
    }
  }
  return n;
}

/* Order of entries a, b: distance, then neighbour, then shift. */
static int row_less(const work *w, int a, int b) {
  if (w->d[a] != w->d[b]) return w->d[a] < w->d[b];
  if (w->j[a] != w->j[b]) return w->j[a] < w->j[b];
  for (int k = 0; k < 3; k++)
    if (w->s[3 * a + k] != w->s[3 * b + k]) return w->s[3 * a + k] < w->s[3 * b + k];
  return 0;
}

/* Sort a row of distances in (0, rc] into w->perm. The number of neighbours
 * within d grows as d^3, so buckets of equal width in (d/rc)^3 hold few entries
 * each; the bucket pass (monotone in d) leaves only the order within buckets,
 * which insertion sort then fixes in about linear time. */
static void row_sort(work *w, double rc) {
  const int n = w->n, nb = NL_BUCKETS * n;
  const double scale = nb / (rc * rc * rc);
  int *key = w->key, *cnt = w->cnt, *perm = w->perm;
  double *sd = w->sd; /* distances in the order of perm */
  memset(cnt, 0, ((size_t)nb + 1) * sizeof(int));
  for (int e = 0; e < n; e++) {
    double d = w->d[e];
    int b = (int)(d * d * d * scale);
    key[e] = b < nb ? (b > 0 ? b : 0) : nb - 1;
    cnt[key[e] + 1]++;
  }
  for (int b = 0; b < nb; b++) cnt[b + 1] += cnt[b];
  for (int e = 0; e < n; e++) {
    int p = cnt[key[e]]++;
    perm[p] = e;
    sd[p] = w->d[e];
  }
  for (int a = 1; a < n; a++) {
    const double x = sd[a];
    const int xe = perm[a];
    int b = a;
    while (b > 0 && (sd[b - 1] > x || (sd[b - 1] == x && row_less(w, xe, perm[b - 1])))) {
      sd[b] = sd[b - 1];
      perm[b] = perm[b - 1];
      b--;
    }
    sd[b] = x;
    perm[b] = xe;
  }
}

/* The neighbours of atom i (of the gathered bin), sorted into w->perm. */
static void row_collect(const grid *g, work *w, int i) {
  const double *wi = g->wself + 3 * i, *P = g->wpos;
  const int *ci = g->cell + 3 * i;
  int n = row_scan(g, w, i);
  /* Vectors (the same sums as in row_scan) and shifts, so that
   * vector = r_j + S L - r_i with the unwrapped positions. */
  for (int e = 0; e < n; e++) {
    int a = w->j[e], s = w->key[e], j = g->watom[a];
    const int *cj = g->wcell + 3 * a, *T = w->sT + 3 * s;
    const double *st = w->st + 3 * s;
    double *v = w->v + 3 * e;
    for (int k = 0; k < 3; k++) v[k] = P[3 * a + k] + (st[k] - wi[k]);
    w->d[e] = sqrt(w->d[e]);
    w->j[e] = j;
    for (int k = 0; k < 3; k++) w->s[3 * e + k] = T[k] + ci[k] - cj[k];
  }
  w->n = n;
  if (n > 1) row_sort(w, g->rc);
  else if (n == 1) w->perm[0] = 0;
}

/* ---- the list -------------------------------------------------------------- */

/* The pair arrays are written once, right after they are allocated. On Linux,
 * ask for transparent huge pages for a large block: filling 45 MB of fresh 4 KiB
 * pages took 35 ms on the benchmark machine, against 6 ms with huge pages. Only
 * advice: it changes no result and is ignored where unsupported. */
static void advise_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  long page = sysconf(_SC_PAGESIZE);
  if (bytes < ((size_t)4 << 20) || page <= 0) return; /* holds a whole 2 MiB page */
  uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t e = ((uintptr_t)p + bytes) & ~((uintptr_t)page - 1);
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/* Give the list room for cap pairs (>= npairs), keeping the pairs it holds.
 * (glibc grows and shrinks large blocks by remapping pages, without copying.) */
static mb_status nl_realloc(mb_neighbors *nl, size_t cap) {
  if (cap == 0) cap = 1;
  if (!grow(&nl->vector, cap, 3 * sizeof(double)) || !grow(&nl->distance, cap, sizeof(double)) ||
      !grow(&nl->i, cap, sizeof(int)) || !grow(&nl->j, cap, sizeof(int)) ||
      !grow(&nl->shift, cap, 3 * sizeof(int)))
    return MB_ERR_NOMEM;
  if (cap > nl->cap) {
    advise_huge_pages(nl->vector, cap * 3 * sizeof(double));
    advise_huge_pages(nl->distance, cap * sizeof(double));
    advise_huge_pages(nl->i, cap * sizeof(int));
    advise_huge_pages(nl->j, cap * sizeof(int));
    advise_huge_pages(nl->shift, cap * 3 * sizeof(int));
  }
  nl->cap = cap;
  return MB_OK;
}

/* A list for natoms atoms with room for cap pairs (first[] all zero). */
static mb_neighbors *nl_new(int natoms, size_t cap) {
  mb_neighbors *nl = mb__calloc(1, sizeof *nl);
  if (!nl) return NULL;
  nl->natoms = natoms;
  nl->first = mb__calloc((size_t)natoms + 1, sizeof(size_t));
  if (!nl->first || nl_realloc(nl, cap)) {
    mb_neighbors_free(nl);
    return NULL;
  }
  return nl;
}

/* Write the first take sorted entries of atom i's row at pair p. */
static void nl_put(mb_neighbors *nl, size_t p, int i, const work *w, int take) {
  for (int t = 0; t < take; t++, p++) {
    int e = w->perm[t];
    nl->i[p] = i;
    nl->j[p] = w->j[e];
    memcpy(nl->shift + 3 * p, w->s + 3 * e, 3 * sizeof(int));
    nl->distance[p] = w->d[e];
    memcpy(nl->vector + 3 * p, w->v + 3 * e, 3 * sizeof(double));
  }
}

/* Append as nl_put, growing the arrays as needed. */
static mb_status nl_append(mb_neighbors *nl, int i, const work *w, int take) {
  size_t need = nl->npairs + (size_t)take;
  if (need > nl->cap) {
    if ((double)need > NL_MAX_PAIRS)
      return mb__error(MB_ERR_RANGE, "the list would hold more than %.0e pairs", NL_MAX_PAIRS);
    size_t cap = nl->cap + nl->cap / 2;
    mb_status st = nl_realloc(nl, cap < need ? need : cap);
    if (st) return st;
  }
  nl_put(nl, nl->npairs, i, w, take);
  nl->npairs = need;
  return MB_OK;
}

/* Expected pairs within rc per atom, at the structure's mean density. */
static double pairs_per_atom(const mb_structure *s, double rc) {
  return s->natoms / fabs(mb__det3(s->lattice)) * (4.0 / 3.0) * M_PI * rc * rc * rc;
}

MB_API mb_status mb_neighbors_cutoff(const mb_structure *s, double cutoff,
                                     mb_neighbors **out) {
  if (!s || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_cutoff: NULL argument");
  if (!isfinite(cutoff) || !(cutoff > 0))
    return mb__error(MB_ERR_INVALID_ARG,
                     "mb_neighbors_cutoff: the cutoff must be a positive finite distance "
                     "(got %g A)", cutoff);
  const int N = s->natoms;
  grid g;
  work w = {0};
  mb_neighbors *nl = NULL;
  mb_status st = grid_build(s, cutoff, N, &g);
  if (st) return st;
  /* Room for the pairs a uniform density would give, and a little more. */
  if (!(nl = nl_new(N, (size_t)(1.05 * N * pairs_per_atom(s, cutoff)) + 64))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (int i = 0, cached = -1; i < N; i++) {
    if (g.bin[i] != cached && (st = gather(&g, cached = g.bin[i], &w))) goto done;
    row_collect(&g, &w, i);
    if ((st = nl_append(nl, i, &w, w.n))) goto done;
    nl->first[i + 1] = nl->npairs;
  }
  if (nl->cap > nl->npairs + nl->npairs / 8 + 64) (void)nl_realloc(nl, nl->npairs); /* may fail */
  *out = nl;
  nl = NULL;
done:
  grid_free(&g);
  work_free(&w);
  mb_neighbors_free(nl);
  return st;
}

MB_API mb_status mb_neighbors_knn(const mb_structure *s, int k, mb_neighbors **out) {
  if (!s || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_knn: NULL argument");
  if (k < 1) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_knn: k must be >= 1 (got %d)", k);
  const int N = s->natoms;
  if (k > NL_MAX_K || (double)N * k > NL_MAX_PAIRS / 20)
    return mb__error(MB_ERR_RANGE, "mb_neighbors_knn: k = %d neighbours of %d atoms is too many "
                     "(k <= %d, k x atoms <= %.0e)", k, N, NL_MAX_K, NL_MAX_PAIRS / 20);
  /* Start where a uniform density gives 2k neighbours; double the radius until
   * every atom has its k nearest, and those tied with the k-th, inside it. */
  double rc = cbrt(3.0 * 2.0 * k / (4.0 * M_PI) * fabs(mb__det3(s->lattice)) / N);
  grid g = {0};
  work w = {0};
  mb_neighbors *found = NULL, *nl = NULL;
  char *pending = mb__malloc((size_t)N, 1);
  size_t *at = mb__malloc((size_t)N, sizeof(size_t));
  int *count = mb__malloc((size_t)N, sizeof(int));
  mb_status st = MB_OK;
  if (!pending || !at || !count || !(found = nl_new(N, (size_t)(1.2 * k) * (size_t)N + 64))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  memset(pending, 1, (size_t)N);
  for (int npend = N; npend > 0; rc *= 2) {
    if ((st = grid_build(s, rc, npend, &g))) goto done;
    int nbins = g.n[0] * g.n[1] * g.n[2];
    for (int bin = 0; bin < nbins; bin++) {
      int any = 0;
      for (int a = g.start[bin]; a < g.start[bin + 1] && !any; a++) any = pending[g.watom[a]];
      if (!any) continue;
      if ((st = gather(&g, bin, &w))) goto done;
      for (int a = g.start[bin]; a < g.start[bin + 1]; a++) {
        int i = g.watom[a];
        if (!pending[i]) continue;
        row_collect(&g, &w, i);
        double dk = w.n >= k ? w.d[w.perm[k - 1]] : HUGE_VAL;
        if (!(dk + NL_TIE <= rc)) continue; /* a tie might lie outside: grow */
        int take = k;
        while (take < w.n && w.d[w.perm[take]] <= dk + NL_TIE) take++;
        at[i] = found->npairs;
        count[i] = take;
        if ((st = nl_append(found, i, &w, take))) goto done;
        pending[i] = 0;
        npend--;
      }
    }
    grid_free(&g);
  }
  /* Gather the rows in atom order (atoms finish in different rounds). */
  if (!(nl = nl_new(N, found->npairs))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (int i = 0; i < N; i++) {
    size_t a = at[i], p = nl->npairs, c = (size_t)count[i];
    memcpy(nl->i + p, found->i + a, c * sizeof(int));
    memcpy(nl->j + p, found->j + a, c * sizeof(int));
    memcpy(nl->shift + 3 * p, found->shift + 3 * a, 3 * c * sizeof(int));
    memcpy(nl->distance + p, found->distance + a, c * sizeof(double));
    memcpy(nl->vector + 3 * p, found->vector + 3 * a, 3 * c * sizeof(double));
    nl->npairs += c;
    nl->first[i + 1] = nl->npairs;
  }
  *out = nl;
  nl = NULL;
done:
  grid_free(&g);
  work_free(&w);
  mb_neighbors_free(found);
  mb_neighbors_free(nl);
  free(pending);
  free(at);
  free(count);
  return st;
}

MB_API void mb_neighbors_free(mb_neighbors *nl) {
  if (!nl) return;
  free(nl->vector);
  free(nl->distance);
  free(nl->i);
  free(nl->j);
  free(nl->shift);
  free(nl->first);
  free(nl);
}

MB_API mb_status mb_neighbors_count(const mb_neighbors *nl, size_t *npairs) {
  if (!nl || !npairs) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_count: NULL argument");
  *npairs = nl->npairs;
  return MB_OK;
}

MB_API mb_status mb_neighbors_pairs(const mb_neighbors *nl, int *i, int *j, int *shift,
                                    double *distance, double *vector) {
  if (!nl) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_pairs: neighbour list is NULL");
  size_t n = nl->npairs;
  if (i) memcpy(i, nl->i, n * sizeof(int));
  if (j) memcpy(j, nl->j, n * sizeof(int));
  if (shift) memcpy(shift, nl->shift, 3 * n * sizeof(int));
  if (distance) memcpy(distance, nl->distance, n * sizeof(double));
  if (vector) memcpy(vector, nl->vector, 3 * n * sizeof(double));
  return MB_OK;
}

MB_API mb_status mb_neighbors_first(const mb_neighbors *nl, size_t *first) {
  if (!nl || !first) return mb__error(MB_ERR_INVALID_ARG, "mb_neighbors_first: NULL argument");
  memcpy(first, nl->first, ((size_t)nl->natoms + 1) * sizeof(size_t));
  return MB_OK;
}
