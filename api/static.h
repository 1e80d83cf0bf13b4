/* The page: web/ (and the design system's files) served by `glasplade serve`.
 *
 * Every file is read once, when the server starts, into a table in memory; a request names a
 * file of that table or gets a 404, so no path of a request ever reaches the file system (a
 * "..", an encoded slash or a symbolic link cannot lead anywhere the table does not hold).
 *
 *   GET /, /web/, /web/index.html   the page, with {{BUILD}} replaced by the build (no-cache)
 *   GET /web/config.json            the page's settings: build, OIDC issuer and client id
 *   GET /web/<build>/<file>         an asset; <build> is a hash of every file's content, so
 *                                   an asset's URL changes whenever any file does: cached for
 *                                   a year, immutable
 *   GET /web/<build>/dkfds/<file>   the design system's css/, fonts/ and img/
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles, fonts and images
 * only from this origin, nothing inline; connections to this origin and the OIDC issuer),
 * Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff. */
#ifndef GP_STATIC_H
#define GP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

struct gp_config;
struct gp_request;
struct gp_static;

/* Reads the page's files per cfg (GLASPLADE_WEB_DIR, GLASPLADE_WEB_VENDOR_DIR, the OIDC
 * settings). A missing folder is not an error: the server then serves no page (404), and the
 * log says why. Never NULL. */
struct gp_static *gp_static_load(const struct gp_config *cfg);
void gp_static_free(struct gp_static *st);

/* The build: 16 hex digits of SHA-256 over every file's path and content. */
const char *gp_static_build(const struct gp_static *st);
/* Number of files held. */
size_t gp_static_count(const struct gp_static *st);

/* True when path (no query) is the page's: "/" or under "/web/". */
bool gp_static_path(const char *path);

/* Answers a request for a path of the page (gp_static_path): 200, 404, or 405 for a method
 * other than GET and HEAD. */
void gp_static_answer(struct gp_request *req, const char *method, const char *path);

/* Whether a path segment may name a file: letters, digits, '.', '_', '-', not starting with
 * '.', at most 128 bytes. Exposed for tests. */
bool gp_static_segment_ok(const char *seg, size_t len);

#endif
