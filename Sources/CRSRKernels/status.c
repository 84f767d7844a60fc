// status.c: status strings and the ABI version.
#include "internal.h"

const char * rsr_status_string(rsr_status status) {
    switch (status) {
        case RSR_OK:              return "success";
        case RSR_ERR_NULL:        return "a required pointer is NULL";
        case RSR_ERR_SHAPE:       return "rows, cols or batch out of range or not matching the layout";
        case RSR_ERR_K_RANGE:     return "k is outside the range this layout supports";
        case RSR_ERR_OVERFLOW:    return "a size computed from the arguments overflows";
        case RSR_ERR_VALUE:       return "a weight is outside {0,1} (binary) or {-1,0,1} (ternary)";
        case RSR_ERR_BUFFER:      return "a buffer is smaller than required";
        case RSR_ERR_LAYOUT:      return "layout bytes are malformed";
        case RSR_ERR_UNSUPPORTED: return "this layout has no kernel for this activation type";
        case RSR_ERR_NO_MEMORY:   return "out of memory";
        case RSR_ERR_THREADS:     return "thread count out of range or a thread could not be started";
        case RSR_ERR_ARGUMENT:    return "an argument is out of range";
    }
    return "unknown status";
}

int rsr_abi_version(void) { return RSR_ABI_VERSION; }
