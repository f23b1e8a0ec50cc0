/* Version of the linked library. */
#include "core.h"

MB_API const char *mb_version(void) { return MB_VERSION_STRING; }

MB_API int mb_version_number(void) { return MB_VERSION_NUMBER; }
