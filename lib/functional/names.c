/* Names of functionals: the common ones as libxc component pairs, and the general form
 * (libxc names or ids joined by '+'). The pairs are those ABINIT and VASP users mean by
 * these names: LDA is Perdew-Wang 92 (ABINIT ixc -001012, the engine's LDA), PBE is
 * Perdew, Burke & Ernzerhof, PRL 77, 3865 (1996); PBEsol Perdew et al., PRL 100, 136406
 * (2008); SCAN Sun, Ruzsinszky & Perdew, PRL 115, 036402 (2015); rSCAN Bartok & Yates,
 * JCP 150, 161101 (2019); r2SCAN Furness et al., JPCL 11, 8208 (2020). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "functional.h"

static const struct {
  const char *name;
  int ids[2];
} aliases[] = {
  {"LDA", {XC_LDA_X, XC_LDA_C_PW}},
  {"PBE", {XC_GGA_X_PBE, XC_GGA_C_PBE}},
  {"PBEsol", {XC_GGA_X_PBE_SOL, XC_GGA_C_PBE_SOL}},
  {"SCAN", {XC_MGGA_X_SCAN, XC_MGGA_C_SCAN}},
  {"rSCAN", {XC_MGGA_X_RSCAN, XC_MGGA_C_RSCAN}},
  {"r2SCAN", {XC_MGGA_X_R2SCAN, XC_MGGA_C_R2SCAN}},
};

mb_status mb__functional_ids(const char *name, int *ids, int *n, const char **canonical) {
  *canonical = NULL;
  *n = 0;
  for (size_t k = 0; k < sizeof aliases / sizeof *aliases; k++)
    if (!strcasecmp(name, aliases[k].name)) {
      ids[0] = aliases[k].ids[0], ids[1] = aliases[k].ids[1];
      *n = 2;
      *canonical = aliases[k].name;
      return MB_OK;
    }
  /* libxc names or ids joined by '+' */
  const char *p = name;
  while (*p) {
    char part[64];
    size_t len = strcspn(p, "+");
    if (len == 0 || len >= sizeof part)
      return mb__error(MB_ERR_INVALID_ARG, "functional '%.60s': '%.*s' is not a libxc name or "
                       "id (known names: LDA, PBE, PBEsol, SCAN, rSCAN, r2SCAN; or libxc names "
                       "or ids joined by '+', e.g. gga_x_pbe+gga_c_pbe or 101+130)", name,
                       (int)(len > 40 ? 40 : len), p);
    memcpy(part, p, len);
    part[len] = '\0';
    if (*n == MB__XC_MAX_COMPONENTS)
      return mb__error(MB_ERR_INVALID_ARG, "functional '%.60s': more than %d components", name,
                       MB__XC_MAX_COMPONENTS);
    char *end;
    long id = strtol(part, &end, 10);
    if (*end || end == part) {
      for (char *c = part; *c; c++) *c = (char)tolower((unsigned char)*c);
      id = xc_functional_get_number(part);
    }
    if (id <= 0 || id > 100000)
      return mb__error(MB_ERR_INVALID_ARG, "functional '%.60s': libxc %s knows no functional "
                       "'%s' (known names: LDA, PBE, PBEsol, SCAN, rSCAN, r2SCAN; or libxc "
                       "names or ids joined by '+')", name, xc_version_string(), part);
    ids[(*n)++] = (int)id;
    p += len;
    if (*p == '+') p++;
    if (*p == '\0' && p[-1] == '+')
      return mb__error(MB_ERR_INVALID_ARG, "functional '%.60s' ends with '+'", name);
  }
  if (*n == 0) return mb__error(MB_ERR_INVALID_ARG, "functional: empty name");
  return MB_OK;
}
