/* The fixed vocabulary of purposes for reading personal data, each with its legal basis.
 * A read states its purpose (X-Purpose header, `purpose` query, or the token's default). */
#ifndef GP_PURPOSE_H
#define GP_PURPOSE_H

struct gp_purpose {
    const char *code;
    const char *legal_basis; /* the text recorded with each read */
};

/* NULL when code is not in the vocabulary. */
const struct gp_purpose *gp_purpose_find(const char *code);
/* The vocabulary, terminated by code == NULL. */
extern const struct gp_purpose gp_purposes[];

#endif
