/* The smallest useful mod-like program: a global, a function, main. Its ELF seeds the
   ELF loader fuzz target (tests/fuzz/test_elf.py). */
int counter = 3;

int bump(int by) {
    counter += by;
    return counter;
}

int main(void) {
    return bump(1) == 4 ? 0 : 1;
}
