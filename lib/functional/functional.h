/* The exchange-correlation functional handle (migbar.h section 12): components from
 * libxc, Hubbard U values. Private. */
#ifndef MB_FUNCTIONAL_H
#define MB_FUNCTIONAL_H

#include <xc.h>

#include "../core/core.h"

#define MB__XC_MAX_COMPONENTS 4
#define MB__XC_MAX_HUBBARD 64

struct mb_functional {
  char *name;                                  /* as created, canonical for aliases */
  int ncomp;
  int id[MB__XC_MAX_COMPONENTS];               /* libxc ids */
  char *short_name[MB__XC_MAX_COMPONENTS];     /* libxc's "gga_x_pbe" */
  xc_func_type *func[2][MB__XC_MAX_COMPONENTS]; /* [0] unpolarised, [1] spin-polarised */
  mb_xc_family family;                         /* the highest of the components' */
  int nhub;
  int hub_z[MB__XC_MAX_HUBBARD], hub_l[MB__XC_MAX_HUBBARD];
  double hub_u[MB__XC_MAX_HUBBARD];            /* U_eff (eV) */
};

/* The libxc ids of a name ("PBE", "r2SCAN", "gga_x_pbe+gga_c_pbe", "101+130"); the
 * canonical name into *canonical (static for aliases, NULL otherwise). */
mb_status mb__functional_ids(const char *name, int *ids, int *n, const char **canonical);

#endif
