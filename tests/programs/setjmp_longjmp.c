/* setjmp/longjmp: non-local exits from nested calls, values, volatile locals, re-entry,
 * and floating-point callee-saved registers surviving the jump. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static jmp_buf retry_env;
static int calls;

static void deep(int n)
{
    calls++;
    if (n == 0)
        longjmp(env, 42);
    deep(n - 1);
    printf("never printed\n");
}

static int parse_digit(char c)
{
    if (c < '0' || c > '9')
        longjmp(retry_env, c);
    return c - '0';
}

static double fp_work(double x)
{
    double a = x * 1.5, b = x + 0.25, c = x / 3.0;
    if (x > 2.0)
        longjmp(env, 7);
    return a + b + c;
}

int main(void)
{
    volatile int stage = 0;
    int r = setjmp(env);
    if (r == 0) {
        stage = 1;
        deep(50);
    }
    printf("returned from setjmp r=%d stage=%d calls=%d\n", r, stage, calls);

    /* longjmp with 0 must make setjmp return 1 */
    volatile int zero_seen = 0;
    if (setjmp(env) == 0) {
        longjmp(env, 0);
    } else {
        zero_seen = 1;
    }
    printf("longjmp(env,0) gave nonzero: %d\n", zero_seen);

    const char *inputs[] = {"123", "4x6", "789", "?!"};
    for (int i = 0; i < 4; i++) {
        volatile int sum = 0;
        int bad = setjmp(retry_env);
        if (bad) {
            printf("input %s: bad char '%c' after partial sum %d\n", inputs[i], bad, sum);
            continue;
        }
        for (const char *p = inputs[i]; *p; p++)
            sum += parse_digit(*p);
        printf("input %s: digit sum %d\n", inputs[i], sum);
    }

    volatile double keep = 1.25;
    register double live = keep * 4.0;
    volatile double total = 0;
    for (volatile int i = 0; i < 5; i++) {
        if (setjmp(env) == 0)
            total += fp_work(i);
        else
            total += 1000;
    }
    printf("fp total=%.6f live=%g keep=%g\n", total, live, keep);
    return stage + calls; /* 1 + 51 */
}
