#include "api/sql.h"

static const wf_sql_t sql_table[WF_SQL_COUNT] = {
    [WF_SQL_SCHEMA_VERSION] = {"schema_version",
                               "SELECT coalesce(max(version), 0) FROM schema_migrations"},
};

const wf_sql_t *wf_sql_get(wf_sql_id_t id)
{
    return &sql_table[id];
}
