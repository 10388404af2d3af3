/* Pointer-heavy data structures: a singly linked list (build, reverse, merge sort), a binary
 * search tree (insert, delete, in-order walk, height) and a small hash table with chaining. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    int val;
    struct node *next;
};

static struct node *push(struct node *head, int v)
{
    struct node *n = malloc(sizeof *n);
    n->val = v;
    n->next = head;
    return n;
}

static struct node *reverse(struct node *h)
{
    struct node *prev = NULL;
    while (h) {
        struct node *nx = h->next;
        h->next = prev;
        prev = h;
        h = nx;
    }
    return prev;
}

static struct node *msort(struct node *h)
{
    if (!h || !h->next)
        return h;
    struct node *slow = h, *fast = h->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    struct node *b = slow->next;
    slow->next = NULL;
    struct node *a = msort(h);
    b = msort(b);
    struct node head = {0, NULL}, *t = &head;
    while (a && b) {
        if (a->val <= b->val) {
            t->next = a;
            a = a->next;
        } else {
            t->next = b;
            b = b->next;
        }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

struct tree {
    int key;
    struct tree *l, *r;
};

static struct tree *insert(struct tree *t, int k)
{
    if (!t) {
        t = calloc(1, sizeof *t);
        t->key = k;
        return t;
    }
    if (k < t->key)
        t->l = insert(t->l, k);
    else if (k > t->key)
        t->r = insert(t->r, k);
    return t;
}

static struct tree *delete(struct tree *t, int k)
{
    if (!t)
        return NULL;
    if (k < t->key) {
        t->l = delete(t->l, k);
    } else if (k > t->key) {
        t->r = delete(t->r, k);
    } else if (!t->l || !t->r) {
        struct tree *c = t->l ? t->l : t->r;
        free(t);
        return c;
    } else {
        struct tree *s = t->r;
        while (s->l)
            s = s->l;
        t->key = s->key;
        t->r = delete(t->r, s->key);
    }
    return t;
}

static int height(const struct tree *t)
{
    if (!t)
        return 0;
    int a = height(t->l), b = height(t->r);
    return 1 + (a > b ? a : b);
}

static long walk(const struct tree *t, long acc, int *count)
{
    if (!t)
        return acc;
    acc = walk(t->l, acc, count);
    acc = acc * 31 + t->key;
    (*count)++;
    return walk(t->r, acc, count);
}

static void free_tree(struct tree *t)
{
    if (t) {
        free_tree(t->l);
        free_tree(t->r);
        free(t);
    }
}

struct entry {
    char key[16];
    int value;
    struct entry *next;
};

static unsigned hash_str(const char *s)
{
    unsigned h = 0;
    while (*s)
        h = h * 131 + (unsigned char)*s++;
    return h;
}

int main(void)
{
    struct node *list = NULL;
    unsigned seed = 7;
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        list = push(list, (int)(seed >> 16) % 1000);
    }
    list = reverse(list);
    printf("first after reverse: %d %d %d\n", list->val, list->next->val,
           list->next->next->val);
    list = msort(list);
    long h = 0;
    int n = 0, sorted = 1;
    for (struct node *p = list; p; p = p->next, n++) {
        h = h * 17 + p->val;
        if (p->next && p->val > p->next->val)
            sorted = 0;
    }
    printf("list n=%d sorted=%d hash=%ld\n", n, sorted, h);
    while (list) {
        struct node *nx = list->next;
        free(list);
        list = nx;
    }

    struct tree *t = NULL;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        t = insert(t, (int)(seed >> 12) % 5000);
    }
    int count = 0;
    long acc = walk(t, 0, &count);
    printf("tree nodes=%d height=%d walk=%ld\n", count, height(t), acc);
    for (int k = 0; k < 5000; k += 3)
        t = delete(t, k);
    count = 0;
    acc = walk(t, 0, &count);
    printf("after deletes nodes=%d height=%d walk=%ld root=%d\n", count, height(t), acc,
           t ? t->key : -1);
    free_tree(t);

    struct entry *table[64] = {0};
    const char *words[] = {"alpha", "beta", "gamma", "delta", "alpha", "beta", "alpha",
                           "omega", "gamma", "alpha"};
    for (int i = 0; i < 10; i++) {
        unsigned b = hash_str(words[i]) % 64;
        struct entry *e = table[b];
        while (e && strcmp(e->key, words[i]))
            e = e->next;
        if (!e) {
            e = calloc(1, sizeof *e);
            strcpy(e->key, words[i]);
            e->next = table[b];
            table[b] = e;
        }
        e->value++;
    }
    for (int b = 0; b < 64; b++)
        for (struct entry *e = table[b]; e;) {
            printf("bucket %2d: %s=%d\n", b, e->key, e->value);
            struct entry *nx = e->next;
            free(e);
            e = nx;
        }
    return sorted ? 0 : 1;
}
