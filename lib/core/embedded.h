/* Files compiled into the binary by cmake/embed.cmake: the migrations, in file-name order,
 * and the OpenAPI document. All data is static and NUL-terminated; nobody frees it. */
#ifndef GP_EMBEDDED_H
#define GP_EMBEDDED_H

#include <stddef.h>

struct gp_embedded_file {
    const char *name;
    const char *data;
    size_t len;
};

/* Sorted by name; terminated by an entry whose name is NULL. */
extern const struct gp_embedded_file gp_embedded_migrations[];
extern const size_t gp_embedded_migrations_count;
extern const struct gp_embedded_file gp_embedded_openapi;

#endif
