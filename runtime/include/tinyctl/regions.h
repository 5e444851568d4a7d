/* tinyctl runtime: explicit piecewise-affine laws stored as region tables (the lowering of a YANN).
 *
 * Region i holds theta when every one of its rows passes: offset[row] + s * (plane[h] . theta) >= 0, where
 * plane_of[row] = s * (h + 1) names a shared hyperplane h (a facet two regions share is stored once) and its sign.
 * The first region that holds wins (ties on shared facets go to the earlier region, like the network's
 * lower-triangular layer); its law is u = K_i clip(theta) + r_i. No region: u = 0 and the search returns -1.
 * A NaN in theta fails every test, so it lands in "no region". Flash only; no RAM beyond a few locals. */
#ifndef TINYCTL_REGIONS_H
#define TINYCTL_REGIONS_H

#include <stdint.h>

#include "activations.h"

/* index of the first region holding x, or -1; rows of region i are region_end[i-1] .. region_end[i]-1 */
static inline int tc_region_find(const float *x, int n, const float *planes, const float *offset,
                                 const int16_t *plane_of, const uint16_t *region_end, int regions)
{
    int row = 0;
    for (int i = 0; i < regions; ++i) {
        const int end = region_end[i];
        int holds = 1;
        for (; row < end; ++row) {
            const int h = plane_of[row];
            const float *p = planes + (h < 0 ? -h - 1 : h - 1) * n;
            float d = 0.0f;
            for (int k = 0; k < n; ++k)
                d += p[k] * x[k];
            if (!(offset[row] + (h < 0 ? -d : d) >= 0.0f)) {
                holds = 0;
                break;
            }
        }
        if (holds)
            return i;
        row = end;
    }
    return -1;
}

/* u = K_region clip(x, lo, hi) + r_region, or 0 when region < 0 */
static inline void tc_region_law(int region, const float *x, const float *lo, const float *hi, const float *k,
                                 const float *r, float *u, int m, int n)
{
    for (int j = 0; j < m; ++j) {
        float acc = 0.0f;
        if (region >= 0) {
            const float *kj = k + (region * m + j) * n;
            for (int i = 0; i < n; ++i)
                acc += kj[i] * tc_min(tc_max(x[i], lo[i]), hi[i]);
            acc += r[region * m + j];
        }
        u[j] = acc;
    }
}

#endif
