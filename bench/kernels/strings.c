/* Byte-string work per iteration: memmove a 16..1023-byte run inside a 4 KiB buffer, memset
 * a run, hash a 256-byte window, memchr for a byte and memcmp two 64-byte runs.
 * Checksum: a running mix of the hash, the position found and the comparison, mod 2^32.
 */
#include "bench.h"

#define BUF_N 4096

static uint8_t buf[BUF_N];

BENCH_EXPORT int64_t bench_strings(int64_t n) {
    for (int i = 0; i < BUF_N; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    uint32_t acc = 0;
    for (int64_t k = 0; k < n; k++) {
        uint32_t i = (uint32_t)k;
        size_t len = 16 + (i * 13) % 1008;
        size_t src = (i * 131) % 2048;
        size_t dst = (i * 71) % 2048 + 1024;
        memmove(buf + dst, buf + src, len);
        memset(buf + (i * 29) % 3072, (int)(i & 0xff), 64 + i % 64);
        uint32_t h = 0;
        const uint8_t *w = buf + (i * 17) % 3840;
        for (int j = 0; j < 256; j++)
            h = h * 31 + w[j];
        const uint8_t *hit = memchr(buf, (int)((i * 3) & 0xff), BUF_N);
        uint32_t pos = hit ? (uint32_t)(hit - buf) + 1 : 0;
        int c = memcmp(buf + (i * 5) % 4032, buf + (i * 11) % 4032, 64);
        uint32_t sign = c < 0 ? 1 : c > 0 ? 2 : 0;
        acc = acc * 33 + h + pos + sign;
    }
    return (int64_t)acc;
}
