/* Helpers shared by the DFT suites: where the abinit-data pseudopotentials are
 * (/usr/share/abinit/psp, or $MB_PSP_DIR), whether one is there, and reading one
 * (suites linked statically, which see lib/dft/dft.h). */
#ifndef MB_TEST_DFTUTIL_H
#define MB_TEST_DFTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../testutil.h"

#define MB_TEST_ABINIT_PSP "/usr/share/abinit/psp"

static inline const char *psp_dir(void) {
  const char *d = getenv("MB_PSP_DIR");
  return d ? d : MB_TEST_ABINIT_PSP;
}

/* The file rel (relative to psp_dir()) in buf. */
static inline const char *psp_path(const char *rel, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s", psp_dir(), rel);
  return buf;
}

static inline int have_file(const char *rel) {
  char path[1024];
  struct stat sb;
  return stat(psp_path(rel, path, sizeof path), &sb) == 0;
}

#ifdef MB_DFT_H
static inline mb__psp *load(const char *rel) {
  char path[1024];
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read(psp_path(rel, path, sizeof path), &p));
  return p;
}
#endif

#endif
