/* C11 <stdatomic.h> and __sync builtins on 8/16/32/64-bit objects (single-threaded, so the
 * results are deterministic; this exercises LR/SC and AMO instructions). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

static _Atomic int32_t a32 = 10;
static _Atomic int64_t a64 = 1LL << 40;
static _Atomic uint32_t au32 = 0xF0F0F0F0u;
static _Atomic uint8_t a8 = 250;
static _Atomic uint16_t a16 = 65530;
static atomic_flag flag = ATOMIC_FLAG_INIT;
static int32_t s32 = 100;
static int64_t s64 = -5;
static unsigned char s8 = 200;
static short s16 = -3;

int main(void)
{
    int32_t old = atomic_fetch_add(&a32, 5);
    printf("fetch_add32 old=%d new=%d\n", old, atomic_load(&a32));
    old = atomic_fetch_sub_explicit(&a32, 20, memory_order_relaxed);
    printf("fetch_sub32 old=%d new=%d\n", old, atomic_load_explicit(&a32, memory_order_acquire));
    int64_t old64 = atomic_fetch_add(&a64, -(1LL << 41));
    printf("fetch_add64 old=%" PRId64 " new=%" PRId64 "\n", old64, atomic_load(&a64));
    uint32_t r_or = atomic_fetch_or(&au32, 0x0F);
    uint32_t r_and = atomic_fetch_and(&au32, 0xFF00FF0Fu);
    uint32_t r_xor = atomic_fetch_xor(&au32, 0xFFFFFFFFu);
    printf("fetch_or=%x fetch_and=%x fetch_xor=%x final=%x\n", r_or, r_and, r_xor,
           atomic_load(&au32));

    int32_t expected = -5;
    _Bool ok = atomic_compare_exchange_strong(&a32, &expected, 77);
    printf("cas32 ok=%d expected=%d value=%d\n", ok, expected, atomic_load(&a32));
    expected = 999;
    ok = atomic_compare_exchange_strong(&a32, &expected, 1);
    printf("cas32 (fail) ok=%d expected=%d value=%d\n", ok, expected, atomic_load(&a32));
    int64_t e64 = atomic_load(&a64);
    while (!atomic_compare_exchange_weak(&a64, &e64, e64 * 3))
        ;
    printf("cas64 weak loop value=%" PRId64 "\n", atomic_load(&a64));
    printf("exchange32 old=%d ", atomic_exchange(&a32, -123));
    printf("now=%d\n", atomic_load(&a32));
    printf("exchange64 old=%" PRId64 " ", atomic_exchange(&a64, INT64_MIN));
    printf("now=%" PRId64 "\n", atomic_load(&a64));
    atomic_store(&a64, 0x7fffffffffffffffLL);
    printf("fetch_add64 wraps: old=%" PRId64 " ", atomic_fetch_add(&a64, 1));
    printf("now=%" PRId64 "\n", atomic_load(&a64));

    printf("u8 fetch_add old=%u ", atomic_fetch_add(&a8, 10));
    printf("now=%u\n", atomic_load(&a8));
    printf("u16 fetch_add old=%u ", atomic_fetch_add(&a16, 10));
    printf("now=%u\n", atomic_load(&a16));
    uint16_t e16 = 4;
    ok = atomic_compare_exchange_strong(&a16, &e16, 4444);
    printf("cas16 ok=%d value=%u\n", ok, atomic_load(&a16));

    int f1 = atomic_flag_test_and_set(&flag);
    int f2 = atomic_flag_test_and_set(&flag);
    printf("flag: %d %d ", f1, f2);
    atomic_flag_clear(&flag);
    printf("%d\n", atomic_flag_test_and_set(&flag));
    atomic_thread_fence(memory_order_seq_cst);

    int32_t r1 = __sync_add_and_fetch(&s32, 11);
    int32_t r2 = __sync_fetch_and_sub(&s32, 1);
    printf("sync add_and_fetch=%d fetch_and_sub=%d\n", r1, r2);
    r1 = __sync_val_compare_and_swap(&s32, 110, 5);
    printf("sync val_cas=%d (now %d) ", r1, s32);
    r2 = __sync_bool_compare_and_swap(&s32, 5, 9);
    printf("bool_cas=%d (now %d)\n", r2, s32);
    int64_t q1 = __sync_or_and_fetch(&s64, 0x100);
    int64_t q2 = __sync_and_and_fetch(&s64, 0xFFFF);
    int64_t q3 = __sync_xor_and_fetch(&s64, 0xAAAA);
    printf("sync64 or=%" PRId64 " and=%" PRId64 " xor=%" PRId64 "\n", q1, q2, q3);
    printf("sync lock_test_and_set=%" PRId64 " ", __sync_lock_test_and_set(&s64, 31));
    __sync_lock_release(&s64);
    printf("after release=%" PRId64 "\n", s64);
    unsigned b1 = __sync_fetch_and_add(&s8, 100);
    printf("sync8 fetch_add=%u now=%u ", b1, s8);
    b1 = __sync_val_compare_and_swap(&s8, 44, 1);
    printf("cas8=%u now=%u\n", b1, s8);
    short h1 = __sync_fetch_and_nand(&s16, 0x0ff0);
    printf("sync16 nand=%d now=%d\n", h1, s16);
    __sync_synchronize();

    int64_t mn = 50, mx = -50;
    __atomic_fetch_min(&mn, -7, __ATOMIC_SEQ_CST);
    __atomic_fetch_max(&mx, 99, __ATOMIC_SEQ_CST);
    uint32_t umn = 0x80000000u;
    __atomic_fetch_min(&umn, 5u, __ATOMIC_SEQ_CST);
    printf("amomin/max: %" PRId64 " %" PRId64 " minu=%u\n", mn, mx, umn);
    return atomic_load(&a8) & 0xff;
}
