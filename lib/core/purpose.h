/* The fixed vocabulary of purposes for reading personal data, each with its legal basis.
 * A read states its purpose (X-Purpose header, `purpose` query, or the token's default). */
#ifndef GP_PURPOSE_H
#define GP_PURPOSE_H

struct gp_purpose {
    const char *code;
    const char *legal_basis; /* the text recorded with each read */
};

/* The legal basis recorded for an auditor's read, which states no purpose: auditors read to
 * supervise the processing itself. */
#define GP_AUDITOR_LEGAL_BASIS                                                                     \
    "Supervision of the processing of personal data: the controller's accountability and "         \
    "logging of access (GDPR art. 5(2) and art. 32)"

/* The legal basis recorded for a citizen's own read or change, which states no purpose: the
 * data subject's right of access and their own consents and blocks. */
#define GP_CITIZEN_LEGAL_BASIS                                                                     \
    "The data subject's own access to their data and their own consents and blocks (GDPR art. "    \
    "15 and art. 7(3))"

/* NULL when code is not in the vocabulary. */
const struct gp_purpose *gp_purpose_find(const char *code);
/* The vocabulary, terminated by code == NULL. */
extern const struct gp_purpose gp_purposes[];
/* The same codes as a NULL-terminated list (for lib/json_spec choices), in the same order. */
extern const char *const gp_purpose_codes[];
/* The position of code in gp_purposes (0..), -1 when it is not in the vocabulary: a purpose's
 * bit in a set of purposes is 1u << position. */
int gp_purpose_index(const char *code);

#endif
