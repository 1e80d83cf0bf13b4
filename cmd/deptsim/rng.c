/* Weighted choice; the rest of the generator lives inline in rng.h. */
#include "cmd/deptsim/rng.h"

size_t ds_rng_weighted(struct ds_rng *r, const unsigned *w, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    if (total == 0)
        return 0;
    uint64_t x = (ds_rng_next(r) >> 11) % total;
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}
