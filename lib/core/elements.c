/* Element symbols and standard atomic weights. */
#include <string.h>

#include "core.h"
#include "tables/elements_table.h"

MB_API mb_status mb_element_number(const char *symbol, int *number) {
  if (!symbol || !number) return mb__error(MB_ERR_INVALID_ARG, "mb_element_number: NULL argument");
  for (int z = 1; z <= MB_NELEMENTS; z++)
    if (strcmp(symbol, mb_element_symbols[z]) == 0) {
      *number = z;
      return MB_OK;
    }
  return mb__error(MB_ERR_INVALID_ARG, "unknown chemical symbol '%.32s'", symbol);
}

MB_API mb_status mb_element_symbol(int number, const char **symbol) {
  if (!symbol) return mb__error(MB_ERR_INVALID_ARG, "mb_element_symbol: NULL argument");
  if (number < 1 || number > MB_NELEMENTS)
    return mb__error(MB_ERR_RANGE, "atomic number %d outside 1..%d", number, MB_NELEMENTS);
  *symbol = mb_element_symbols[number];
  return MB_OK;
}

MB_API mb_status mb_element_mass(int number, double *mass) {
  if (!mass) return mb__error(MB_ERR_INVALID_ARG, "mb_element_mass: NULL argument");
  if (number < 1 || number > MB_NELEMENTS)
    return mb__error(MB_ERR_RANGE, "atomic number %d outside 1..%d", number, MB_NELEMENTS);
  *mass = mb_element_masses[number];
  return MB_OK;
}
