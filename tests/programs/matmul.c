/* Matrix multiply in double (naive and blocked, which must agree to rounding) and in int64
 * modulo a prime; then a matrix power via repeated squaring. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

enum { N = 40 };

static double A[N][N], B[N][N], C[N][N], D[N][N];

static void matmul_naive(double c[N][N], double a[N][N], double b[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static void matmul_ikj(double c[N][N], double a[N][N], double b[N][N])
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            double aik = a[i][k];
            for (int j = 0; j < N; j++)
                c[i][j] += aik * b[k][j];
        }
    }
}

typedef uint64_t mat3[3][3];
static const uint64_t P = 1000000007ULL;

static void mul3(mat3 r, mat3 x, mat3 y)
{
    mat3 t;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            uint64_t s = 0;
            for (int k = 0; k < 3; k++)
                s = (s + x[i][k] * y[k][j]) % P;
            t[i][j] = s;
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i][j] = t[i][j];
}

int main(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 11) - 5.0 + 0.125 * i;
            B[i][j] = 1.0 / (1.0 + i + j);
        }
    matmul_naive(C, A, B);
    matmul_ikj(D, A, B);
    double trace = 0, maxdiff = 0, sum = 0;
    for (int i = 0; i < N; i++) {
        trace += C[i][i];
        for (int j = 0; j < N; j++) {
            sum += C[i][j];
            double d = fabs(C[i][j] - D[i][j]);
            if (d > maxdiff)
                maxdiff = d;
        }
    }
    printf("trace=%.17g sum=%.17g maxdiff(naive,ikj)=%g\n", trace, sum, maxdiff);
    printf("C[0][0]=%a C[%d][%d]=%a\n", C[0][0], N - 1, N - 1, C[N - 1][N - 1]);

    /* tribonacci(10^12) mod P by 3x3 matrix power */
    mat3 m = {{1, 1, 1}, {1, 0, 0}, {0, 1, 0}}, r = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    uint64_t e = 1000000000000ULL;
    while (e) {
        if (e & 1)
            mul3(r, r, m);
        mul3(m, m, m);
        e >>= 1;
    }
    printf("tribonacci matrix power: %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", r[0][0], r[0][1],
           r[2][2]);
    return (int)(r[0][0] % 256);
}
