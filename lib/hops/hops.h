/* Private layout of mb_hops (migbar.h section 7, docs/hops.md) and the steps that fill
 * it, one file each: sites and candidate hops (enumerate.c), grouping by the space
 * group (group.c), bottlenecks and the geometric proxy (geometry.c), end points in a
 * supercell (endpoints.c), barriers from a model (predict.c) and percolation
 * (percolation.c). Not installed. */
#ifndef MB_HOPS_H
#define MB_HOPS_H

#include "../core/core.h"
#include "../structure/structure.h"

/* One undirected hop of the unit cell: from site i (home cell) to site j in the cell
 * shifted by the lattice translation image. Stored in its canonical direction (from
 * the lower site; along a positive first image component from a site to its own
 * image; hops.c: mb__hops_canonical). */
typedef struct mb__hop {
  int i, j;
  int image[3];
} mb__hop;

/* One distinct hop: a class of hops equivalent under the space group. */
typedef struct mb__hop_group {
  mb__hop rep;         /* representative */
  int multiplicity;    /* undirected hops of the class per unit cell */
  double length;       /* A */
  double bottleneck;   /* closest approach of the straight path to a framework atom, A
                          (INFINITY without framework atoms) */
  double window;       /* widest bent path: its closest approach, A (geometry.c) */
  double clearance;    /* the smaller nearest-framework distance of the two end sites, A */
  int blocked;
  double proxy;        /* geometric proxy barrier, eV (geometry.c) */
  int reps[3];         /* supercell of the end points (endpoints.c) */
} mb__hop_group;

struct mb_hops {
  mb_structure *s;     /* copy of the caller's structure */
  int z;               /* atomic number of the mobile species */
  /* options (mb_hops_option) */
  double max_length, symprec, block_fraction, min_separation;
  int max_atoms;
  /* results of mb_hops_find; found = 0 before it and after a change of options */
  int found;
  int nsites;
  int *site_atom;      /* nsites: atom index of each site in s */
  double *site_frac;   /* 3*nsites: wrapped fractional positions */
  int nhops;
  mb__hop *hops;       /* nhops, sorted by canonical order */
  int *hop_group;      /* nhops: group of each hop */
  int ngroups;
  mb__hop_group *groups; /* sorted by length, then representative */
  /* barriers per group */
  double *barrier, *spread;
  int source;          /* an mb_hops_source */
};

/* Canonical direction of a hop, and the order of canonical hops (qsort/bsearch). */
mb__hop mb__hops_canonical(mb__hop h);
int mb__hops_compare(const void *a, const void *b);
/* Index of canonical hop h in the sorted array, or -1. */
int mb__hops_lookup(const mb__hop *hops, int nhops, const mb__hop *h);
/* Cartesian hop vector (A): site j + image minus site i. */
void mb__hops_vector(const struct mb_hops *h, const mb__hop *hop, double v[3]);

/* enumerate.c: the sites of the mobile species and every hop up to max_length. */
mb_status mb__hops_enumerate(struct mb_hops *h);
/* group.c: the space-group classes of the hops (fills hop_group and groups[].rep,
 * multiplicity, length). */
mb_status mb__hops_group(struct mb_hops *h);
/* geometry.c: bottleneck, clearance, blocked and proxy barrier of every group. */
mb_status mb__hops_geometry(struct mb_hops *h);
/* endpoints.c: supercell repetitions for group g (checks max_atoms), and the two
 * end points with the index of the moving ion. */
mb_status mb__hops_supercell(const struct mb_hops *h, int g, int reps[3]);
mb_status mb__hops_end_points(const struct mb_hops *h, int g, mb_structure **initial,
                              mb_structure **final, int *ion);

/* percolation.c: for a network of nsites sites and nhops undirected hops (from, to,
 * image as in mb__hop; class[k] in 0..nclasses-1 and barrier per class), the lowest
 * barrier at which hops at or below it connect sites into a network that spans d = 1,
 * 2, 3 dimensions (barrier[d-1], INFINITY when never) and the class whose addition
 * raised the dimensionality to d (limiting[d-1], -1 when never). */
mb_status mb__hops_percolate(int nsites, int nhops, const mb__hop *hops, const int *cls,
                             int nclasses, const double *class_barrier, double barrier[3],
                             int limiting[3]);
/* Dimensionality (0..3) of the network of hops whose class barrier is <= threshold. */
mb_status mb__hops_dimensionality(int nsites, int nhops, const mb__hop *hops, const int *cls,
                                  const double *class_barrier, double threshold, int *dim);

#endif
