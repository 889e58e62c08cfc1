/* The OpenAPI 3.1 description of the REST API, built from the route table. */
#ifndef WF_API_OPENAPI_H
#define WF_API_OPENAPI_H

#include <jansson.h>

/* A new reference to the whole document (the caller decrefs it). */
json_t *wf_openapi_document(void);

#endif
