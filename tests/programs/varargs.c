/* Variadic functions: va_arg with int/long/double/pointer mixes (more than 8 arguments so
 * some go on the stack), va_copy, forwarding a va_list to vsnprintf. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static long sum_ints(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

static double mixed(const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    double total = 0;
    for (const char *p = fmt; *p; p++) {
        switch (*p) {
        case 'i': total += va_arg(ap, int); break;
        case 'l': total += (double)va_arg(ap, long); break;
        case 'd': total += va_arg(ap, double); break;
        case 's': total += (double)strlen(va_arg(ap, const char *)); break;
        }
    }
    va_end(ap);
    /* second pass over the copy: print the types and values */
    printf("mixed(%s):", fmt);
    for (const char *p = fmt; *p; p++) {
        switch (*p) {
        case 'i': printf(" i=%d", va_arg(again, int)); break;
        case 'l': printf(" l=%ld", va_arg(again, long)); break;
        case 'd': printf(" d=%g", va_arg(again, double)); break;
        case 's': printf(" s=%s", va_arg(again, const char *)); break;
        }
    }
    va_end(again);
    printf(" -> %g\n", total);
    return total;
}

static int logf_(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}

static void vprint_prefixed(const char *prefix, const char *fmt, va_list ap)
{
    printf("[%s] ", prefix);
    vprintf(fmt, ap);
}

static void info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_prefixed("info", fmt, ap);
    va_end(ap);
}

int main(void)
{
    printf("sum0=%ld sum3=%ld sum12=%ld\n", sum_ints(0), sum_ints(3, 1, 2, 3),
           sum_ints(12, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, 1000000));
    double t = mixed("idlsdidldi", 1, 2.5, 3000000000L, "str", -0.25, 7, 1e10, -4L, 0.5, 9);
    mixed("dddddddddd", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0);
    char buf[40];
    int n = logf_(buf, sizeof buf, "%s=%d (%.3f) %c%c", "answer", 42, 2.0 / 3.0, 'o', 'k');
    printf("vsnprintf -> %d \"%s\"\n", n, buf);
    n = logf_(buf, 8, "%d-%d-%d", 11111, 22222, 33333);
    printf("vsnprintf truncated -> %d \"%s\"\n", n, buf);
    info("%d args: %s %x %.2e %ld %u %c %d %d %d\n", 9, "x", 255u, 12345.678, -1L, 7u, 'Z', 1,
         2, 3);
    return (int)((long)t & 0xff);
}
