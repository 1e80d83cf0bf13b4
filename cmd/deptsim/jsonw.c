/* Compact JSON serialisation of a jansson tree into one growing buffer. */
#include "cmd/deptsim/jsonw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static bool reserve(struct buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void put(struct buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    /* worst case every byte becomes \u00XX */
    if (!reserve(b, n * 6 + 2))
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            break;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

static void put_value(struct buf *b, const json_t *j)
{
    char num[40];
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        bool first = true;
        put(b, "{", 1);
        json_object_foreach((json_t *)j, key, v)
        {
            if (!first)
                put(b, ",", 1);
            first = false;
            put_string(b, key, strlen(key));
            put(b, ":", 1);
            put_value(b, v);
        }
        put(b, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                put(b, ",", 1);
            put_value(b, json_array_get(j, i));
        }
        put(b, "]", 1);
        break;
    }
    case JSON_STRING:
        put_string(b, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        put(b, num, (size_t)n);
        break;
    }
    case JSON_REAL: {
        /* as jansson: shortest round-trip form, always recognisable as a real */
        int n = snprintf(num, sizeof num, "%.17g", json_real_value(j));
        if (n > 0 && !strpbrk(num, ".eE") && n + 2 < (int)sizeof num) {
            memcpy(num + n, ".0", 3);
            n += 2;
        }
        put(b, num, (size_t)n);
        break;
    }
    case JSON_TRUE:
        put(b, "true", 4);
        break;
    case JSON_FALSE:
        put(b, "false", 5);
        break;
    default:
        put(b, "null", 4);
        break;
    }
}

char *ds_json_dump(const json_t *j, size_t *len)
{
    struct buf b = {0};
    if (!j)
        return NULL;
    put_value(&b, j);
    if (!reserve(&b, 0)) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
}
