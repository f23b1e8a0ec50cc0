/* Chemical formula in Hill order. */
#include <stdio.h>
#include <string.h>

#include "structure.h"

static long gcd(long a, long b) {
  while (b) {
    long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

MB_API mb_status mb_structure_formula(const mb_structure *s, int reduced, char *buffer,
                                      size_t size) {
  if (!s || !buffer) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_formula: NULL argument");
  long count[119] = {0};
  for (int i = 0; i < s->natoms; i++) count[s->numbers[i]]++;
  long g = 0;
  for (int z = 1; z <= 118; z++) g = gcd(g, count[z]);
  if (!reduced || g < 1) g = 1;
  /* Hill order: with carbon, C then H then the rest alphabetically; without
   * carbon, everything alphabetically. */
  int order[118], n = 0;
  int hill = count[6] > 0;
  if (hill) {
    order[n++] = 6;
    if (count[1]) order[n++] = 1;
  }
  int rest[118], m = 0;
  for (int z = 1; z <= 118; z++)
    if (count[z] && !(hill && (z == 6 || z == 1))) rest[m++] = z;
  for (int a = 1; a < m; a++) /* insertion sort by symbol */
    for (int b = a; b > 0; b--) {
      const char *x, *y;
      mb_element_symbol(rest[b - 1], &x);
      mb_element_symbol(rest[b], &y);
      if (strcmp(x, y) <= 0) break;
      int t = rest[b];
      rest[b] = rest[b - 1];
      rest[b - 1] = t;
    }
  for (int a = 0; a < m; a++) order[n++] = rest[a];
  size_t len = 0;
  char tmp[32];
  buffer[0] = '\0';
  for (int a = 0; a < n; a++) {
    const char *sym;
    mb_element_symbol(order[a], &sym);
    long c = count[order[a]] / g;
    int w = c == 1 ? snprintf(tmp, sizeof tmp, "%s", sym)
                   : snprintf(tmp, sizeof tmp, "%s%ld", sym, c);
    if (len + (size_t)w + 1 > size) {
      if (size) buffer[0] = '\0';
      return mb__error(MB_ERR_BUFFER_TOO_SMALL, "formula needs more than %zu bytes", size);
    }
    memcpy(buffer + len, tmp, (size_t)w + 1);
    len += (size_t)w;
  }
  return MB_OK;
}
