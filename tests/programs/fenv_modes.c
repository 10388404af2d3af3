/* fenv.h: rounding modes (fesetround) observed through division, rint, nearbyint and
 * float conversions; exception flags via feclearexcept/fetestexcept. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>

#pragma STDC FENV_ACCESS ON

static volatile double one = 1.0, three = 3.0, minus_one = -1.0, zero = 0.0;
static volatile double halves[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.6, -2.6};
static volatile float fone = 1.0f, fthree = 3.0f;

static const char *mode_name(int m)
{
    switch (m) {
    case FE_TONEAREST:
        return "nearest";
    case FE_TOWARDZERO:
        return "towardzero";
    case FE_UPWARD:
        return "upward";
    case FE_DOWNWARD:
        return "downward";
    }
    return "?";
}

static void show_flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-22s flags:%s%s%s%s%s\n", what, f & FE_INEXACT ? " inexact" : "",
           f & FE_UNDERFLOW ? " underflow" : "", f & FE_OVERFLOW ? " overflow" : "",
           f & FE_DIVBYZERO ? " divbyzero" : "", f & FE_INVALID ? " invalid" : "");
}

int main(void)
{
    int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD};
    for (int m = 0; m < 4; m++) {
        if (fesetround(modes[m]) != 0) {
            printf("fesetround failed\n");
            return 1;
        }
        volatile double q = one / three, nq = minus_one / three;
        volatile float fq = fone / fthree;
        volatile double s = sqrt(three);
        printf("%-10s get=%d 1/3=%a -1/3=%a 1f/3f=%a sqrt3=%a\n", mode_name(fegetround()),
               fegetround() == modes[m], q, nq, (double)fq, s);
        printf("  rint:");
        for (int i = 0; i < 8; i++)
            printf(" %g", rint(halves[i]));
        printf("\n  nearbyint:");
        for (int i = 0; i < 8; i++)
            printf(" %g", nearbyint(halves[i]));
        printf("\n  lrint(2.5)=%ld (float)(1+2^-30)=%a\n", lrint(halves[2]),
               (double)(float)(one + 0x1p-30));
    }
    fesetround(FE_TONEAREST);

    feclearexcept(FE_ALL_EXCEPT);
    show_flags("after clear");
    volatile double r = one / three;
    show_flags("1/3");
    feclearexcept(FE_ALL_EXCEPT);
    r = one / zero;
    show_flags("1/0");
    feclearexcept(FE_ALL_EXCEPT);
    r = zero / zero;
    show_flags("0/0");
    feclearexcept(FE_ALL_EXCEPT);
    r = DBL_MAX * (three);
    show_flags("DBL_MAX*3");
    feclearexcept(FE_ALL_EXCEPT);
    r = DBL_MIN / (three * 1e10);
    show_flags("DBL_MIN/3e10");
    feclearexcept(FE_ALL_EXCEPT);
    r = sqrt(minus_one);
    show_flags("sqrt(-1)");
    feclearexcept(FE_ALL_EXCEPT);
    r = one + three;
    show_flags("1+3 (exact)");
    feclearexcept(FE_ALL_EXCEPT);
    volatile int iv = (int)(three * 1e10);
    show_flags("(int)3e10");
    feclearexcept(FE_ALL_EXCEPT);
    iv = (int)(one / three * 3.5);
    show_flags("(int)1.1666");
    feclearexcept(FE_INEXACT);
    r = one / three;
    feclearexcept(FE_INEXACT);
    show_flags("cleared inexact only");
    feraiseexcept(FE_OVERFLOW);
    show_flags("raised overflow");
    fenv_t env;
    fegetenv(&env);
    fesetround(FE_UPWARD);
    feclearexcept(FE_ALL_EXCEPT);
    fesetenv(&env);
    printf("restored env: mode=%s\n", mode_name(fegetround()));
    show_flags("restored env");
    (void)r;
    (void)iv;
    return 0;
}
