#include "migbar.h"
