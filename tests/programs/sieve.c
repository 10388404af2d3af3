/* Sieve of Eratosthenes over bytes and over a bitset, prime counting, twin primes, and a
 * modular exponentiation primality cross-check. Exit status = number of primes below 1000. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LIMIT = 30000 };

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1)
            r = (unsigned __int128)r * b % m;
        b = (unsigned __int128)b * b % m;
        e >>= 1;
    }
    return r;
}

static int miller_rabin(uint64_t n)
{
    if (n < 2)
        return 0;
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    uint64_t d = n - 1;
    int s = 0;
    while (!(d & 1)) {
        d >>= 1;
        s++;
    }
    for (int i = 0; i < 12; i++) {
        uint64_t a = bases[i];
        if (a % n == 0)
            continue;
        uint64_t x = powmod(a, d, n);
        if (x == 1 || x == n - 1)
            continue;
        int comp = 1;
        for (int r = 1; r < s && comp; r++) {
            x = (unsigned __int128)x * x % n;
            if (x == n - 1)
                comp = 0;
        }
        if (comp)
            return 0;
    }
    return 1;
}

int main(void)
{
    char *comp = calloc(LIMIT, 1);
    for (int i = 2; (long)i * i < LIMIT; i++)
        if (!comp[i])
            for (int j = i * i; j < LIMIT; j += i)
                comp[j] = 1;
    int count = 0, twins = 0, below1000 = 0, last = 0;
    for (int i = 2; i < LIMIT; i++)
        if (!comp[i]) {
            count++;
            if (i < 1000)
                below1000++;
            if (i - last == 2)
                twins++;
            last = i;
        }
    printf("primes below %d: %d (twins %d, largest %d)\n", LIMIT, count, twins, last);

    uint64_t bits[LIMIT / 64 + 1];
    memset(bits, 0xff, sizeof bits);
    bits[0] &= ~3ULL;
    for (uint64_t i = 2; i * i < LIMIT; i++)
        if (bits[i / 64] >> (i % 64) & 1)
            for (uint64_t j = i * i; j < LIMIT; j += i)
                bits[j / 64] &= ~(1ULL << (j % 64));
    int bcount = 0;
    for (int i = 0; i < LIMIT; i++)
        bcount += (int)(bits[i / 64] >> (i % 64) & 1);
    int mismatch = 0;
    for (int i = 0; i < 1000; i++)
        if (miller_rabin((uint64_t)i) != !comp[i] && i >= 2)
            mismatch++;
    printf("bitset count %d, miller-rabin mismatches below 1000: %d\n", bcount, mismatch);
    uint64_t big[] = {1000000007ULL, 1000000009ULL, 4294967291ULL, 18446744073709551557ULL,
                      18446744073709551615ULL, 9007199254740993ULL, 999999999999999989ULL};
    for (int i = 0; i < 7; i++)
        printf("%llu is %s\n", (unsigned long long)big[i],
               miller_rabin(big[i]) ? "prime" : "composite");
    free(comp);
    return below1000;
}
