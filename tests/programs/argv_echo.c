/* Prints argc and every argv entry; the exit status is argc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
    if (argv[argc] != NULL)
        printf("argv not NULL-terminated!\n");
    long sum = 0;
    for (int i = 1; i < argc; i++)
        sum += strtol(argv[i], NULL, 0);
    printf("numeric sum=%ld\n", sum);
    printf("unset variable is %s\n",
           getenv("RISCADE_SURELY_UNSET_VARIABLE") == NULL ? "NULL" : "set");
    return argc;
}
