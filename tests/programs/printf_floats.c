/* printf floating-point conversions: %f %e %g %a, widths, precisions, specials. */
#include <float.h>
#include <math.h>
#include <stdio.h>

int main(void)
{
    double vals[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-300, 6.02214076e23,
                     -2.5e-5, 123456789.125, 0.1, 1.0 / 3.0, DBL_MAX, DBL_MIN, 5e-324,
                     INFINITY, -INFINITY, NAN};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = vals[i];
        printf("f=[%f] e=[%e] g=[%g] G=[%G]\n", v, v, v, v);
        printf("  .17g=[%.17g] a=[%a] A=[%A] 12.3f=[%12.3f] -12.2e=[%-12.2e|] +g=[%+g]\n",
               v, v, v, v, v, v);
    }
    printf("%.0f %.0f %.0f %.0f (round-half-even)\n", 0.5, 1.5, 2.5, -0.5);
    printf("%#.0f %#g %#x\n", 3.0, 2.0, 0);
    printf("%.30f\n", 0.1);
    printf("%.20e\n", 2.0 / 3.0);
    printf("%010.4f|%-10.1f|%+.2e\n", -3.14159, 2.75, 12345.678);
    float f = 1.1f;
    printf("float promoted: %.9g %a\n", f, f);
    printf("%g %g %g %g\n", 100000.0, 1000000.0, 1e-4, 1e-5);
    printf("%.3g %.10g %g\n", 1234567.0, 1234567.0, 0.0001234);
    return 0;
}
