/* Arbitrary-precision arithmetic on base-10^9 limbs: 200!, 2^1000, Fibonacci(1000), with
 * 64-bit intermediate products and divisions. Exit status = digit sum of 2^1000 & 0xff. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { LIMBS = 80, BASE = 1000000000 };

struct big {
    uint32_t d[LIMBS]; /* little-endian limbs */
    int n;
};

static void set(struct big *b, uint32_t v)
{
    memset(b, 0, sizeof *b);
    b->d[0] = v;
    b->n = 1;
}

static void mul_small(struct big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)(t % BASE);
        carry = t / BASE;
    }
    while (carry) {
        b->d[b->n++] = (uint32_t)(carry % BASE);
        carry /= BASE;
    }
}

static void add(struct big *r, const struct big *a, const struct big *b)
{
    uint32_t carry = 0;
    int n = a->n > b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        uint32_t t = (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0) + carry;
        carry = t >= BASE;
        r->d[i] = carry ? t - BASE : t;
    }
    r->n = n;
    if (carry)
        r->d[r->n++] = 1;
}

static uint32_t div_small(struct big *b, uint32_t m) /* returns remainder */
{
    uint64_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint64_t cur = rem * BASE + b->d[i];
        b->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    while (b->n > 1 && b->d[b->n - 1] == 0)
        b->n--;
    return (uint32_t)rem;
}

static int print(const char *label, const struct big *b)
{
    char buf[LIMBS * 9 + 1];
    int len = sprintf(buf, "%u", b->d[b->n - 1]);
    for (int i = b->n - 2; i >= 0; i--)
        len += sprintf(buf + len, "%09u", b->d[i]);
    int sum = 0;
    for (int i = 0; i < len; i++)
        sum += buf[i] - '0';
    printf("%s has %d digits, digit sum %d\n  %s\n", label, len, sum, buf);
    return sum;
}

int main(void)
{
    struct big f;
    set(&f, 1);
    for (uint32_t i = 2; i <= 200; i++)
        mul_small(&f, i);
    print("200!", &f);
    int zeros = 0;
    struct big g = f;
    while (div_small(&g, 10) == 0)
        zeros++;
    printf("200! trailing zeros: %d, mod 1000003 = %u\n", zeros, div_small(&f, 1000003));

    struct big p;
    set(&p, 1);
    for (int i = 0; i < 1000; i += 25)
        mul_small(&p, 1u << 25);
    int ds = print("2^1000", &p);

    struct big a, b, c;
    set(&a, 0);
    set(&b, 1);
    for (int i = 0; i < 1000; i++) {
        add(&c, &a, &b);
        a = b;
        b = c;
    }
    print("fib(1000)", &a);
    return ds & 0xff;
}
