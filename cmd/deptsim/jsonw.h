/* A compact JSON writer for jansson trees: what json_dumps(j, JSON_COMPACT) produces, several
 * times faster, because the simulators serialise a fresh tree for every request and the
 * benchmark must show them far from being the bottleneck. Keys in insertion order, UTF-8
 * written as is, the same escapes as jansson. */
#ifndef DS_JSONW_H
#define DS_JSONW_H

#include <jansson.h>
#include <stddef.h>

/* The text of j, malloc'd and NUL-terminated, its length in *len; NULL on out-of-memory. */
char *ds_json_dump(const json_t *j, size_t *len);

#endif
