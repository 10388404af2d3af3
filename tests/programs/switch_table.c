/* Dense switches that compile to jump tables (at -O2), a sparse switch, and fallthrough. */
#include <stdio.h>

static int dense(int x)
{
    switch (x) {
    case 0: return 17;
    case 1: return -3;
    case 2: return 99;
    case 3: return 4;
    case 4: return 1000;
    case 5: return -77;
    case 6: return 6;
    case 7: return 123;
    case 8: return 8;
    case 9: return -9;
    case 10: return 31;
    case 11: return 12345;
    case 12: return 0;
    case 13: return 13;
    case 14: return -140;
    case 15: return 15;
    default: return -1;
    }
}

static const char *day(unsigned d)
{
    switch (d % 7) {
    case 0: return "Sun";
    case 1: return "Mon";
    case 2: return "Tue";
    case 3: return "Wed";
    case 4: return "Thu";
    case 5: return "Fri";
    case 6: return "Sat";
    }
    return "???";
}

static int sparse(long x)
{
    switch (x) {
    case -1000000: return 1;
    case 3: return 2;
    case 77: return 3;
    case 1024: return 4;
    case 65536: return 5;
    case 0x7fffffffL: return 6;
    case 0x100000000L: return 7;
    default: return 0;
    }
}

static int fallthrough(int x)
{
    int acc = 0;
    switch (x) {
    case 5:
        acc += 50;
        /* fallthrough */
    case 4:
        acc += 40;
        /* fallthrough */
    case 3:
        acc += 30;
        break;
    case 2:
        acc += 20;
        /* fallthrough */
    default:
        acc += 1;
    }
    return acc;
}

static char classify(unsigned char c)
{
    switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u':
        return 'V';
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return 'D';
    case ' ': case '\t': case '\n':
        return '_';
    default:
        return (c >= 'a' && c <= 'z') ? 'C' : '?';
    }
}

int main(void)
{
    long total = 0;
    for (int round = 0; round < 200; round++)
        for (int x = -2; x < 19; x++)
            total += dense(x) * (round % 5 + 1);
    printf("dense total=%ld\n", total);
    for (int x = -1; x <= 16; x++)
        printf("%d ", dense(x));
    printf("\n");
    for (unsigned d = 0; d < 10; d++)
        printf("%s ", day(d));
    printf("\n");
    long probes[] = {-1000000, 3, 4, 77, 1024, 65536, 0x7fffffffL, 0x100000000L, 0x100000001L};
    for (int i = 0; i < 9; i++)
        printf("sparse(%ld)=%d\n", probes[i], sparse(probes[i]));
    for (int x = 0; x <= 6; x++)
        printf("fallthrough(%d)=%d\n", x, fallthrough(x));
    const char *text = "hello world 2024, riscv64 in python!";
    for (const char *p = text; *p; p++)
        putchar(classify((unsigned char)*p));
    putchar('\n');
    return (int)(total & 0xff);
}
