/* 32-bit arithmetic on RV64: wraparound, W-op sign extension, 32-bit div/rem edge cases,
 * int <-> long conversions. */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

static volatile int32_t vz = 0, vm1 = -1, vmin = INT32_MIN, vmax = INT32_MAX;
static volatile uint32_t uz = 0, umax = UINT32_MAX;

static int64_t widen(int32_t x) { return x; }       /* sext.w */
static uint64_t uwiden(uint32_t x) { return x; }    /* zero-extension */

int main(void)
{
    uint32_t u = 0xFFFFFFF0u;
    for (int i = 0; i < 32; i++)
        u += 1;
    printf("u wraps to %u\n", u);
    int32_t a = vmax;
    int32_t b = (int32_t)((uint32_t)a + 1u);
    printf("INT32_MAX+1 (via unsigned) = %d, widened=%" PRId64 "\n", b, widen(b));
    int32_t m = (int32_t)((uint32_t)vmax * 3u);
    printf("INT32_MAX*3 wraps to %d\n", m);
    printf("addw of 0x7fffffff+0x7fffffff as long=%" PRId64 "\n",
           (int64_t)(int32_t)((uint32_t)vmax + (uint32_t)vmax));
    printf("widen(-5)=%" PRId64 " uwiden(0xffffffff)=%" PRIu64 " uwiden as signed=%" PRId64 "\n",
           widen(-5), uwiden(umax), (int64_t)uwiden(umax));

    printf("32-bit: 5/0=%d 5%%0=%d -5/0=%d\n", 5 / vz, 5 % vz, -5 / vz);
    printf("32-bit: 5u/0=%u 5u%%0=%u\n", 5u / uz, 5u % uz);
    printf("32-bit: INT32_MIN/-1=%d INT32_MIN%%-1=%d\n", vmin / vm1, vmin % vm1);
    printf("32-bit: -17/5=%d -17%%5=%d 17/-5=%d\n", -17 / (vz + 5), -17 % (vz + 5),
           17 / (vz - 5));
    printf("32-bit unsigned: %u %u\n", umax / 7u, umax % 7u);

    volatile int s31 = 31, s32 = 32;
    int32_t neg = -8;
    printf("sraw=%d srlw=%u sllw=%d mask32=%u\n", neg >> s31, (uint32_t)neg >> s31,
           (int32_t)(1u << s31), 1u << (s32 & 31));

    uint32_t h = 2166136261u; /* FNV-1a over 32-bit words */
    for (uint32_t i = 0; i < 5000; i++) {
        h ^= i * 2654435761u;
        h *= 16777619u;
        h = (h << 7) | (h >> 25);
    }
    printf("fnv32 hash=%08x signed=%d\n", h, (int32_t)h);

    int32_t arr[8] = {INT32_MIN, -1, 0, 1, INT32_MAX, -123456789, 987654321, 65536};
    int64_t sum64 = 0;
    int32_t sum32 = 0;
    for (int i = 0; i < 8; i++) {
        sum64 += arr[i];
        sum32 = (int32_t)((uint32_t)sum32 + (uint32_t)arr[i]);
        int32_t sq = (int32_t)((uint32_t)arr[i] * (uint32_t)arr[i]);
        printf("  %11d: sq32=%11d mulw>>=%d  neg=%d  not=%d\n", arr[i], sq, sq >> 3,
               (int32_t)(0u - (uint32_t)arr[i]), ~arr[i]);
    }
    printf("sum64=%" PRId64 " sum32=%d\n", sum64, sum32);
    unsigned short us = 65535;
    us++;
    signed char sc = 127;
    sc = (signed char)(sc + 1);
    printf("u16 wrap=%u i8 wrap=%d\n", us, sc);
    return (int)(h & 0xff);
}
