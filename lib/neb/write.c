/* mb_band_write: the results of a band as a JSON summary, an SVG plot of the energy
 * profile or extended XYZ frames (write_json.c, write_svg.c, write_xyz.c build the
 * text; this file checks the arguments and puts the text on disk).
 *
 * A file is written whole or not at all (mb__write_file: a temporary file beside
 * the target, synced and renamed over it), so a checkpoint interrupted by a crash
 * or a full disk leaves the previous checkpoint intact, never half of a new one. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"

/* Numbers are written with '.' whatever locale the host program set: the writers
 * run under the C locale, switched for this thread only (as lib/structure/io.c). */
static mb_status write_text(const mb_band *b, mb_band_file kind, mb_strbuf *sb) {
  locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  locale_t old = c ? uselocale(c) : (locale_t)0;
  mb_status st;
  switch (kind) {
  case MB_BAND_FILE_JSON: st = mb__band_write_json(b, sb); break;
  case MB_BAND_FILE_SVG: st = mb__band_write_svg(b, sb); break;
  default: st = mb__band_write_xyz(b, sb); break;
  }
  if (c) {
    uselocale(old);
    freelocale(c);
  }
  return st;
}

/* Every image must have a finite energy: the writers report results, so the band
 * must have been evaluated or run. */
static mb_status check_band(const mb_band *b) {
  int n = 0;
  mb_status st = mb_band_nimages(b, &n);
  if (st) return st;
  double *e = mb__malloc((size_t)n, sizeof *e);
  if (!e) return MB_ERR_NOMEM;
  if ((st = mb_band_energies(b, e)) == MB_OK) {
    for (int i = 0; i < n; i++) {
      if (!isfinite(e[i])) {
        st = mb__error(MB_ERR_INVALID_ARG,
                       "mb_band_write: image %d has no finite energy (call mb_band_evaluate "
                       "or mb_band_run first)", i);
        break;
      }
    }
  }
  free(e);
  return st;
}

MB_API mb_status mb_band_write(const mb_band *b, const char *path, mb_band_file kind) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "mb_band_write: band is NULL");
  if (!path || !*path)
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_write: file name is %s",
                     path ? "empty" : "NULL");
  if (kind != MB_BAND_FILE_JSON && kind != MB_BAND_FILE_SVG && kind != MB_BAND_FILE_XYZ)
    return mb__error(MB_ERR_INVALID_ARG,
                     "mb_band_write: unknown file kind %d (0 = JSON, 1 = SVG, 2 = XYZ)",
                     (int)kind);
  mb_status st = check_band(b);
  if (st) return st;
  mb_strbuf sb = {0};
  char *data = NULL;
  size_t size = 0;
  if ((st = write_text(b, kind, &sb)) == MB_OK && (st = mb__sb_finish(&sb, &data, &size)) == MB_OK)
    st = mb__write_file(path, data, size);
  mb__sb_free(&sb);
  free(data);
  if (st) mb__error_prefix("mb_band_write");
  return st;
}
