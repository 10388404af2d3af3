/* Structs passed and returned by value (small, mixed int/float, large), and bitfields. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct pair {
    int a, b;
};
struct mixed {
    float x;
    double y;
};
struct fpair {
    double re, im;
};
struct big {
    long v[12];
    char tag[16];
};
struct flags {
    unsigned ready : 1;
    unsigned mode : 3;
    signed delta : 5;
    unsigned count : 12;
    uint64_t wide : 40;
    unsigned : 0;
    unsigned tail : 7;
};

static struct pair swap(struct pair p) { return (struct pair){p.b, p.a}; }

static struct mixed scale(struct mixed m, float k)
{
    m.x *= k;
    m.y *= k;
    return m;
}

static struct fpair cmul(struct fpair a, struct fpair b)
{
    return (struct fpair){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}

static struct big bump(struct big b, long d)
{
    for (int i = 0; i < 12; i++)
        b.v[i] += d * i;
    b.tag[0] = 'B';
    return b;
}

static long sum_big(struct big b)
{
    long s = 0;
    for (int i = 0; i < 12; i++)
        s += b.v[i];
    return s;
}

int main(void)
{
    struct pair p = swap((struct pair){3, -4});
    printf("pair %d %d\n", p.a, p.b);
    struct mixed m = scale((struct mixed){1.5f, -2.25}, 4.0f);
    printf("mixed %g %g\n", m.x, m.y);
    struct fpair z = {1, 1};
    for (int i = 0; i < 5; i++)
        z = cmul(z, (struct fpair){0.5, 1.5});
    printf("complex %.6f %.6f\n", z.re, z.im);
    struct big b = {{0}, "orig"};
    for (int i = 0; i < 12; i++)
        b.v[i] = i * i;
    struct big c = bump(b, 10);
    printf("big orig sum=%ld tag=%s, bumped sum=%ld tag=%s\n", sum_big(b), b.tag, sum_big(c),
           c.tag);

    struct flags f;
    memset(&f, 0, sizeof f);
    f.ready = 1;
    f.mode = 5;
    f.delta = -9;
    f.count = 4000;
    f.wide = 0xABCDEF1234ULL;
    f.tail = 100;
    printf("flags ready=%u mode=%u delta=%d count=%u wide=%llx tail=%u size=%zu\n", f.ready,
           f.mode, f.delta, f.count, (unsigned long long)f.wide, f.tail, sizeof f);
    f.mode += 4;   /* wraps in 3 bits */
    f.delta -= 10; /* wraps in 5 signed bits */
    f.count += 200;
    f.wide <<= 4;
    printf("after wrap mode=%u delta=%d count=%u wide=%llx\n", f.mode, f.delta, f.count,
           (unsigned long long)f.wide);
    unsigned char raw[sizeof f];
    memcpy(raw, &f, sizeof f);
    for (size_t i = 0; i < sizeof f; i++)
        printf("%02x", raw[i]);
    printf("\n");
    return p.a == -4 ? 0 : 1;
}
