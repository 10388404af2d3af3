/* string.h: memcpy, memmove with overlap, memset, memcmp, memchr, strcmp, strncmp, strstr,
 * strchr/strrchr, strtok, strncpy, strcat, strspn/strcspn, strlen of long strings. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char big[30000];
static char big2[30000];

static uint32_t hash(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 5381;
    for (size_t i = 0; i < n; i++)
        h = h * 33 ^ b[i];
    return h;
}

int main(void)
{
    char buf[64];
    strcpy(buf, "0123456789abcdefghij");
    memmove(buf + 4, buf, 10); /* overlap, forward */
    printf("memmove fwd: %s\n", buf);
    strcpy(buf, "0123456789abcdefghij");
    memmove(buf, buf + 5, 12); /* overlap, backward */
    printf("memmove back: %s\n", buf);
    for (int off = 0; off < 8; off++) { /* unaligned copies of every length class */
        unsigned char src[80], dst[96];
        for (int i = 0; i < 80; i++)
            src[i] = (unsigned char)(i * 7 + off);
        memset(dst, 0xEE, sizeof dst);
        memcpy(dst + off, src + (7 - off), 33 + off * 5);
        printf("memcpy off=%d hash=%08x\n", off, hash(dst, sizeof dst));
    }
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    big[12345] = 'Q';
    printf("strlen(big)=%zu strchr Q at %ld strrchr x at %ld\n", strlen(big),
           (long)(strchr(big, 'Q') - big), (long)(strrchr(big, 'x') - big));
    memcpy(big2, big, sizeof big);
    printf("memcmp equal=%d strcmp equal=%d\n", memcmp(big, big2, sizeof big),
           strcmp(big, big2));
    big2[25000] = 'y';
    printf("memcmp sign=%d strcmp sign=%d strncmp(25000)=%d\n",
           memcmp(big, big2, sizeof big) < 0, strcmp(big, big2) < 0,
           strncmp(big, big2, 25000));
    printf("memchr Q=%ld memchr Z=%s\n", (long)((char *)memchr(big, 'Q', sizeof big) - big),
           memchr(big, 'Z', sizeof big) ? "found" : "NULL");
    memcpy(big + 20000, "needle in a haystack", 20);
    char *hit = strstr(big, "needle in a hay");
    printf("strstr at %ld, missing=%s\n", hit ? (long)(hit - big) : -1L,
           strstr(big, "needle in a hax") ? "found" : "NULL");
    const char *cmps[][2] = {{"abc", "abd"}, {"abc", "abc"}, {"b", "abc"}, {"", "a"},
                             {"\xff", "a"}, {"abc", "ab"}};
    for (int i = 0; i < 6; i++) {
        int c = strcmp(cmps[i][0], cmps[i][1]);
        printf("strcmp #%d -> %d\n", i, (c > 0) - (c < 0));
    }
    char line[] = "  alpha,beta;;gamma , delta,,epsilon  ";
    int count = 0;
    for (char *tok = strtok(line, ",; "); tok; tok = strtok(NULL, ",; "))
        printf("token %d: [%s]\n", count++, tok);
    char dst[12];
    memset(dst, '#', sizeof dst);
    strncpy(dst, "abc", sizeof dst);
    printf("strncpy pads:");
    for (size_t i = 0; i < sizeof dst; i++)
        printf(" %d", dst[i]);
    printf("\n");
    strncpy(dst, "this is longer than twelve", sizeof dst);
    printf("strncpy truncates (no NUL): %.12s\n", dst);
    char cat[64] = "foo";
    strcat(cat, "bar");
    strncat(cat, "bazqux", 3);
    printf("strcat: %s len=%zu\n", cat, strlen(cat));
    printf("strspn=%zu strcspn=%zu strpbrk=%s\n", strspn("aabbcxyz", "abc"),
           strcspn("hello, world", ",!"), strpbrk("hello, world", "ow"));
    printf("strnlen=%zu\n", strnlen("abcdef", 4));
    return count;
}
