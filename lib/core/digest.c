/* dl_iterate_phdr (link.h) is a GNU extension. */
#define _GNU_SOURCE
#include "lib/core/digest.h"

#include <elf.h>
#include <link.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char build_id[2 * 64 + 1];
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

/* The first object dl_iterate_phdr reports is the executable; its PT_NOTE segments hold the
 * NT_GNU_BUILD_ID note the linker wrote (Debian's gcc links with --build-id). */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            ElfW(Nhdr) nh;
            memcpy(&nh, p, sizeof nh);
            const unsigned char *name = p + sizeof nh;
            const unsigned char *desc = name + ((nh.n_namesz + 3u) & ~3u);
            const unsigned char *next = desc + ((nh.n_descsz + 3u) & ~3u);
            if (next > end)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                nh.n_descsz > 0 && nh.n_descsz <= 64) {
                for (size_t k = 0; k < nh.n_descsz; k++)
                    snprintf(build_id + 2 * k, 3, "%02x", desc[k]);
                return 1;
            }
            p = next;
        }
    }
    return 1; /* only the executable counts */
}

static void read_build_id(void)
{
    dl_iterate_phdr(find_build_id, NULL);
}

const char *gp_build_id(void)
{
    pthread_once(&build_id_once, read_build_id);
    return build_id;
}

bool gp_answer_digest(const char *kind, const char *department, const char *body,
                      const size_t *page_len, size_t npages, char out[65])
{
    out[0] = '\0';
    const char *id = gp_build_id();
    if (!id[0])
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return false;
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    /* Every part with its length, so no two different inputs run together alike. */
    const char *parts[3] = {id, kind ? kind : "", department ? department : ""};
    for (size_t i = 0; ok && i < 3; i++) {
        char len[24];
        int n = snprintf(len, sizeof len, "%zu:", strlen(parts[i]));
        ok = EVP_DigestUpdate(ctx, len, (size_t)n) &&
             EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
    }
    size_t at = 0;
    for (size_t k = 0; ok && k < npages; k++) {
        char len[24];
        int n = snprintf(len, sizeof len, "%zu:", page_len[k]);
        ok = EVP_DigestUpdate(ctx, len, (size_t)n) &&
             (page_len[k] == 0 || EVP_DigestUpdate(ctx, body + at, page_len[k]));
        at += page_len[k];
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return false;
    for (unsigned k = 0; k < mdlen; k++)
        snprintf(out + 2 * k, 3, "%02x", md[k]);
    return true;
}
