-- Governance policies have two layers per namespace prefix: the platform
-- team's (`policy`) and the domain admins' (`domain_policy`), who may only
-- tighten what is inherited, the platform layer of the same prefix included.
-- Keeping them apart means a domain admin's write can never replace (and so
-- drop) a limit the platform team set on that prefix. The root is ''.
ALTER TABLE policies ALTER COLUMN policy SET DEFAULT '{}';
ALTER TABLE policies ADD COLUMN domain_policy jsonb NOT NULL DEFAULT '{}';
ALTER TABLE policies ADD CONSTRAINT policies_objects
    CHECK (jsonb_typeof(policy) = 'object' AND jsonb_typeof(domain_policy) = 'object');

-- Executors apply the policies of their namespaces at run time (sandbox caps,
-- quotas, task types, egress); they read them and change nothing.
GRANT SELECT ON policies TO weft_executor;
