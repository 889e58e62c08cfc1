/* RBAC: the full matrix role × namespace relation × permission, checked
 * against expectations written out here independently of rbac.c's table,
 * plus subjects, groups, malformed bindings and the binding-management rule. */
#include <stdlib.h>

#include "auth/rbac.h"
#include "tests/tap.h"

/* The expected minimum role per permission, spelled out by name. Changing the
 * table in rbac.c without changing this list fails the test on purpose. */
static const struct {
    const char *perm;
    const char *min_role; /* "platform-admin" = platform only */
    int auditor;
} expect[] = {
    {"namespace.read", "viewer", 1},      {"flow.read", "viewer", 1},
    {"flow.write", "developer", 0},       {"execution.read", "viewer", 1},
    {"execution.create", "launcher", 0},  {"execution.kill", "launcher", 0},
    {"binding.read", "viewer", 1},        {"binding.manage", "admin", 0},
    {"sa.read", "developer", 1},          {"sa.manage", "admin", 0},
    {"secret.list", "developer", 1},      {"secret.write", "developer", 0},
    {"grant.read", "viewer", 1},          {"grant.manage", "admin", 0},
    {"policy.read", "viewer", 1},         {"policy.manage", "admin", 0},
    {"audit.read", "admin", 1},           {"auth.explain-as", "admin", 1},
    {"domain.manage", "platform-admin", 0},
};
#define N_EXPECT (sizeof(expect) / sizeof(expect[0]))

static const char *const ns_roles[] = {"viewer", "launcher", "developer", "admin"};

/* Relations of the request namespace to the bound namespace "sales.eu". */
static const struct {
    const char *name, *ns;
    int covered;
} relations[] = {
    {"own", "sales.eu", 1},         {"child", "sales.eu.reporting", 1},
    {"grandchild", "sales.eu.a.b", 1}, {"parent", "sales", 0},
    {"sibling", "sales.us", 0},     {"lookalike", "sales.eu2", 0},
    {"other", "logistics", 0},
};
#define N_REL (sizeof(relations) / sizeof(relations[0]))

static int rank(const char *role)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(role, ns_roles[i]) == 0)
            return i + 1;
    return 99; /* platform-admin: above every namespace role */
}

static wf_principal_t user(const char *sub, const char *group)
{
    wf_principal_t p;
    wf_principal_init(&p);
    char s[300];
    snprintf(s, sizeof(s), "user:%s", sub);
    wf_principal_set(&p, s, "https://idp.test", 0);
    if (group)
        wf_principal_add_group(&p, group);
    return p;
}

int main(void)
{
    wf_rbac_decision_t d;
    int matrix_bad = 0, matrix_n = 0;

    /* The table agrees with the written expectations, and covers every perm. */
    is_int(N_EXPECT, WF_PERM_COUNT, "every permission has an expectation");
    for (size_t i = 0; i < N_EXPECT; i++) {
        int p = wf_rbac_perm_parse(expect[i].perm);
        ok(p >= 0, "permission %s exists", expect[i].perm);
        if (p < 0)
            continue;
        is_str(wf_rbac_role_name(wf_rbac_perm_min_role(p)), expect[i].min_role,
               "%s needs %s", expect[i].perm, expect[i].min_role);
        is_int(wf_rbac_perm_auditor(p), expect[i].auditor, "%s auditor=%d", expect[i].perm,
               expect[i].auditor);
    }
    is_int(wf_rbac_perm_parse("flow.admin"), -1, "unknown permission name");
    is_int(wf_rbac_role_parse("owner"), WF_ROLE_NONE, "unknown role name");
    is_int(wf_rbac_role_parse("none"), WF_ROLE_NONE, "'none' is not bindable");

    /* Matrix: each namespace role bound on sales.eu, directly and via a group. */
    wf_principal_t alice = user("alice", "team-sales");
    for (int via_group = 0; via_group < 2; via_group++)
        for (int r = 0; r < 4; r++) {
            wf_rbac_binding_t b = {via_group ? "group:team-sales" : "user:alice",
                                   wf_rbac_role_parse(ns_roles[r]), "sales.eu"};
            for (size_t rel = 0; rel < N_REL; rel++)
                for (size_t i = 0; i < N_EXPECT; i++) {
                    int p = wf_rbac_perm_parse(expect[i].perm);
                    int want = relations[rel].covered && rank(ns_roles[r]) >= rank(expect[i].min_role);
                    char reason[WF_RBAC_REASON_MAX];
                    if (want)
                        snprintf(reason, sizeof(reason), "allowed:role-%s-on-sales.eu", ns_roles[r]);
                    else if (strcmp(expect[i].min_role, "platform-admin") == 0)
                        snprintf(reason, sizeof(reason), "denied:platform-only");
                    else if (relations[rel].covered)
                        snprintf(reason, sizeof(reason), "denied:role-too-low");
                    else
                        snprintf(reason, sizeof(reason), "denied:no-binding");
                    bool got = wf_rbac_decide(&alice, &b, 1, p, relations[rel].ns, &d);
                    matrix_n++;
                    if (got != want || d.allowed != want || strcmp(d.reason, reason) != 0) {
                        matrix_bad++;
                        printf("# %s %s %s on %s (%s): got %d %s, want %d %s\n",
                               via_group ? "group" : "user", ns_roles[r], expect[i].perm,
                               relations[rel].ns, relations[rel].name, got, d.reason, want,
                               reason);
                    }
                }
        }
    is_int(matrix_bad, 0, "namespace-role matrix: %d decisions (2 subjects x 4 roles x %zu "
                          "relations x %zu permissions)", matrix_n, N_REL, N_EXPECT);

    /* Global roles and no role at all, across every relation. */
    int global_bad = 0, global_n = 0;
    for (size_t rel = 0; rel < N_REL; rel++)
        for (size_t i = 0; i < N_EXPECT; i++) {
            int p = wf_rbac_perm_parse(expect[i].perm);
            wf_rbac_binding_t pa = {"user:alice", WF_ROLE_PLATFORM_ADMIN, NULL};
            wf_rbac_binding_t au = {"group:team-sales", WF_ROLE_AUDITOR, ""};
            wf_rbac_binding_t other = {"user:bob", WF_ROLE_ADMIN, "sales"};
            global_n += 3;
            if (!wf_rbac_decide(&alice, &pa, 1, p, relations[rel].ns, &d) ||
                strcmp(d.reason, "allowed:platform-admin") != 0)
                global_bad++, printf("# platform-admin %s: %s\n", expect[i].perm, d.reason);
            bool a = wf_rbac_decide(&alice, &au, 1, p, relations[rel].ns, &d);
            if (a != (bool)expect[i].auditor ||
                strcmp(d.reason, a ? "allowed:auditor-read"
                                   : (strcmp(expect[i].min_role, "platform-admin") == 0
                                          ? "denied:platform-only"
                                          : "denied:no-binding")) != 0)
                global_bad++, printf("# auditor %s: %s\n", expect[i].perm, d.reason);
            if (wf_rbac_decide(&alice, &other, 1, p, relations[rel].ns, &d))
                global_bad++, printf("# someone else's binding allowed %s\n", expect[i].perm);
        }
    is_int(global_bad, 0, "global roles and other subjects: %d decisions", global_n);
    matrix_n += global_n;
    printf("# RBAC matrix size: %d decisions\n", matrix_n);

    /* Deny by default. */
    ok(!wf_rbac_decide(&alice, NULL, 0, WF_PERM_FLOW_READ, "sales", &d), "no bindings: denied");
    is_str(d.reason, "denied:no-binding", "reason no-binding");
    wf_principal_t anon;
    wf_principal_init(&anon);
    wf_rbac_binding_t all = {"user:", WF_ROLE_ADMIN, "sales"};
    ok(!wf_rbac_decide(&anon, &all, 1, WF_PERM_FLOW_READ, "sales", &d), "no subject: denied");
    is_str(d.reason, "denied:no-subject", "reason no-subject");
    ok(!wf_rbac_decide(&alice, &all, 1, WF_PERM_COUNT, "sales", &d), "bad permission denied");
    is_str(d.reason, "denied:unknown-permission", "reason unknown-permission");
    wf_rbac_binding_t pa = {"user:alice", WF_ROLE_PLATFORM_ADMIN, NULL};
    ok(!wf_rbac_decide(&alice, &pa, 1, WF_PERM_FLOW_READ, "sales..eu", &d),
       "invalid namespace denied even to platform-admin");
    is_str(d.reason, "denied:invalid-namespace", "reason invalid-namespace");
    ok(!wf_rbac_decide(&alice, &pa, 1, WF_PERM_FLOW_READ, NULL, &d), "NULL namespace denied");
    ok(wf_rbac_decide(&alice, &pa, 1, WF_PERM_DOMAIN_MANAGE, NULL, &d),
       "domain.manage needs no namespace for platform-admin");

    /* Malformed bindings never grant. */
    wf_rbac_binding_t bad[] = {
        {"user:alice", WF_ROLE_ADMIN, ""},                 /* namespace role, no namespace */
        {"user:alice", WF_ROLE_ADMIN, NULL},               /* same, NULL */
        {"user:alice", WF_ROLE_PLATFORM_ADMIN, "sales"},   /* global role on a namespace */
        {"user:alice", WF_ROLE_AUDITOR, "sales"},          /* same for auditor */
        {"user:alice", WF_ROLE_NONE, "sales"},             /* no role */
        {"user:alice", (wf_role_t)42, "sales"},            /* out of range */
        {"user:alice", WF_ROLE_ADMIN, "sales."},           /* invalid prefix */
        {NULL, WF_ROLE_ADMIN, "sales"},                    /* no subject */
        {"group:", WF_ROLE_ADMIN, "sales"},                /* empty group */
        {"alice", WF_ROLE_ADMIN, "sales"},                 /* bare name */
        {"user:alice ", WF_ROLE_ADMIN, "sales"},           /* trailing space */
        {"group:team-sales-eu", WF_ROLE_ADMIN, "sales"},   /* group lookalike */
        {"user:ALICE", WF_ROLE_ADMIN, "sales"},            /* case differs */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ok(!wf_rbac_decide(&alice, &bad[i], 1, WF_PERM_FLOW_READ, "sales", &d) &&
               strcmp(d.reason, "denied:no-binding") == 0,
           "malformed or foreign binding %zu grants nothing (%s)", i, d.reason);

    /* Highest role wins across several bindings; its prefix is reported. */
    wf_rbac_binding_t several[] = {
        {"user:alice", WF_ROLE_VIEWER, "sales"},
        {"group:team-sales", WF_ROLE_DEVELOPER, "sales.eu"},
        {"user:alice", WF_ROLE_ADMIN, "logistics"},
    };
    ok(wf_rbac_decide(&alice, several, 3, WF_PERM_FLOW_WRITE, "sales.eu.daily", &d),
       "developer via group on sales.eu writes flows below it");
    is_str(d.reason, "allowed:role-developer-on-sales.eu", "reason names the covering prefix");
    ok(d.via == &several[1], "via points at the granting binding");
    ok(!wf_rbac_decide(&alice, several, 3, WF_PERM_FLOW_WRITE, "sales.us", &d),
       "only viewer on sales.us");
    is_str(d.reason, "denied:role-too-low", "reason role-too-low");
    is_int(d.role, WF_ROLE_VIEWER, "effective role reported");
    is_int(wf_rbac_role_on(&alice, several, 3, "logistics.x", NULL), WF_ROLE_ADMIN,
           "role_on logistics.x");

    /* Service-account subjects. */
    wf_principal_t sa;
    wf_principal_init(&sa);
    wf_principal_set(&sa, "sa:sales.eu/ci-bot", "weft", 0);
    wf_rbac_binding_t sab = {"sa:sales.eu/ci-bot", WF_ROLE_LAUNCHER, "sales.eu"};
    ok(wf_rbac_decide(&sa, &sab, 1, WF_PERM_EXECUTION_CREATE, "sales.eu.jobs", &d),
       "service account launches in its namespace");
    ok(!wf_rbac_decide(&sa, &sab, 1, WF_PERM_FLOW_WRITE, "sales.eu", &d),
       "service account launcher cannot write flows");

    /* Subject syntax. */
    const char *good_subjects[] = {"user:alice", "user:00u1ab2C3d@idp", "group:team-sales",
                                   "sa:sales.eu/ci-bot", "sa:x/y_1"};
    const char *bad_subjects[] = {"user:", "user:a b", "group:", "sa:sales", "sa:/bot",
                                  "sa:sales/", "sa:sales..eu/bot", "sa:sales/Bot",
                                  "sa:sales/b\xc3\xa9", "sa:sales/-bot", "robot:x", "", "user:a\nb"};
    for (size_t i = 0; i < sizeof(good_subjects) / sizeof(*good_subjects); i++)
        ok(wf_rbac_subject_valid(good_subjects[i]), "valid subject %s", good_subjects[i]);
    for (size_t i = 0; i < sizeof(bad_subjects) / sizeof(*bad_subjects); i++)
        ok(!wf_rbac_subject_valid(bad_subjects[i]), "invalid subject #%zu refused", i);

    /* Binding management: admins of a namespace, platform-admins, nobody above own role. */
    wf_rbac_binding_t adm = {"user:alice", WF_ROLE_ADMIN, "sales"};
    ok(wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_ADMIN, "sales.eu", &d),
       "admin of sales grants admin on sales.eu");
    ok(wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_VIEWER, "sales", &d), "admin grants viewer");
    ok(!wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_VIEWER, "salesforce", &d),
       "admin of sales cannot bind on salesforce");
    is_str(d.reason, "denied:no-binding", "reason no-binding");
    ok(!wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_VIEWER, "logistics", &d),
       "admin of sales cannot bind on logistics");
    ok(!wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_PLATFORM_ADMIN, NULL, &d),
       "namespace admin cannot grant platform-admin");
    is_str(d.reason, "denied:global-role-platform-only", "reason global-role-platform-only");
    ok(!wf_rbac_can_bind(&alice, &adm, 1, WF_ROLE_AUDITOR, NULL, &d),
       "namespace admin cannot grant auditor");
    wf_rbac_binding_t dev = {"user:alice", WF_ROLE_DEVELOPER, "sales"};
    ok(!wf_rbac_can_bind(&alice, &dev, 1, WF_ROLE_VIEWER, "sales", &d),
       "developer cannot manage bindings");
    is_str(d.reason, "denied:role-too-low", "reason role-too-low");
    wf_rbac_binding_t au = {"user:alice", WF_ROLE_AUDITOR, NULL};
    ok(!wf_rbac_can_bind(&alice, &au, 1, WF_ROLE_VIEWER, "sales", &d),
       "auditor cannot manage bindings");
    ok(wf_rbac_can_bind(&alice, &pa, 1, WF_ROLE_PLATFORM_ADMIN, NULL, &d),
       "platform-admin grants platform-admin");
    ok(wf_rbac_can_bind(&alice, &pa, 1, WF_ROLE_ADMIN, "anything.at.all", &d),
       "platform-admin grants admin anywhere");
    ok(!wf_rbac_can_bind(&alice, &pa, 1, WF_ROLE_AUDITOR, "sales", &d),
       "global role with a namespace refused");
    ok(!wf_rbac_can_bind(&alice, &pa, 1, WF_ROLE_NONE, "sales", &d), "role none refused");
    is_str(d.reason, "denied:invalid-role", "reason invalid-role");

    wf_principal_dispose(&alice);
    wf_principal_dispose(&sa);
    return tap_done();
}
