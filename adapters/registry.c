/* The adapter kinds this build knows. */
#include "adapters/adapter.h"

#include <string.h>

extern const struct gp_adapter gp_adapter_momentum;
extern const struct gp_adapter gp_adapter_sensum;
extern const struct gp_adapter gp_adapter_fhir_r4;
extern const struct gp_adapter gp_adapter_dubu;

const struct gp_adapter *const gp_adapters[] = {
    &gp_adapter_momentum, &gp_adapter_sensum, &gp_adapter_fhir_r4, &gp_adapter_dubu, NULL,
};

const struct gp_adapter *gp_adapter_find(const char *kind)
{
    for (size_t i = 0; kind && gp_adapters[i]; i++) {
        if (!strcmp(gp_adapters[i]->kind, kind))
            return gp_adapters[i];
    }
    return NULL;
}
