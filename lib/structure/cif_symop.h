/* Symmetry operations of CIF files: parsing "x,y,z" text, expanding atom sites. */
#ifndef MB_CIF_SYMOP_H
#define MB_CIF_SYMOP_H

#include "structure.h"

/* Two positions closer than this in every fractional coordinate (periodically) are
 * one atom: ASE's crystal() symprec, so that libmigbar and ASE find the same atoms. */
#define MB_CIF_SYMPREC 1e-3
/* Guard against absurd input: sites x operations may not exceed this. */
#define MB_CIF_MAX_CANDIDATES (1L << 20)

/* An atom site as a CIF lists it. */
typedef struct mb_cif_site {
  double frac[3];
  int z;
  long line;   /* where it is written, for messages */
} mb_cif_site;

/* Parse an operation such as "-x+1/2, y, z-y" (also "1/2+x", "0.5+z", "+X") into an
 * integer rotation (row k gives component k) and a translation in [0, 1). Returns
 * NULL, or why the text is not a symmetry operation. */
const char *mb__cif_symop_parse(const char *text, size_t len, int rot[9], double trans[3]);

/* The structure made by applying the nops operations to every site: site by site,
 * operation by operation, positions wrapped into [0, 1), a position within
 * MB_CIF_SYMPREC of an earlier atom dropped (ASE's equivalent_sites order). A site
 * landing on an atom of another element is an error at the site's line; line is that
 * of the operations, for the size limit. */
mb_status mb__cif_expand(const char *name, long line, const mb_cif_site *sites, int nsites,
                         const int *rot, const double *trans, int nops,
                         const double lattice[9], mb_structure **out);

#endif
