/* float <-> int conversions (incl. out-of-range through volatile: RISC-V saturates),
 * NaN/inf/-0.0 behaviour, FLT_EPSILON / DBL_EPSILON arithmetic, float <-> double. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile double dv[] = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1e10, -1e10,
                               3e9, -3e9, 1e19, -1e19, 2e19, 9.3e18, -9.3e18, 4294967295.9,
                               INFINITY, -INFINITY, NAN};

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int main(void)
{
    int n = sizeof dv / sizeof dv[0];
    for (int i = 0; i < n; i++) {
        volatile double d = dv[i];
        volatile float f = (float)d;
        int32_t i32 = (int32_t)d;
        uint32_t u32 = (uint32_t)d;
        int64_t i64 = (int64_t)d;
        uint64_t u64 = (uint64_t)d;
        int32_t fi32 = (int32_t)f;
        uint64_t fu64 = (uint64_t)f;
        printf("%-14g -> i32=%d u32=%u i64=%" PRId64 " u64=%" PRIu64 " | f=%g fi32=%d fu64=%"
               PRIu64 "\n", d, i32, u32, i64, u64, (double)f, fi32, fu64);
    }
    volatile int64_t big = INT64_MAX, small = INT64_MIN;
    volatile uint64_t ubig = UINT64_MAX;
    volatile int32_t i3 = 16777217; /* 2^24 + 1: not exact in float */
    printf("(double)INT64_MAX=%.17g (float)INT64_MIN=%.9g (double)UINT64_MAX=%.17g\n",
           (double)big, (double)(float)small, (double)ubig);
    printf("(float)16777217=%.9g (double)16777217=%.17g\n", (double)(float)i3, (double)i3);
    volatile uint64_t odd = 0x20000000000001ULL;
    printf("(double)(2^53+1)=%.17g (float)u64=%.9g\n", (double)odd, (double)(float)odd);

    volatile double nz = -0.0, pz = 0.0, one = 1.0;
    printf("-0.0: %g %f %e %a signbit=%d equal-to-0=%d 1/-0=%g bits=%016" PRIx64 "\n", nz, nz,
           nz, nz, signbit(nz) != 0, nz == pz, one / nz, bits(nz));
    volatile double inf = INFINITY;
    double nan1 = inf - inf, nan2 = 0.0 * inf, nan3 = sqrt(-one);
    printf("nan: %f %g %e %F isnan=%d,%d,%d nan==nan=%d\n", nan1, nan2, nan3, nan1,
           isnan(nan1) != 0, isnan(nan2) != 0, isnan(nan3) != 0, nan1 == nan1);
    printf("canonical nan bits: inf-inf=%016" PRIx64 " sqrt(-1)=%016" PRIx64 "\n", bits(nan1),
           bits(nan3));
    volatile float finf = INFINITY, fone = 1.0f;
    float fnan = finf - finf;
    printf("float nan bits=%08x inf=%08x -inf/2=%g\n", fbits(fnan), fbits(finf),
           (double)(-finf / 2));
    printf("fmin(nan,1)=%g fmax(1,nan)=%g\n", fmin(nan1, one), fmax(one, nan1));
    printf("inf: %f %e %g %10.3f|%-10g|\n", inf, -inf, inf, inf, -inf);

    volatile float feps = FLT_EPSILON;
    volatile double deps = DBL_EPSILON;
    printf("FLT_EPSILON=%a 1+eps=%a 1+eps/2=%a 1+eps/2+eps/2=%a\n", (double)feps,
           (double)(fone + feps), (double)(fone + feps / 2), (double)(fone + feps / 2 + feps / 2));
    printf("DBL_EPSILON=%a 1+eps=%.17g 1+eps/2==1: %d\n", deps, one + deps, one + deps / 2 == one);
    printf("FLT_MAX*2=%g FLT_MIN/2=%a (subnormal) DBL_MIN/4=%a DBL_TRUE_MIN/2=%g\n",
           (double)(FLT_MAX * (fone + fone)), (double)(FLT_MIN / (fone + fone)),
           DBL_MIN / (one * 4), DBL_TRUE_MIN / (one + one));
    volatile double tricky = 0.1;
    float tf = (float)tricky;
    printf("(float)0.1=%a back=%.17g (double)(float)=%a\n", (double)tf, (double)tf, (double)tf);
    volatile double half_ulp = 1.0 + 0x1p-24; /* ties to even when narrowed to float */
    printf("narrow 1+2^-24 -> %a ; 1+3*2^-24 -> %a\n", (double)(float)half_ulp,
           (double)(float)(half_ulp + 0x1p-23));
    float acc = 0;
    for (int i = 0; i < 100; i++)
        acc += 0.1f;
    printf("sum 100 x 0.1f=%.9g bits=%08x\n", (double)acc, fbits(acc));
    return isnan(nan1) ? 0 : 1;
}
