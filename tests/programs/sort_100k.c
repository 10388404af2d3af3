/* Sort 100000 pseudo-random ints (LCG) with a hand-written merge sort, then verify with a
 * checksum. One of the bigger programs of the corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 100000 };

/* Bottom-up merge sort: each pass merges runs from src into dst, then the two swap roles. */
static void merge_sort(int32_t *a, int32_t *tmp, size_t n)
{
    int32_t *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

int main(void)
{
    int32_t *a = malloc(N * sizeof *a), *tmp = malloc(N * sizeof *tmp);
    uint32_t x = 20240601u;
    uint64_t before = 0;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (int32_t)(x ^ (x >> 15));
        before += (uint32_t)a[i];
    }
    merge_sort(a, tmp, N);
    uint64_t after = 0, h = 1469598103934665603ULL;
    int ok = 1;
    for (int i = 0; i < N; i++) {
        after += (uint32_t)a[i];
        h = (h ^ (uint32_t)a[i]) * 1099511628211ULL;
        if (i && a[i - 1] > a[i])
            ok = 0;
    }
    printf("sorted=%d sums match=%d min=%d max=%d a[50000]=%d hash=%016llx\n", ok,
           before == after, a[0], a[N - 1], a[N / 2], (unsigned long long)h);
    free(a);
    free(tmp);
    return ok ? 0 : 1;
}
