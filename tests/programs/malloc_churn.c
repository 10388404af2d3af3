/* malloc/calloc/realloc/free churn: thousands of blocks of varied sizes, some > 128 KiB
 * (served by mmap, grown with mremap). Every block carries a fill
 * pattern that is checked before it is resized or freed. Exit status = checksum & 0xff. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256
#define STRIDE 4096 /* large blocks are filled at both ends and once per page between */

static uint32_t rng = 12345;

static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static size_t pick_size(void)
{
    uint32_t r = next();
    switch (r % 16) {
    case 0:
        return 128 * 1024 + r % (256 * 1024); /* large: mmap */
    case 1:
    case 2:
        return 4096 + r % 20000;
    default:
        return 1 + r % 200;
    }
}

static void fill(unsigned char *p, size_t n, unsigned char v)
{
    if (n <= 2 * STRIDE) {
        memset(p, v, n);
        return;
    }
    memset(p, v, 256);
    memset(p + n - 256, v, 256);
    for (size_t k = 0; k < n; k += STRIDE)
        p[k] = v;
}

/* checks the pattern over the first n bytes of a block filled with fill(p, filled, v) */
static int intact(const unsigned char *p, size_t n, size_t filled, unsigned char v)
{
    size_t step = filled <= 2 * STRIDE ? 61 : STRIDE; /* fill() sets every byte / page */
    for (size_t k = 0; k < n; k += step)
        if (p[k] != v)
            return 0;
    return p[n - 1] == v || n < filled;
}

int main(void)
{
    unsigned char *blk[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint64_t sum = 0;
    long large = 0, reallocs = 0, callocs = 0;
    for (int round = 0; round < 3000; round++) {
        unsigned i = next() % SLOTS;
        if (blk[i]) {
            unsigned char want = (unsigned char)(i ^ len[i]);
            if (!intact(blk[i], len[i], len[i], want)) {
                printf("corruption in slot %u\n", i);
                return 99;
            }
            sum += blk[i][len[i] / 2] + len[i];
            if (next() % 3 == 0) {
                size_t nl = pick_size();
                unsigned char *p = realloc(blk[i], nl);
                if (!p)
                    return 98;
                if (!intact(p, nl < len[i] ? nl : len[i], len[i], want)) {
                    printf("realloc lost data in slot %u\n", i);
                    return 97;
                }
                reallocs++;
                blk[i] = p;
                len[i] = nl;
                fill(p, nl, (unsigned char)(i ^ nl));
            } else {
                free(blk[i]);
                blk[i] = NULL;
            }
        } else {
            size_t n = pick_size();
            large += n > 128 * 1024;
            if (next() % 2 && n < 64 * 1024) { /* zeroing is costly: keep callocs small */
                blk[i] = calloc(n, 1);
                if (!blk[i] || !intact(blk[i], n, n, 0))
                    return 96;
                callocs++;
            } else {
                blk[i] = malloc(n);
                if (!blk[i])
                    return 95;
            }
            len[i] = n;
            fill(blk[i], n, (unsigned char)(i ^ n));
        }
    }
    size_t live = 0, bytes = 0;
    for (unsigned i = 0; i < SLOTS; i++) {
        if (blk[i]) {
            live++;
            bytes += len[i];
            sum = sum * 31 + blk[i][len[i] - 1];
            free(blk[i]);
        }
    }
    /* a calloc'd array of 50000 ints, shrunk with realloc */
    int *arr = calloc(50000, sizeof *arr);
    for (int k = 0; k < 50000; k += 7)
        arr[k] = k * 3;
    arr = realloc(arr, 100 * sizeof *arr);
    long s2 = 0;
    for (int k = 0; k < 100; k++)
        s2 += arr[k];
    free(arr);
    printf("large=%ld reallocs=%ld callocs=%ld live=%zu bytes=%zu sum=%llu s2=%ld\n", large,
           reallocs, callocs, live, bytes, (unsigned long long)sum, s2);
    return (int)(sum & 0xff);
}
