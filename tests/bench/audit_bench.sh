#!/usr/bin/env bash
# Audit chain figures (run by hand from the build dir:
#   WF_BUILDDIR=$PWD WF_SRCDIR=/path/to/src bash $WF_SRCDIR/tests/bench/audit_bench.sh [N]):
# chained appends per second (trigger + head lock) against plain inserts into
# an unchained copy of the table (the reference), and verify throughput.
# Prints figures; never fails on speed.
set -u
N=${1:-100000}
. "$WF_SRCDIR/tests/lib/pg.sh"
W="$WF_BUILDDIR/weftd"
pg_start >/dev/null || { echo "cannot start PostgreSQL"; exit 1; }
"$W" migrate >/dev/null 2>&1 || { echo "migrations failed"; exit 1; }
pg_psql -c "CREATE TABLE plain_log (LIKE audit_log INCLUDING DEFAULTS INCLUDING INDEXES); CREATE SEQUENCE plain_seq; ALTER TABLE plain_log ALTER seq SET DEFAULT nextval('plain_seq')"
ms() { date +%s%N | cut -c1-13; }
gen="SELECT 'user:u' || (i % 50), 'secret.set', 'logistics.shipments', 'K' || i, 'allowed', '', jsonb_build_object('version', i) FROM generate_series(1, $N) i"
t0=$(ms); pg_psql -c "INSERT INTO plain_log (actor, action, namespace, target, result, reason, details) $gen"; t1=$(ms)
pg_psql -c "INSERT INTO audit_log (actor, action, namespace, target, result, reason, details) $gen"; t2=$(ms)
"$W" audit verify >/tmp/audit_bench.out 2>&1; t3=$(ms)
# One entry per transaction through wf_audit_append (what daemons do).
M=$((N / 20))
"$WF_BUILDDIR/tests/integration/audit_client" append "$M" user:bench >/dev/null; t4=$(ms)
plain=$((t1 - t0)); chained=$((t2 - t1)); verify=$((t3 - t2))
echo "audit chain, $N entries (one statement; this machine)"
echo "  plain insert (reference): $plain ms  ($((N * 1000 / (plain > 0 ? plain : 1))) rows/s)"
echo "  chained insert:           $chained ms  ($((N * 1000 / (chained > 0 ? chained : 1))) rows/s, $(awk "BEGIN{printf \"%.1f\", $chained/($plain>0?$plain:1)}")x the reference)"
single=$((t4 - t3))
echo "  wf_audit_append, one entry per transaction: $M in $single ms ($((M * 1000 / (single > 0 ? single : 1))) entries/s)"
echo "  weftd audit verify:       $verify ms  ($((N * 1000 / (verify > 0 ? verify : 1))) rows/s): $(head -1 /tmp/audit_bench.out)"
rm -f /tmp/audit_bench.out
