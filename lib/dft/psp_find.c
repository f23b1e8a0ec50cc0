/* The pseudopotential file for an element, among those Debian's abinit-data installs
 * in /usr/share/abinit/psp:
 *   psp8 (PBE, ONCVPSP PseudoDojo v0.4 standard): Pseudodojo_nc_sr_04_pbe_standard_psp8/
 *     <El>.psp8, or a variant <El>-<tag>.psp8 (Zn-sp, Se-d; the first by name).
 *     The other psp8 files directly in /usr/share/abinit/psp (ABINIT's test files,
 *     LDA and PBE mixed) are not considered.
 *   HGH (LDA, pspcod 3): <Z><el>.<zion>.hgh. Where there are two (3li.1.hgh and
 *     3li.3.hgh, 26fe.8.hgh and 26fe.16.hgh) the one with the larger zion, the
 *     semicore potential, is taken: it is the more transferable and accurate one, at the
 *     price of a higher cutoff. Files with other names (08o.6.blyp.hgh, pspcod 10) are
 *     not considered.
 * PBE psp8 first unless prefer_lda, then HGH (or the other way round). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dft.h"

#define DEFAULT_DIR "/usr/share/abinit/psp"
#define DOJO_DIR "Pseudodojo_nc_sr_04_pbe_standard_psp8"

static int is_file(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* dir/<sym>.psp8, else the first by name of dir/<sym>-*.psp8, into buf. */
static int find_psp8(const char *dir, const char *sym, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s.psp8", dir, sym);
  if (is_file(buf)) return 1;
  DIR *d = opendir(dir);
  if (!d) return 0;
  char best[256] = "";
  size_t ns = strlen(sym);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    size_t len = strlen(n);
    if (len < ns + 7 || len >= sizeof best || strncmp(n, sym, ns) != 0 || n[ns] != '-' ||
        strcmp(n + len - 5, ".psp8") != 0)
      continue;
    if (!best[0] || strcmp(n, best) < 0) memcpy(best, n, len + 1);
  }
  closedir(d);
  if (!best[0]) return 0;
  snprintf(buf, size, "%s/%s", dir, best);
  return is_file(buf);
}

/* dir/<z><sym lowercase>.<zion>.hgh with the largest zion, into buf. */
static int find_hgh(const char *dir, int z, const char *sym, char *buf, size_t size) {
  char prefix[16];
  int np = snprintf(prefix, sizeof prefix, "%d", z);
  for (const char *s = sym; *s && np < (int)sizeof prefix - 2; s++)
    prefix[np++] = (char)tolower((unsigned char)*s);
  prefix[np++] = '.';
  prefix[np] = '\0';
  DIR *d = opendir(dir);
  if (!d) return 0;
  int best = -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (strncmp(n, prefix, (size_t)np) != 0) continue;
    const char *s = n + np;
    int zion = 0, digits = 0;
    while (isdigit((unsigned char)*s) && digits < 4) zion = 10 * zion + (*s++ - '0'), digits++;
    if (!digits || strcmp(s, ".hgh") != 0) continue;
    if (zion > best) best = zion;
  }
  closedir(d);
  if (best < 0) return 0;
  snprintf(buf, size, "%s/%s%d.hgh", dir, prefix, best);
  return is_file(buf);
}

mb_status mb__psp_find(int z, const char *dir, int prefer_lda, char **path) {
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "mb__psp_find: path is NULL");
  *path = NULL;
  const char *sym = NULL;
  if (mb_element_symbol(z, &sym) != MB_OK || !sym || !sym[0])
    return mb__error(MB_ERR_INVALID_ARG, "mb__psp_find: no element with Z = %d", z);
  if (!dir) dir = DEFAULT_DIR;
  char dojo[1024], buf[1280];
  snprintf(dojo, sizeof dojo, "%s/%s", dir, DOJO_DIR);
  int found = 0;
  for (int pass = 0; pass < 2 && !found; pass++) {
    if ((pass == 0) != (prefer_lda != 0))
      found = find_psp8(dojo, sym, buf, sizeof buf);
    else
      found = find_hgh(dir, z, sym, buf, sizeof buf);
  }
  if (!found)
    return mb__error(MB_ERR_IO,
                     "no pseudopotential for %s (Z = %d) in %s (looked for %s/%s.psp8 and "
                     "HGH files like %d%c%s.N.hgh)",
                     sym, z, dir, DOJO_DIR, sym, z, tolower((unsigned char)sym[0]),
                     sym + 1);
  *path = mb__strdup(buf);
  return *path ? MB_OK : MB_ERR_NOMEM;
}
