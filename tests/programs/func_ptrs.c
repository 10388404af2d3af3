/* Function pointers: dispatch tables, callbacks, pointers returned from functions,
 * a struct of operations (vtable), and pointers to variadic and recursive functions. */
#include <stdio.h>
#include <stdlib.h>

typedef long (*binop)(long, long);

static long add(long a, long b) { return a + b; }
static long sub(long a, long b) { return a - b; }
static long mul(long a, long b) { return a * b; }
static long maxl(long a, long b) { return a > b ? a : b; }

static const struct {
    const char *name;
    binop fn;
} ops[] = {{"add", add}, {"sub", sub}, {"mul", mul}, {"max", maxl}};

static long fold(const long *v, int n, binop f, long init)
{
    for (int i = 0; i < n; i++)
        init = f(init, v[i]);
    return init;
}

static binop pick(char c)
{
    switch (c) {
    case '+': return add;
    case '-': return sub;
    case '*': return mul;
    default: return NULL;
    }
}

struct shape;
struct shape_ops {
    double (*area)(const struct shape *);
    const char *(*name)(void);
};
struct shape {
    const struct shape_ops *ops;
    double a, b;
};
static double rect_area(const struct shape *s) { return s->a * s->b; }
static double tri_area(const struct shape *s) { return 0.5 * s->a * s->b; }
static const char *rect_name(void) { return "rect"; }
static const char *tri_name(void) { return "triangle"; }
static const struct shape_ops rect_ops = {rect_area, rect_name};
static const struct shape_ops tri_ops = {tri_area, tri_name};

static int cmp_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

static long fact(long n) { return n <= 1 ? 1 : n * fact(n - 1); }

static void apply_all(void (*cbs[])(int *), int n, int *x)
{
    for (int i = 0; i < n; i++)
        cbs[i](x);
}
static void dbl(int *x) { *x *= 2; }
static void inc(int *x) { *x += 1; }
static void sq(int *x) { *x *= *x; }

int main(void)
{
    long v[] = {3, -1, 4, 1, -5, 9, 2, 6};
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("fold %s = %ld\n", ops[i].name, fold(v, 8, ops[i].fn, i == 2 ? 1 : 0));
    const char *expr = "+3*4-5*2+7";
    long acc = 0;
    for (const char *p = expr; *p; p += 2)
        acc = pick(*p)(acc, p[1] - '0');
    printf("left-to-right eval of %s = %ld, pick('/')=%s\n", expr, acc,
           pick('/') ? "fn" : "NULL");
    struct shape shapes[] = {{&rect_ops, 3, 4}, {&tri_ops, 3, 4}, {&rect_ops, 2.5, 2}};
    double total = 0;
    for (int i = 0; i < 3; i++) {
        double a = shapes[i].ops->area(&shapes[i]);
        total += a;
        printf("%s area %.2f\n", shapes[i].ops->name(), a);
    }
    int arr[] = {5, 2, 8, 1, 9, 3};
    int (*cmp)(const void *, const void *) = cmp_desc;
    qsort(arr, 6, sizeof arr[0], cmp);
    for (int i = 0; i < 6; i++)
        printf("%d ", arr[i]);
    printf("\n");
    long (*volatile fp)(long) = fact;
    printf("fact via volatile pointer: %ld\n", fp(15));
    int (*pf)(const char *, ...) = printf;
    pf("printf through a pointer: %d %s\n", 42, "ok");
    void (*cbs[])(int *) = {inc, dbl, sq, inc, dbl};
    int x = 3;
    apply_all(cbs, 5, &x);
    printf("callbacks: %d total area %.1f\n", x, total);
    return x % 256;
}
