/* tinyctl runtime: contiguous copies (views that must land in another buffer, concat, split, gather). */
#ifndef TINYCTL_COPY_H
#define TINYCTL_COPY_H

static inline void tc_copy(float *dst, const float *src, int n)
{
    if (dst == src)
        return;
    for (int i = 0; i < n; ++i)
        dst[i] = src[i];
}

#endif
