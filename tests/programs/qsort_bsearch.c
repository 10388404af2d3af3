/* qsort and bsearch from libc on ints, strings and structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    int key;
    int order;
};

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->order - y->order; /* makes the sort stable by construction */
}

int main(void)
{
    enum { N = 2000 };
    static int a[N];
    unsigned s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (int)(s >> 4) % 10000 - 5000;
    }
    qsort(a, N, sizeof a[0], cmp_int);
    for (int i = 1; i < N; i++)
        if (a[i - 1] > a[i]) {
            printf("not sorted at %d\n", i);
            return 1;
        }
    printf("min=%d max=%d median=%d\n", a[0], a[N - 1], a[N / 2]);
    int found = 0, missing = 0;
    for (int k = -5000; k < 5000; k += 7) {
        if (bsearch(&k, a, N, sizeof a[0], cmp_int))
            found++;
        else
            missing++;
    }
    printf("bsearch found=%d missing=%d\n", found, missing);

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry",
                           "grape", "kiwi", "lemon", "mango", "apple", "Zebra", "zebra"};
    int nw = sizeof words / sizeof words[0];
    qsort(words, nw, sizeof words[0], cmp_str);
    for (int i = 0; i < nw; i++)
        printf("%s%c", words[i], i + 1 < nw ? ' ' : '\n');
    const char *key = "kiwi";
    const char **hit = bsearch(&key, words, nw, sizeof words[0], cmp_str);
    printf("kiwi at index %ld\n", hit ? (long)(hit - words) : -1L);

    struct rec r[300];
    for (int i = 0; i < 300; i++) {
        s = s * 1664525u + 1013904223u;
        r[i].key = (int)(s >> 28);
        r[i].order = i;
    }
    qsort(r, 300, sizeof r[0], cmp_rec);
    unsigned long h = 0;
    for (int i = 0; i < 300; i++)
        h = h * 131 + (unsigned long)(r[i].key * 1000 + r[i].order);
    printf("struct sort hash=%lu first=(%d,%d) last=(%d,%d)\n", h, r[0].key, r[0].order,
           r[299].key, r[299].order);
    return 0;
}
