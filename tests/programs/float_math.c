/* libm and hardware floating point: sqrt, fma, transcendental functions, rounding helpers.
 * Results are printed with %.17g and %a so every bit shows. */
#include <math.h>
#include <stdio.h>

static volatile double vd[] = {0.5, 2.0, -1.25, 10.0, 1e-3, 123.456, -0.0, 3.0};

int main(void)
{
    int n = sizeof vd / sizeof vd[0];
    for (int i = 0; i < n; i++) {
        double x = vd[i];
        printf("x=%g sqrt=%.17g sin=%.17g cos=%.17g\n", x, sqrt(fabs(x)), sin(x), cos(x));
        printf("  exp=%.17g log=%.17g pow(x,1.5)=%.17g atan2(x,1.5)=%.17g\n", exp(x),
               log(fabs(x) + 1.0), pow(fabs(x), 1.5), atan2(x, 1.5));
        printf("  floor=%g ceil=%g round=%g trunc=%g fmod(x,0.3)=%.17g\n", floor(x * 3.3),
               ceil(x * 3.3), round(x * 3.3), trunc(x * 3.3), fmod(x, 0.3));
    }
    volatile double a = 0.1, b = 10.0, c = -1.0;
    volatile double prod = a * b; /* a separate rounding: no contraction into fma */
    printf("fma(0.1,10,-1)=%a  rounded twice=%a\n", fma(a, b, c), prod + c);
    volatile float fa = 0.1f, fb = 10.0f, fc = -1.0f;
    volatile float fprod = fa * fb;
    printf("fmaf(0.1f,10f,-1f)=%a  rounded twice=%a\n", (double)fmaf(fa, fb, fc),
           (double)(fprod + fc));
    printf("sqrtf(2)=%.9g sqrt(2)=%.17g\n", (double)sqrtf((float)vd[1]), sqrt(vd[1]));
    printf("hypot=%.17g cbrt=%.17g tan=%.17g asin=%.17g acos=%.17g atan=%.17g\n",
           hypot(3.0, vd[1] * 2), cbrt(vd[5]), tan(vd[0]), asin(vd[0]), acos(vd[0]),
           atan(vd[3]));
    printf("sinh=%.17g cosh=%.17g tanh=%.17g log2=%.17g log10=%.17g expm1=%.17g\n",
           sinh(vd[0]), cosh(vd[0]), tanh(vd[0]), log2(vd[5]), log10(vd[5]), expm1(vd[4]));
    printf("sinf=%.9g cosf=%.9g expf=%.9g logf=%.9g powf=%.9g\n", (double)sinf((float)vd[0]),
           (double)cosf((float)vd[0]), (double)expf((float)vd[1]), (double)logf((float)vd[5]),
           (double)powf((float)vd[1], 0.5f));
    printf("copysign=%g fmin=%g fmax=%g fabs=%g fdim=%g\n", copysign(3.0, vd[6]),
           fmin(vd[2], vd[3]), fmax(vd[2], vd[3]), fabs(vd[2]), fdim(vd[3], vd[1]));
    int e;
    double fr = frexp(vd[5], &e);
    printf("frexp(123.456)=%.17g * 2^%d ldexp=%g modf:", fr, e, ldexp(fr, e));
    double ip;
    double fp = modf(vd[5], &ip);
    printf(" %g + %.17g\n", ip, fp);
    printf("lround(2.5)=%ld lround(-2.5)=%ld llrint(2.5)=%lld\n", lround(vd[1] + 0.5),
           lround(-vd[1] - 0.5), llrint(vd[1] + 0.5));
    /* a small numerical integration */
    double sum = 0.0;
    for (int i = 0; i < 2000; i++) {
        double t = (i + 0.5) / 2000.0;
        sum += 4.0 / (1.0 + t * t);
    }
    printf("pi ~ %.15f (err %.3e)\n", sum / 2000.0, sum / 2000.0 - M_PI);
    float fs = 0.0f;
    for (int i = 1; i <= 1000; i++)
        fs += 1.0f / (float)i;
    printf("harmonic(1000) float=%.9g\n", (double)fs);
    return 0;
}
