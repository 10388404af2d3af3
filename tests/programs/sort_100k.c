/* Sort 100000 pseudo-random ints (LCG) with an LSD radix sort (two 16-bit digits, sign bit
 * flipped), check order, sum and a hash, and look a few values up by binary search. One of
 * the bigger programs of the corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 100000, RADIX = 1 << 16 };

/* the radix digit of v: flipping the sign bit makes unsigned order match signed order */
#define DIGIT(v, shift) ((((uint32_t)(v) ^ 0x80000000u) >> (shift)) & 0xFFFF)

static void radix_sort(int32_t *a, int32_t *tmp, size_t n)
{
    static size_t count[RADIX];
    int32_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 16) {
        for (size_t d = 0; d < RADIX; d++)
            count[d] = 0;
        for (size_t i = 0; i < n; i++)
            count[DIGIT(src[i], shift)]++;
        size_t pos = 0;
        for (size_t d = 0; d < RADIX; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[DIGIT(src[i], shift)]++] = src[i];
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    /* an even number of passes leaves the result back in a */
}

static long find(const int32_t *a, size_t n, int32_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v ? (long)lo : -1;
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
    int32_t probe = a[12345];
    radix_sort(a, tmp, N);
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
    printf("a[12345] before sorting (%d) is now at %ld; 0 at %ld\n", probe, find(a, N, probe),
           find(a, N, 0));
    free(a);
    free(tmp);
    return ok ? 0 : 1;
}
