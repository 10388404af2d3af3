/* printf integer conversions: signs, widths, precisions, flags, length modifiers. */
#include <limits.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    int vals[] = {0, 1, -1, 42, -42, 255, -256, 65535, INT_MAX, INT_MIN};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int v = vals[i];
        printf("[%d] [%i] [%5d] [%-5d|] [%+d] [% d] [%05d] [%.3d] [%8.4d]\n",
               v, v, v, v, v, v, v, v, v);
        printf("  u=%u x=%x X=%X o=%o #x=%#x #o=%#o\n",
               (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v);
    }
    long lv[] = {0L, -1L, LONG_MAX, LONG_MIN, 0x123456789abcdefL};
    for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++)
        printf("ld=%ld lu=%lu lx=%lx lo=%lo\n", lv[i], (unsigned long)lv[i],
               (unsigned long)lv[i], (unsigned long)lv[i]);
    long long llv[] = {0LL, -9LL, LLONG_MAX, LLONG_MIN};
    for (unsigned i = 0; i < sizeof llv / sizeof llv[0]; i++)
        printf("lld=%lld llx=%llx %020llu\n", llv[i], (unsigned long long)llv[i],
               (unsigned long long)llv[i]);
    printf("hh: %hhd %hhu %hd %hu\n", (signed char)-3, (unsigned char)250, (short)-30000,
           (unsigned short)60000);
    printf("j/z/t: %jd %zu %td\n", (intmax_t)-77, (size_t)123456789, (ptrdiff_t)-5);
    printf("PRI: %" PRId64 " %" PRIu32 " %" PRIx64 "\n", (int64_t)-1234567890123,
           (uint32_t)4000000000u, (uint64_t)0xdeadbeefcafebabeULL);
    printf("chars: [%c][%3c][%-3c]\n", 'A', 'b', 'z');
    printf("strings: [%s] [%10s] [%-10s] [%.3s] [%*s] [%-*.*s]\n", "riscv", "right", "left",
           "truncate", 6, "star", 8, 2, "precise");
    printf("percent: 100%%\n");
    int n = 0;
    printf("count me%n\n", &n);
    printf("n=%d\n", n);
    return 0;
}
