/* Large stack use: a 200 KB local array and ~10000 levels of recursion. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t fill_and_hash(int seed)
{
    uint64_t buf[200 * 1024 / 8]; /* 200 KiB in one frame */
    for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++)
        buf[i] = i * 0x9E3779B97F4A7C15ULL + (uint64_t)seed;
    memset((char *)buf + 1001, 0xAB, 5000); /* unaligned, inside the frame */
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++)
        h = (h ^ buf[i]) * 0x100000001B3ULL;
    return (uint32_t)(h ^ (h >> 32));
}

static long deep(int n, volatile char *parent)
{
    volatile char frame[32];
    frame[0] = (char)n;
    frame[31] = parent ? parent[0] : 0;
    if (n == 0)
        return 0;
    return deep(n - 1, frame) + frame[0] + (frame[31] & 1);
}

struct node {
    int depth;
    struct node *up;
};

static int chain(struct node *up, int n)
{
    struct node here = {up ? up->depth + 1 : 0, up};
    if (n == 0) {
        int count = 0;
        for (struct node *p = &here; p; p = p->up)
            count++;
        return count;
    }
    return chain(&here, n - 1);
}

int main(void)
{
    uint32_t h1 = fill_and_hash(1), h2 = fill_and_hash(2);
    printf("200KB frame hashes: %08x %08x\n", h1, h2);
    printf("deep(10000) = %ld\n", deep(10000, NULL));
    printf("chain(8000) walked %d frames\n", chain(NULL, 8000));
    return (int)((h1 ^ h2) & 0x7f);
}
