/* malloc/calloc/realloc/free churn: thousands of blocks of varied sizes, some > 128 KiB
 * (musl serves those with mmap). The exit status is a checksum of the data & 0xff. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256

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

int main(void)
{
    unsigned char *blk[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint64_t sum = 0;
    long ops = 0, large = 0;
    for (int round = 0; round < 3000; round++) {
        unsigned i = next() % SLOTS;
        if (blk[i]) {
            /* verify the fill pattern of the first and last byte */
            unsigned char want = (unsigned char)(i ^ len[i]);
            if (blk[i][0] != want || blk[i][len[i] - 1] != want) {
                printf("corruption in slot %u\n", i);
                return 99;
            }
            sum += blk[i][len[i] / 2];
            if (next() % 3 == 0) {
                size_t nl = pick_size();
                unsigned char *p = realloc(blk[i], nl);
                if (!p)
                    return 98;
                size_t keep = nl < len[i] ? nl : len[i];
                for (size_t k = 0; k < keep; k += 997)
                    if (p[k] != (unsigned char)(i ^ len[i]))
                        return 97;
                blk[i] = p;
                len[i] = nl;
                memset(p, (unsigned char)(i ^ nl), nl);
            } else {
                free(blk[i]);
                blk[i] = NULL;
            }
        } else {
            size_t n = pick_size();
            if (n > 128 * 1024)
                large++;
            if (next() % 2) {
                blk[i] = calloc(n, 1);
                if (!blk[i])
                    return 96;
                for (size_t k = 0; k < n; k += 509)
                    if (blk[i][k] != 0)
                        return 95;
            } else {
                blk[i] = malloc(n);
                if (!blk[i])
                    return 94;
            }
            len[i] = n;
            memset(blk[i], (unsigned char)(i ^ n), n);
        }
        ops++;
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
    /* calloc of an array of structs, then shrink with realloc */
    int *arr = calloc(50000, sizeof *arr);
    for (int k = 0; k < 50000; k++)
        arr[k] = k * 3;
    arr = realloc(arr, 100 * sizeof *arr);
    long s2 = 0;
    for (int k = 0; k < 100; k++)
        s2 += arr[k];
    free(arr);
    printf("ops=%ld large_allocs=%ld live=%zu bytes=%zu sum=%llu s2=%ld\n", ops, large, live,
           bytes, (unsigned long long)sum, s2);
    return (int)(sum & 0xff);
}
