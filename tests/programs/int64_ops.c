/* 64-bit integer arithmetic: mul/mulh/mulhu/mulhsu via __int128, div/rem edge cases that
 * RISC-V defines (no trap: x/0 = -1, x%0 = x, INT64_MIN/-1 = INT64_MIN), shifts by 63. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static volatile int64_t vzero = 0, vminus1 = -1, vmin = INT64_MIN;
static volatile uint64_t uzero = 0;

static int64_t mulh(int64_t a, int64_t b) { return (int64_t)(((__int128)a * b) >> 64); }
static uint64_t mulhu(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}
static int64_t mulhsu(int64_t a, uint64_t b)
{
    return (int64_t)(((__int128)a * (unsigned __int128)b) >> 64);
}

int main(void)
{
    int64_t s[] = {0, 1, -1, 7, -7, 3037000499LL, -3037000500LL, INT64_MAX, INT64_MIN,
                   0x123456789abcdefLL};
    int ns = sizeof s / sizeof s[0];
    uint64_t acc = 0;
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < ns; j++) {
            volatile int64_t a = s[i], b = s[j];
            int64_t lo = (int64_t)((uint64_t)a * (uint64_t)b);
            int64_t hi = mulh(a, b);
            uint64_t hu = mulhu((uint64_t)a, (uint64_t)b);
            int64_t hsu = mulhsu(a, (uint64_t)b);
            acc = acc * 1000003 ^ (uint64_t)lo ^ (uint64_t)hi * 3 ^ hu * 5 ^ (uint64_t)hsu * 7;
            if (b != 0 && !(a == INT64_MIN && b == -1)) {
                acc += (uint64_t)(a / b) * 11 + (uint64_t)(a % b) * 13;
                acc += ((uint64_t)a / (uint64_t)b) * 17 + ((uint64_t)a % (uint64_t)b) * 19;
            }
        }
    printf("mul/div table hash=%016" PRIx64 "\n", acc);
    printf("mulh(INT64_MIN,INT64_MIN)=%" PRId64 " mulhu(max,max)=%" PRIx64 "\n",
           mulh(INT64_MIN, INT64_MIN), mulhu(UINT64_MAX, UINT64_MAX));
    printf("mulhsu(-1,UINT64_MAX)=%" PRId64 " mulhsu(INT64_MIN,2)=%" PRId64 "\n",
           mulhsu(-1, UINT64_MAX), mulhsu(INT64_MIN, 2));

    printf("7/0=%" PRId64 " 7%%0=%" PRId64 " -7/0=%" PRId64 " -7%%0=%" PRId64 "\n", 7 / vzero,
           7 % vzero, -7 / vzero, -7 % vzero);
    printf("7u/0=%" PRIx64 " 7u%%0=%" PRIu64 "\n", (uint64_t)7 / uzero, (uint64_t)7 % uzero);
    printf("INT64_MIN/-1=%" PRId64 " INT64_MIN%%-1=%" PRId64 "\n", vmin / vminus1,
           vmin % vminus1);
    printf("-7/2=%" PRId64 " -7%%2=%" PRId64 " 7/-2=%" PRId64 " 7%%-2=%" PRId64 "\n",
           (int64_t)-7 / 2, (int64_t)-7 % 2, (int64_t)7 / -2, (int64_t)7 % -2);
    volatile int64_t m7 = -7, two = 2;
    printf("volatile -7/2=%" PRId64 " -7%%2=%" PRId64 " -7>>1=%" PRId64 "\n", m7 / two,
           m7 % two, m7 >> 1);
    printf("u: %" PRIu64 " %" PRIu64 "\n", UINT64_MAX / 3, UINT64_MAX % 1000000007);

    volatile int sh = 63, sh64 = 64;
    int64_t neg = -2;
    uint64_t big = 0x8000000000000001ULL;
    printf("shifts: %" PRId64 " %" PRIx64 " %" PRIx64 " %" PRId64 "\n", neg >> sh, big >> sh,
           (uint64_t)1 << sh, INT64_MIN >> sh);
    /* RISC-V uses only the low 6 bits of the shift amount; do it explicitly to avoid UB */
    printf("masked shift by 64: %" PRIx64 "\n", big << (sh64 & 63));
    int64_t x = 0x0123456789abcdefLL;
    uint64_t rot = ((uint64_t)x << 13) | ((uint64_t)x >> 51);
    printf("rotl13=%016" PRIx64 " clz=%d ctz=%d popcount=%d\n", rot, __builtin_clzll(rot),
           __builtin_ctzll(rot), __builtin_popcountll(rot));
    printf("bswap=%016" PRIx64 "\n", __builtin_bswap64((uint64_t)x));
    int64_t y = -1000000007LL;
    printf("y*y=%" PRId64 " y*y*y=%" PRId64 " (wrapping)\n", y * y,
           (int64_t)((uint64_t)y * (uint64_t)y * (uint64_t)y));
    unsigned __int128 f = 1;
    for (int i = 1; i <= 30; i++)
        f *= (unsigned)i;
    printf("30! = 0x%016" PRIx64 "%016" PRIx64 " ; 30!/7^5 rem=%" PRIu64 "\n",
           (uint64_t)(f >> 64), (uint64_t)f, (uint64_t)(f % 16807));
    return (int)(acc & 0xff);
}
