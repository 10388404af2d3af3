/* Number <-> text: strtol/strtoul/strtoll (bases, signs, overflow, endptr), strtod/strtof,
 * atoi, snprintf truncation and return values, sscanf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const char *ints[] = {"42", "-17", "  +99xyz", "0x1F", "0755", "zz", "9223372036854775807",
                          "9223372036854775808", "-9223372036854775809", "1010", ""};
    int bases[] = {10, 10, 10, 0, 0, 36, 10, 10, 10, 2, 10};
    for (int i = 0; i < 11; i++) {
        char *end;
        errno = 0;
        long v = strtol(ints[i], &end, bases[i]);
        printf("strtol(\"%s\",%d)=%ld consumed=%ld erange=%d\n", ints[i], bases[i], v,
               (long)(end - ints[i]), errno == ERANGE);
    }
    errno = 0;
    unsigned long uv = strtoul("-1", NULL, 10);
    printf("strtoul(-1)=%lu ", uv);
    uv = strtoul("18446744073709551616", NULL, 10);
    printf("strtoul(2^64)=%lu erange=%d\n", uv, errno == ERANGE);
    printf("strtoll=%lld strtoull=%llu atoi=%d atol=%ld\n", strtoll("-123456789012", NULL, 10),
           strtoull("ffffffffffff", NULL, 16), atoi("  -2147483648"), atol("314159"));

    const char *dbls[] = {"3.14159", "-2.5e-3", "1e308", "1e309", "-1e-400", "0x1.8p3", "inf",
                          "-Infinity", "nan", "  .5e1abc", "4.9406564584124654e-324",
                          "2.2250738585072011e-308", "0.1", "123456789012345678901234567890"};
    for (int i = 0; i < 14; i++) {
        char *end;
        errno = 0;
        double d = strtod(dbls[i], &end);
        printf("strtod(\"%s\")=%.17g [%a] consumed=%ld erange=%d\n", dbls[i], d, d,
               (long)(end - dbls[i]), errno == ERANGE);
    }
    printf("strtof(0.1)=%a strtof(1e39)=%g\n", (double)strtof("0.1", NULL),
           (double)strtof("1e39", NULL));

    char small[10];
    int n = snprintf(small, sizeof small, "value=%d and more", 123456);
    printf("snprintf returned %d wrote \"%s\"\n", n, small);
    n = snprintf(NULL, 0, "%s-%05.1f-%x", "abc", 2.25, 255u);
    printf("snprintf size query=%d\n", n);
    char wide[80];
    snprintf(wide, sizeof wide, "%-8s|%8.3f|%+05d|%e", "left", 3.14159, 42, 0.000123);
    printf("[%s]\n", wide);

    int a, b;
    unsigned x;
    double d;
    char word[16];
    char c;
    int got = sscanf("  12 -34 0xff 2.5e2 hello! z", "%d %i %x %lf %15[a-z]! %c", &a, &b, &x, &d,
                     word, &c);
    printf("sscanf got=%d a=%d b=%d x=%u d=%g word=%s c=%c\n", got, a, b, x, d, word, c);
    got = sscanf("7,8;nine", "%d,%d;%d", &a, &b, &a);
    printf("sscanf partial got=%d a=%d b=%d\n", got, a, b);
    long long ll;
    int pos;
    got = sscanf("-9000000000 tail", "%lld%n", &ll, &pos);
    printf("sscanf ll=%lld pos=%d got=%d\n", ll, pos, got);
    got = sscanf("", "%d", &a);
    printf("sscanf empty -> %d (EOF=%d)\n", got, EOF);
    return (int)strlen(wide);
}
