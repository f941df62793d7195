/* placeholder */
#include "lib_e2e.h"
