// Wraps zlib's inflateInit2 macro, which Swift cannot call directly.
#include <zlib.h>

static inline int trail_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
